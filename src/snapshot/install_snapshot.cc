// InstallSnapshot (declared in snapshot_file.h).
//
// This file uses sqlite3.h directly for the online backup API, which sqlite::Database does not
// wrap yet; OnlineBackup below is the RAII owner of the sqlite3_backup handle.
// TODO(#5): move OnlineBackup into src/sqlite, the one folder meant to use sqlite3.h raw.
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <string>
#include <utility>

#include "snapshot/file_io.h"
#include "snapshot/snapshot_file.h"
#include "sqlite/database.h"

namespace harmony::snapshot {
namespace {

constexpr int kBusyTimeoutMs = 10000;

// One sqlite3_backup from `source` into `target`'s main database. Both connections must outlive
// it. Move-only; not thread-safe.
class OnlineBackup {
 public:
  static Result<OnlineBackup> Start(sqlite::Database& target, sqlite::Database& source) {
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
  OnlineBackup(sqlite3_backup* backup, sqlite::Database* target)
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
  sqlite::Database* target_;  // not owned
};

Result<std::string> QueryText(sqlite::Database& db, std::string_view sql) {
  HARMONY_ASSIGN_OR_RETURN(sqlite::Statement q, db.Prepare(sql));
  HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return Status::Internal("no row from: " + std::string(sql));
  return q.ColumnText(0);
}

sqlite::OpenOptions PlainOptions(bool read_only) {
  sqlite::OpenOptions options;
  options.read_only = read_only;
  options.create = !read_only;
  options.wal = false;  // journal modes are decided explicitly below
  options.busy_timeout_ms = kBusyTimeoutMs;
  return options;
}

// A WAL database cannot change its page size, and the backup API fails (SQLITE_READONLY) when
// the sizes differ. A rollback-journal copy can: rebuild the source at `page_size` into `path`.
Status RebuildWithPageSize(sqlite::Database& source, const std::string& path, int64_t page_size) {
  for (const std::string& p : WithSqliteSidecars(path)) HARMONY_RETURN_IF_ERROR(RemoveFile(p));
  HARMONY_RETURN_IF_ERROR(source.Exec("VACUUM INTO " + sqlite::QuoteString(path)));
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database copy,
                           sqlite::Database::Open(path, PlainOptions(false)));
  return copy.Exec("PRAGMA journal_mode=DELETE; PRAGMA page_size=" + std::to_string(page_size) +
                   "; VACUUM");
}

Status Install(const std::string& source_db, const std::string& target_path) {
  // Declared first so it runs last, after every connection to the rebuilt file is closed.
  const std::string rebuilt_path = source_db + ".page-size.tmp";
  RemoveOnExit cleanup(WithSqliteSidecars(rebuilt_path));
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database source,
                           sqlite::Database::Open(source_db, PlainOptions(true)));
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database target,
                           sqlite::Database::Open(target_path, PlainOptions(false)));
  HARMONY_ASSIGN_OR_RETURN(std::string mode, QueryText(target, "PRAGMA journal_mode"));
  HARMONY_ASSIGN_OR_RETURN(int64_t source_page, source.QueryInt("PRAGMA page_size"));
  HARMONY_ASSIGN_OR_RETURN(int64_t target_page, target.QueryInt("PRAGMA page_size"));

  if (mode == "wal" && source_page != target_page) {
    spdlog::info("snapshot install: rebuilding {} with page size {} (was {}) to match {}",
                 source_db, target_page, source_page, target_path);
    HARMONY_RETURN_IF_ERROR(RebuildWithPageSize(source, rebuilt_path, target_page));
    HARMONY_ASSIGN_OR_RETURN(source, sqlite::Database::Open(rebuilt_path, PlainOptions(true)));
  }

  {
    HARMONY_ASSIGN_OR_RETURN(OnlineBackup backup, OnlineBackup::Start(target, source));
    HARMONY_RETURN_IF_ERROR(backup.CopyAll());
  }
  if (mode != "wal") {
    HARMONY_ASSIGN_OR_RETURN(std::string now, QueryText(target, "PRAGMA journal_mode=WAL"));
    if (now != "wal") {
      return Status::Unavailable("installed, but could not switch to WAL mode (still " + now +
                                 "; another connection may hold the database)");
    }
  }
  // The backup went into the WAL as one transaction as big as the database; fold it back into
  // the main file where no reader needs the old pages. PASSIVE never waits; what it cannot copy
  // now, the next checkpoint will.
  Status checkpoint = target.Exec("PRAGMA wal_checkpoint(PASSIVE)");
  if (!checkpoint.ok()) {
    spdlog::warn("snapshot installed into {}, but the checkpoint after it failed: {}", target_path,
                 checkpoint.message());
  }
  return Status::Ok();
}

}  // namespace

Status InstallSnapshot(const std::string& source_db, const std::string& target_path) {
  return Install(source_db, target_path)
      .WithContext("install snapshot " + source_db + " into " + target_path);
}

}  // namespace harmony::snapshot
