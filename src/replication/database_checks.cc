#include "replication/database_checks.h"

#include <spdlog/spdlog.h>

#include "common/stop.h"
#include "sqlite/database.h"

namespace harmony::replication {
namespace {

Status CheckOnce(const std::string& db_path) {
  sqlite::OpenOptions open;
  open.wal = false;  // change nothing before the file is known to be sound
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, sqlite::Database::Open(db_path, open));
  Status s = sqlite::QuickCheck(db);
  if (!s.ok() && s.message().find("no such collation sequence") != std::string::npos) {
    // An index uses a collation only the application registers: SQLite cannot check the file
    // without it (and harmony does not replicate such tables; see capture::ReadCatalog).
    spdlog::warn(
        "database {}: PRAGMA quick_check cannot run here ({}); its integrity was not "
        "checked at start",
        db_path, s.message());
    return Status::Ok();
  }
  return s;
}

}  // namespace

bool BusyReadAlarm::Note(bool busy, std::chrono::steady_clock::time_point started) {
  if (!busy) {
    if (alarmed_) spdlog::info("database {} can be read again", db_path_);
    busy_ = alarmed_ = false;
    return false;
  }
  if (!busy_) {
    busy_ = true;
    busy_since_ = started;
  }
  const auto busy_for = std::chrono::steady_clock::now() - busy_since_;
  if (alarmed_ || busy_for < after_) return false;
  alarmed_ = true;
  spdlog::error(
      "database {} has refused harmony's reads as locked for {} s: an application connection "
      "probably holds it with PRAGMA locking_mode=EXCLUSIVE, which harmony cannot run beside "
      "(remove that pragma from the application), or keeps it locked in another way; retrying",
      db_path_, std::chrono::duration_cast<std::chrono::seconds>(busy_for).count());
  return true;
}

Result<bool> CheckDatabaseAtStart(const std::string& db_path, const std::stop_token& stop) {
  BusyReadAlarm alarm(db_path);
  while (true) {
    const auto started = std::chrono::steady_clock::now();
    Status s = CheckOnce(db_path);
    const bool busy = s.code() == Status::Code::kUnavailable;
    alarm.Note(busy, started);
    if (s.ok()) return true;
    if (s.code() == Status::Code::kCorruption) {
      return Status::Corruption("database " + db_path + " is corrupt (" + s.message() +
                                "); harmony refuses to run on it: restore it from a backup, or "
                                "move it away so that this node starts from a snapshot");
    }
    if (!busy) return s.WithContext("check database " + db_path);
    if (!WaitUnlessStopped(stop, std::chrono::seconds(1))) return false;
  }
}

}  // namespace harmony::replication
