// sqlite_lock_probe write|checkpoint|hold DB: the child process of lock_probe.h. write and
// checkpoint exit 0 if they got through, 10 if another process's lock blocked them. hold opens
// DB, reads it (so SQLite holds its shared lock, as an application's idle connection does),
// prints "ready" and keeps the connection until its standard input ends, then exits 0. Any other
// failure exits 2 with a message on stderr.
#include <sqlite3.h>

#include <cstdio>
#include <cstring>

namespace {

constexpr int kPassed = 0;
constexpr int kBlocked = 10;
constexpr int kFailed = 2;

int Fail(sqlite3* db, const char* what) {
  std::fprintf(stderr, "sqlite_lock_probe: %s: %s\n", what, db ? sqlite3_errmsg(db) : "no memory");
  sqlite3_close(db);
  return kFailed;
}

bool IsBusy(int rc) { return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED; }

}  // namespace

int main(int argc, char** argv) {
  const bool known =
      argc == 3 && (std::strcmp(argv[1], "write") == 0 || std::strcmp(argv[1], "checkpoint") == 0 ||
                    std::strcmp(argv[1], "hold") == 0);
  if (!known) {
    std::fprintf(stderr, "usage: sqlite_lock_probe write|checkpoint|hold DB\n");
    return kFailed;
  }
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(argv[2], &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    return Fail(db, "open");
  }
  sqlite3_busy_timeout(db, 0);
  if (std::strcmp(argv[1], "hold") == 0) {
    if (sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr) !=
        SQLITE_OK) {
      return Fail(db, "read");
    }
    std::printf("ready\n");
    std::fflush(stdout);
    while (std::getchar() != EOF) {
    }
    sqlite3_close(db);
    return kPassed;
  }
  if (std::strcmp(argv[1], "write") == 0) {
    const int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    if (IsBusy(rc)) {
      sqlite3_close(db);
      return kBlocked;
    }
    if (rc != SQLITE_OK) return Fail(db, "BEGIN IMMEDIATE");
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    return kPassed;
  }
  // The first column of wal_checkpoint is 1 when a lock kept it from finishing.
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, "PRAGMA wal_checkpoint(TRUNCATE)", -1, &stmt, nullptr);
  if (rc != SQLITE_OK) return Fail(db, "prepare wal_checkpoint");
  rc = sqlite3_step(stmt);
  const bool blocked = IsBusy(rc) || (rc == SQLITE_ROW && sqlite3_column_int(stmt, 0) != 0);
  const bool failed = !blocked && rc != SQLITE_ROW;
  sqlite3_finalize(stmt);
  if (failed) return Fail(db, "wal_checkpoint");
  sqlite3_close(db);
  return blocked ? kBlocked : kPassed;
}
