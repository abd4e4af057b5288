#pragma once

#include <chrono>
#include <stop_token>
#include <string>

#include "common/result.h"
#include "common/status.h"

namespace harmony::replication {

// Notices when harmony's own connection has been refused plain reads as busy for a long time and
// says, once per episode, what almost always causes it. In WAL mode a writer never blocks a
// reader; what does is an application connection with PRAGMA locking_mode=EXCLUSIVE, which keeps
// the file locked for as long as it stays open (and makes the app's own statements fail with
// "database is locked" while harmony's connections are open). Harmony cannot run beside it. Not
// fatal: reads are retried and work again once the lock goes.
//
// Not thread-safe: one per loop.
class BusyReadAlarm {
 public:
  explicit BusyReadAlarm(std::string db_path,
                         std::chrono::milliseconds after = std::chrono::seconds(10))
      : db_path_(std::move(db_path)), after_(after) {}

  // After each read attempt: `busy` if it failed because the database was locked, `started`
  // when the attempt began (an attempt itself waits the busy timeout). Logs the error when the
  // reads have been busy for `after` without a break, and an info line when they work again.
  // Returns true when it logged the error.
  bool Note(bool busy, std::chrono::steady_clock::time_point started);
  bool alarmed() const { return alarmed_; }

 private:
  const std::string db_path_;
  const std::chrono::milliseconds after_;
  bool busy_ = false;
  bool alarmed_ = false;
  std::chrono::steady_clock::time_point busy_since_;
};

// Before harmony installs anything in the database: refuses a file that fails PRAGMA
// quick_check (kCorruption, one line naming the file and SQLite's first complaint). While the
// file stays locked it keeps trying (BusyReadAlarm says why after 10 s), and returns false if a
// stop is requested on `stop` meanwhile; true once the check passed.
Result<bool> CheckDatabaseAtStart(const std::string& db_path, const std::stop_token& stop);

}  // namespace harmony::replication
