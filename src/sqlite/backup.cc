#include "sqlite/backup.h"

#include <sqlite3.h>

#include <string>
#include <string_view>
#include <utility>

namespace harmony::sqlite {
namespace {

// One sqlite3_backup from `source` into `target`'s main database. Both connections must outlive
// it. Move-only; not thread-safe.
class OnlineBackup {
 public:
  static Result<OnlineBackup> Start(Database& target, Database& source) {
    sqlite3_backup* b = sqlite3_backup_init(target.raw(), "main", source.raw(), "main");
    if (b == nullptr) return Status::Internal("backup init: " + target.ErrorText());
    return OnlineBackup(b, &target);
  }
  OnlineBackup(OnlineBackup&& other) noexcept
      : backup_(std::exchange(other.backup_, nullptr)), target_(other.target_) {}
  OnlineBackup& operator=(OnlineBackup&&) = delete;
  OnlineBackup(const OnlineBackup&) = delete;
  ~OnlineBackup() {
    if (backup_ != nullptr) sqlite3_backup_finish(backup_);
  }

  // Copies every page in one step: one write transaction on the target, so its readers switch
  // from the old content to the new one at a single commit.
  Status CopyAll() {
    int rc = sqlite3_backup_step(backup_, -1);
    if (rc == SQLITE_DONE) return Finish();
    // finish() releases the target's locks and leaves the error on the target connection.
    sqlite3_backup_finish(std::exchange(backup_, nullptr));
    return FromCode(rc, "backup step");
  }

 private:
  OnlineBackup(sqlite3_backup* backup, Database* target)
      : backup_(backup), target_(target) {}

  Status Finish() {
    int rc = sqlite3_backup_finish(std::exchange(backup_, nullptr));
    if (rc == SQLITE_OK) return Status::Ok();
    return FromCode(rc, "backup finish");
  }

  Status FromCode(int rc, std::string_view what) const {
    std::string msg = std::string(what) + ": " + sqlite3_errstr(rc) + ": " + target_->ErrorText();
    switch (rc & 0xff) {
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
        return Status::Unavailable(std::move(msg));
      case SQLITE_IOERR:
      case SQLITE_FULL:
      case SQLITE_READONLY:
        return Status::IoError(std::move(msg));
      case SQLITE_CORRUPT:
      case SQLITE_NOTADB:
        return Status::Corruption(std::move(msg));
      default:
        return Status::Internal(std::move(msg));
    }
  }

  sqlite3_backup* backup_;
  Database* target_;  // not owned
};

}  // namespace

Status CopyDatabase(Database& source, Database& target) {
  HARMONY_ASSIGN_OR_RETURN(OnlineBackup backup, OnlineBackup::Start(target, source));
  return backup.CopyAll();
}

}  // namespace harmony::sqlite
