#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "common/status.h"

namespace harmony::replication {

// The node's sticky background error, as leveldb's DBImpl::bg_error_: the first unrecoverable
// error that any thread meets is kept, stops the node, and is what harmony exits with (one line,
// non-zero). Transient errors (busy database, full disk, broker unreachable) are never recorded:
// the loops retry them with back-off.
//
// Thread-safe: every method may be called from any thread at any time.
//
// Who calls what:
// - A worker thread (publish loop, apply loop, node-id renewal) that meets an error it cannot
//   survive — IsUnrecoverable(status), or one it knows to be fatal such as a lost lease — calls
//   Record(status with context) once and stops its own work. It does not log the error: Run
//   returns it and the CLI prints it, once.
// - Workers may test failed() to stop early; nothing else needs to poll.
// - Run's main thread waits on wake_fd() next to the stop signals, then returns Get().
// The holder must outlive every thread that may call Record (Run owns it and stops the threads
// first).
class BackgroundError {
 public:
  BackgroundError();
  ~BackgroundError();
  BackgroundError(const BackgroundError&) = delete;
  BackgroundError& operator=(const BackgroundError&) = delete;

  // Keeps `status` if no error was recorded before; an Ok status is ignored. Returns true if this
  // one was kept (the caller's error is the one the node stops with).
  bool Record(Status status);

  // Ok until an error is recorded; from then on, always that first error.
  Status Get() const;
  bool failed() const;

  // Blocks until an error is recorded or `timeout` passes; true if one is recorded.
  bool WaitFor(std::chrono::milliseconds timeout) const;

  // A descriptor that becomes readable, and stays readable, once an error is recorded: for poll()
  // beside other descriptors (the signal fd in Run). Owned by this object; -1 if the kernel
  // refused an eventfd, in which case waiters fall back to their timeout.
  int wake_fd() const { return wake_fd_; }

 private:
  const int wake_fd_;  // eventfd, written once by the first Record

  mutable std::mutex mu_;
  // Guarded by mu_:
  Status error_;
  mutable std::condition_variable recorded_;
};

// Whether `status`, met by a loop working on the database, must stop the node rather than be
// retried. The list (docs/architecture.md, "Failures"):
// - kCorruption: SQLite's CORRUPT or NOTADB, or harmony's own stored state is inconsistent;
//   retrying reads the same bad bytes. (A loop that can skip one bad message, such as the
//   applier's dead letters, handles that before it gets here.)
// - kIoError: SQLite's IOERR (the disk failed a read or a write) or READONLY (SQLite can no
//   longer write the file, e.g. it was moved or deleted in rollback-journal mode).
// Everything else is retried: kUnavailable (SQLITE_BUSY, SQLITE_LOCKED, SQLITE_FULL, broker
// unreachable), kNotFound, kInternal, kInvalidArgument, kCancelled.
bool IsUnrecoverable(const Status& status);

}  // namespace harmony::replication
