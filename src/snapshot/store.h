// SnapshotStore: where snapshots live (a directory now; object stores can implement the same
// contract). A snapshot in a store is its stored (zstd) bytes plus its Manifest, published so
// that a reader never sees one without the other or a half-written one.
#pragma once

#include <optional>
#include <string>

#include "common/result.h"
#include "common/status.h"
#include "snapshot/manifest.h"
#include "snapshot/snapshot_file.h"

namespace harmony::snapshot {

// Implementations need not be thread-safe: one thread uses a store object at a time. Several
// processes (nodes) may use the same underlying location at once.
class SnapshotStore {
 public:
  virtual ~SnapshotStore() = default;

  // Stores the file at `stored_path` (the zstd bytes described by `m`) under m.name with its
  // manifest. The previous snapshot stays until this one is completely stored; afterwards the
  // snapshots beyond the newest `keep` (by name) are removed. kCorruption if the file does not
  // match m.compressed_bytes / m.xxh3 (nothing is published then); kInvalidArgument if m.name is
  // not a valid name. `progress` (may be empty) sees the bytes copied.
  virtual Status Put(const Manifest& m, const std::string& stored_path,
                     const Progress& progress) = 0;

  // The manifest of the newest complete snapshot (greatest name), nullopt if there is none.
  // Incomplete or undecodable entries are skipped (with a warning), so a damaged newest
  // snapshot falls back to the one before.
  virtual Result<std::optional<Manifest>> Latest() = 0;

  // A cheap value that changes whenever a snapshot is stored or removed (one broker request or
  // one directory listing, against Latest()'s reading of every manifest): a caller waiting for
  // a newer snapshot calls Latest() again only when it changed. Errors: those of the request or
  // listing (the caller then calls Latest()).
  virtual Result<std::string> ChangeMarker() = 0;

  // Copies the stored bytes of `m` to `out_path`; may leave a partial file on error. Does not
  // verify them: ExtractSnapshot does, before using them. kNotFound if the store no longer has
  // `m` (it may have been pruned since Latest()).
  virtual Status Get(const Manifest& m, const std::string& out_path, const Progress& progress) = 0;

  // For log lines, e.g. "directory /var/lib/harmony/snapshots".
  virtual std::string Describe() const = 0;
};

}  // namespace harmony::snapshot
