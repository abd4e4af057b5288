#include "node/database_file.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <system_error>

#include "sqlite/database.h"

namespace harmony::node {
namespace {

namespace fs = std::filesystem;

}  // namespace

Result<bool> PrepareDatabaseFile(const std::string& path, bool snapshots) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    const fs::path dir = fs::absolute(path, ec).parent_path();
    if (!snapshots || !fs::is_directory(dir, ec)) {
      return Status::NotFound("database " + path +
                              " does not exist (db_path must name the application's SQLite file; "
                              "a new node's file is created only in an existing directory, with "
                              "snapshots enabled)");
    }
    sqlite::OpenOptions open;
    open.create = true;
    HARMONY_RETURN_IF_ERROR(sqlite::Database::Open(path, open).status());
    spdlog::info(
        "database {} did not exist: created it empty, to be filled from the newest "
        "snapshot and the stream",
        path);
    return true;
  }
  if (!fs::is_regular_file(path, ec)) {
    return Status::InvalidArgument("database " + path + " is not a regular file");
  }
  return false;
}

Status RefuseUnfilledDatabase(const std::string& path) {
  const std::string context = "check the new database " + path;
  sqlite::OpenOptions open;
  open.busy_timeout_ms = 0;
  Result<sqlite::Database> opened = sqlite::Database::Open(path, open);
  if (opened.status().code() == Status::Code::kUnavailable) {  // SQLITE_BUSY: someone uses it
    spdlog::info(
        "database {} did not exist and the cluster has nothing to fill it from, but another "
        "connection is using it: taking it as the application's new database, the first of a "
        "new cluster",
        path);
    return Status::Ok();
  }
  if (!opened.ok()) return opened.status().WithContext(context);
  sqlite::Database db = std::move(opened).value();
  // In WAL mode every connection that has read the file holds a shared lock on it until it
  // closes; with locking_mode EXCLUSIVE the next transaction needs an exclusive one
  // (sqlite.org/pragma.html#pragma_locking_mode), so it fails while any other connection is open.
  HARMONY_RETURN_IF_ERROR(db.Exec("PRAGMA locking_mode=EXCLUSIVE").WithContext(context));
  Status locked = db.Exec("BEGIN EXCLUSIVE");
  if (locked.code() == Status::Code::kUnavailable) {  // SQLITE_BUSY
    spdlog::info(
        "database {} did not exist and the cluster has nothing to fill it from, but another "
        "connection has it open: taking it as the application's new database, the first of a "
        "new cluster",
        path);
    return Status::Ok();
  }
  HARMONY_RETURN_IF_ERROR(locked.WithContext(context));
  HARMONY_ASSIGN_OR_RETURN(
      int64_t objects,
      db.QueryInt("SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE '\\_\\_harmony%' "
                  "ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"));
  if (objects > 0) {
    spdlog::info(
        "database {} did not exist and the cluster has nothing to fill it from, but the "
        "application has created {} table(s), index(es) or other object(s) in it meanwhile: "
        "the first node of a new cluster starts on it",
        path, objects);
    return db.Exec("COMMIT").WithContext(context);
  }
  // Removed while the exclusive lock keeps every other connection out; the lock goes with the
  // descriptor when `db` closes.
  std::string kept;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::error_code ec;
    if (!fs::remove(path + suffix, ec) && ec)
      kept += "; could not remove " + path + suffix + ": " + ec.message();
  }
  if (!kept.empty()) {
    return Status::NotFound("database " + path +
                            " did not exist, and the cluster has nothing to fill it from: check "
                            "db_path for a typo" +
                            kept);
  }
  return Status::NotFound(
      "database " + path +
      " did not exist, and the cluster has nothing to fill it from (no snapshot, no change in "
      "the streams, no node answered): check db_path for a typo; to start a new cluster on an "
      "empty database, create the file first (an empty file will do); the file harmony created "
      "was removed");
}

}  // namespace harmony::node
