// The stored form of a snapshot: making it from a live database, checking and unpacking it, and
// installing the unpacked database in place of a live one. Free functions; each call uses its
// own connections and files, so calls may run on any thread (not two on the same paths at once).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/result.h"
#include "common/status.h"
#include "snapshot/manifest.h"

namespace harmony::sqlite {
class Database;
}

namespace harmony::snapshot {

// Progress of a long copy: bytes done so far out of `total`. Called on the copying thread; must
// not throw.
using Progress = std::function<void(uint64_t done, uint64_t total)>;

// Makes a snapshot of the database at `db_path` into `out_path` (zstd) and returns its manifest.
//  1. `VACUUM INTO` a file in `work_dir`: one read transaction, so the rows and
//     __harmony_apply_position agree, while writers carry on.
//  2. On the copy: read positions from __harmony_apply_position (absent table: no positions),
//     drop every __harmony* object but __harmony_partial and __harmony_held (what the positions
//     count as taken in but not yet written into the rows), VACUUM, read the user schema.
//  3. Compress the copy into `out_path` (written as "<out_path>.tmp", fsynced, then renamed),
//     hashing the stored bytes.
// `work_dir` is created if missing; its temporaries are removed on every
// path. `node_id` names the snapshot and goes into the manifest.
Result<Manifest> CreateSnapshot(const std::string& db_path, const std::string& work_dir,
                                const std::string& out_path, uint64_t node_id);

// Unpacks the stored bytes at `stored_path` into the database file `db_out`. Before
// decompressing anything it checks the stored size and XXH3 against `m` (kCorruption
// "snapshot <name>: truncated: N of M bytes" / "... checksum mismatch (expected X, got Y)").
// Decompresses into "<db_out>.extracting", checks the result is `m.db_bytes` long and passes
// SQLite's quick_check, and only then renames it to `db_out` (removing stale -wal/-shm/-journal
// files of `db_out`, which SQLite would otherwise apply to the new file). On error `db_out` is
// not created or changed.
Status ExtractSnapshot(const Manifest& m, const std::string& stored_path,
                       const std::string& db_out);

// Replaces the whole content of the database at `target_path` with the database file
// `source_db`, using SQLite's online backup API on a connection to the target (busy timeout
// 10 s): other processes may keep the target open; in WAL mode their readers see either the old
// or the new content, never a mix, and see the new one from their next read transaction.
// `target_path` is created if missing. Afterwards the target is in WAL mode. If the target is
// already in WAL mode with a different page size (which the backup API cannot change), a copy
// of the source is first rebuilt with the target's page size beside `source_db`.
// kUnavailable if the target stayed locked by a writer for the whole timeout.
Status InstallSnapshot(const std::string& source_db, const std::string& target_path);

// The user schema of `db` as a Manifest's `schema` records it: the sql of the sqlite_schema rows
// not named sqlite_% or __harmony%, ordered by name, joined by ";\n".
Result<std::string> UserSchema(sqlite::Database& db);

}  // namespace harmony::snapshot
