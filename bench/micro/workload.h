// The data the micro benchmarks replicate: one table
//   bench(id INTEGER PRIMARY KEY, k INTEGER, payload TEXT)
// with ~100-byte text payloads built from a fixed vocabulary (so zstd sees text about as
// compressible as real prose, not a run of one byte), and the batches and encoded messages the
// capture -> bus -> apply pipeline would carry for it. Everything is deterministic: the same
// arguments give the same bytes on every run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "change/change.h"
#include "common/status.h"
#include "sqlite/database.h"

namespace harmony::bench {

inline constexpr char kCreateBenchTable[] =
    "CREATE TABLE bench(id INTEGER PRIMARY KEY, k INTEGER, payload TEXT)";
inline constexpr char kInsertBenchRow[] = "INSERT INTO bench(id, k, payload) VALUES(?1, ?2, ?3)";
inline constexpr size_t kPayloadBytes = 100;
inline constexpr size_t kRowsPerBatch = 512;  // capture's default max_changes_per_batch

change::TableSchema BenchTable();

// The payload of row `id` in generation `variant` (a different variant gives different text, so
// an update really changes the row).
std::string Payload(int64_t id, uint64_t variant);

// kRowsPerBatch-style batch of `rows` upserts of bench rows first_id, first_id + 1, ...
change::Batch UpsertBatch(int64_t first_id, size_t rows, uint64_t variant);

// `rows` changes over two tables, the mix an application with a second, differently shaped table
// produces: 3/4 upserts of bench rows, 1/8 deletes of bench rows, 1/8 upserts into
// event(id TEXT PRIMARY KEY, at REAL, body BLOB, note TEXT) with a 64-byte blob and a NULL.
change::Batch MixedBatch(int64_t first_id, size_t rows);

// `messages` encoded batches of `rows_per_message` upserts covering ids 1 .. messages * rows.
std::vector<std::string> EncodedUpserts(size_t messages, size_t rows_per_message, bool compress,
                                        uint64_t variant);

// Inserts bench rows 1..rows through `db` in transactions of `rows_per_txn` rows, the way an
// application writing small transactions would.
Status InsertBenchRows(sqlite::Database& db, size_t rows, size_t rows_per_txn);

}  // namespace harmony::bench
