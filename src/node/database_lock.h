#pragma once

#include <memory>
#include <string>

#include "common/result.h"
#include "common/status.h"

namespace harmony::node {

// One harmony per database: an exclusive flock on "<db_path>-harmony.lock", held for the life of
// the object (the kernel drops it when the process dies, even by SIGKILL, so a crash never locks
// the database out). The file holds the holder's pid, for the message a second process gets.
//
// Not thread-safe; the main thread owns it.
class DatabaseLock {
 public:
  // Takes the lock, or fails with "database D is already used by a running harmony (pid P, lock
  // file F)" (kUnavailable), or naming the lock file that cannot be opened (kIoError).
  static Result<std::unique_ptr<DatabaseLock>> Acquire(const std::string& db_path);
  DatabaseLock(const DatabaseLock&) = delete;
  DatabaseLock& operator=(const DatabaseLock&) = delete;
  ~DatabaseLock();

  // Ok while the lock file at the path is still the one locked. An error once it was deleted or
  // replaced (a second harmony could then lock a new file and run beside this one).
  Status CheckHeld() const;

  // Deletes the lock file while holding the lock (-cleanup removes every file harmony made).
  // Safe against a process starting meanwhile: Acquire re-checks that the file it locked is
  // still the one at the path.
  Status RemoveFile();

  const std::string& path() const { return path_; }

 private:
  DatabaseLock(int fd, std::string path, std::string db_path)
      : fd_(fd), path_(std::move(path)), db_path_(std::move(db_path)) {}

  int fd_;
  std::string path_;
  std::string db_path_;
};

// "<db_path>-harmony.lock"
std::string LockFilePath(const std::string& db_path);

}  // namespace harmony::node
