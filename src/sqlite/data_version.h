// sqlite::DataVersion: has another connection committed since I last looked?
#pragma once

#include <cstdint>

#include "common/result.h"
#include "sqlite/database.h"

namespace harmony::sqlite {

// PRAGMA data_version (sqlite.org/pragma.html#pragma_data_version) on one connection, prepared
// once. Two reads on the same connection give different numbers if any other connection, of
// this process or another, committed a transaction in between; the connection's own commits do
// not change it. A read is one short read transaction: in WAL mode a read-mark lock on the
// -shm file taken and released through SQLite, and page 1 read again after another
// connection's commit.
//
// Why not read the wal-index header from the -shm file directly: a descriptor harmony opens
// itself on a file SQLite locks would, when closed, drop every POSIX advisory lock this process
// holds on that file, including the WAL write lock of a connection in the middle of a
// transaction; another process's commit could then be overwritten (sqlite.org/howtocorrupt.html,
// section 2.2). In the chaos suite that lost committed rows on their own node. Harmony touches
// a database's files only through SQLite.
//
// Not thread-safe: use it on the thread that owns `db`, which must outlive it.
class DataVersion {
 public:
  // Errors: those of preparing the pragma (kIoError and the like from sqlite3_prepare).
  static Result<DataVersion> Prepare(Database& db);

  // The current data version. Errors: SQLITE_BUSY and the like from the read transaction; a
  // caller that only saves work should treat an error as "changed".
  Result<int64_t> Read();

 private:
  explicit DataVersion(Statement stmt) : stmt_(std::move(stmt)) {}
  Statement stmt_;
};

}  // namespace harmony::sqlite
