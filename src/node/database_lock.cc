#include "node/database_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace harmony::node {
namespace {

// Attempts when the lock file is replaced between our open and our flock (a -cleanup).
constexpr int kAttempts = 5;

std::string Errno(const std::string& what, int err) { return what + ": " + std::strerror(err); }

// The pid written by the holder, or "" if the file holds none (it is being written).
std::string ReadPid(int fd) {
  char buf[32] = {};
  const ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return "";
  std::string pid(buf, static_cast<size_t>(n));
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid;
}

bool SameFile(int fd, const std::string& path) {
  struct stat by_fd {
  }, by_path{};
  if (fstat(fd, &by_fd) != 0 || stat(path.c_str(), &by_path) != 0) return false;
  return by_fd.st_dev == by_path.st_dev && by_fd.st_ino == by_path.st_ino;
}

}  // namespace

std::string LockFilePath(const std::string& db_path) { return db_path + "-harmony.lock"; }

Result<std::unique_ptr<DatabaseLock>> DatabaseLock::Acquire(const std::string& db_path) {
  const std::string path = LockFilePath(db_path);
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) return Status::IoError(Errno("open lock file " + path, errno));
    std::unique_ptr<DatabaseLock> lock(new DatabaseLock(fd, path, db_path));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      if (err != EWOULDBLOCK) return Status::IoError(Errno("lock " + path, err));
      const std::string pid = ReadPid(fd);
      return Status::Unavailable("database " + db_path + " is already used by a running harmony " +
                                 "(pid " + (pid.empty() ? "unknown" : pid) + ", lock file " + path +
                                 ")");
    }
    // Locked, but perhaps a file that -cleanup unlinked after we opened it: then start over
    // with the file now at the path.
    if (!SameFile(fd, path)) continue;
    const std::string pid = std::to_string(getpid()) + "\n";
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) < 0) {
      return Status::IoError(Errno("write lock file " + path, errno));
    }
    return lock;
  }
  return Status::Unavailable("lock file " + path + " kept being replaced; try again");
}

DatabaseLock::~DatabaseLock() {
  if (fd_ >= 0) close(fd_);  // releases the flock
}

Status DatabaseLock::CheckHeld() const {
  if (SameFile(fd_, path_)) return Status::Ok();
  return Status::IoError("lock file " + path_ + " of database " + db_path_ +
                         " was deleted or replaced while harmony held it: another harmony could "
                         "start on the same database, so this one stops");
}

Status DatabaseLock::RemoveFile() {
  if (unlink(path_.c_str()) != 0 && errno != ENOENT) {
    return Status::IoError(Errno("remove lock file " + path_, errno));
  }
  return Status::Ok();
}

}  // namespace harmony::node
