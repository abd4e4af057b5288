#include "replication/wal_index.h"

#include <fcntl.h>
#include <unistd.h>

namespace harmony::replication {
namespace {

// The first copy of the wal-index header: 48 bytes at offset 0 of the -shm file.
constexpr size_t kHeaderBytes = 48;

}  // namespace

std::unique_ptr<WalIndex> WalIndex::Open(const std::string& db_path) {
  const std::string shm = db_path + "-shm";
  return std::unique_ptr<WalIndex>(new WalIndex(open(shm.c_str(), O_RDONLY | O_CLOEXEC)));
}

WalIndex::~WalIndex() {
  if (fd_ >= 0) close(fd_);
}

std::optional<WalIndex::Stamp> WalIndex::Read() const {
  if (fd_ < 0) return std::nullopt;
  Stamp stamp{};
  // A plain read, not a mapping: SQLite may truncate the file, which would make a mapped read
  // fault. Another process writes these bytes concurrently; a torn read can only make two stamps
  // differ, which costs one SQL round and never hides a commit.
  if (pread(fd_, stamp.data(), kHeaderBytes, 0) != static_cast<ssize_t>(kHeaderBytes)) {
    return std::nullopt;
  }
  return stamp;
}

}  // namespace harmony::replication
