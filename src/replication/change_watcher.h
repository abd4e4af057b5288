// node: the composition root. Wires capture -> bus -> apply for one database: the publish loop
// (watch, scan, publish, record progress, clean up), the apply loop (subscriptions -> queue ->
// Applier), the embedded broker when no URLs are configured, signals and orderly shutdown.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "common/result.h"

namespace harmony::replication {

// Wakes the publish loop when the database or its -wal file is written by any process, using
// inotify on the database's directory (the -wal file comes and goes, so a watch on it alone would
// be lost). Thread-safe: Wait on one thread, Wake from any.
class ChangeWatcher {
 public:
  static Result<std::unique_ptr<ChangeWatcher>> Open(const std::string& db_path);
  ~ChangeWatcher();
  ChangeWatcher(const ChangeWatcher&) = delete;
  ChangeWatcher& operator=(const ChangeWatcher&) = delete;

  // Returns when the database changed since the last Wait (true), after `timeout` (false), or
  // when Wake was called (false). Pending change events are consumed.
  bool Wait(std::chrono::milliseconds timeout);
  void Wake();

 private:
  ChangeWatcher(int inotify_fd, int wake_fd, std::string db_name)
      : inotify_fd_(inotify_fd), wake_fd_(wake_fd), db_name_(std::move(db_name)) {}
  bool DrainInotify();

  int inotify_fd_;
  int wake_fd_;
  std::string db_name_;  // file name without directory
};

}  // namespace harmony::replication
