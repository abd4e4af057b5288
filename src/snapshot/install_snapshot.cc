// InstallSnapshot (declared in snapshot_file.h).
#include <spdlog/spdlog.h>

#include <string>
#include <utility>

#include "snapshot/file_io.h"
#include "snapshot/snapshot_file.h"
#include "sqlite/backup.h"
#include "sqlite/database.h"

namespace harmony::snapshot {
namespace {

constexpr int kBusyTimeoutMs = 10000;

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

  HARMONY_RETURN_IF_ERROR(sqlite::CopyDatabase(source, target));
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
