#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace harmony::replication {

// A read-only view of the header of a WAL-mode database's wal-index (the "-shm" file), which
// every SQLite connection updates in shared memory when it commits (see sqlite.org/walformat.html:
// the header holds a change counter, the last valid frame and the WAL salts). Comparing two reads
// tells, with one pread and no lock, whether any transaction has committed in between: the
// publish loop uses it to skip its SQL round when a write event was not (yet) a new commit.
//
// Not thread-safe. A database not in WAL mode, or a -shm that cannot be read, gives no stamp:
// Changed() then always answers true.
class WalIndex {
 public:
  // Opens "<db_path>-shm" for reading if it exists.
  static std::unique_ptr<WalIndex> Open(const std::string& db_path);
  ~WalIndex();
  WalIndex(const WalIndex&) = delete;
  WalIndex& operator=(const WalIndex&) = delete;

  // Header bytes that change with every commit (and with every WAL restart); nullopt when they
  // cannot be read.
  using Stamp = std::array<uint8_t, 48>;
  std::optional<Stamp> Read() const;

  // True unless both `since` and the header now are known and equal.
  bool Changed(const std::optional<Stamp>& since) const {
    if (!since) return true;
    const std::optional<Stamp> now = Read();
    return !now || *now != *since;
  }

 private:
  explicit WalIndex(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace harmony::replication
