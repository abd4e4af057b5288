#include "sqlite/data_version.h"

#include <utility>

namespace harmony::sqlite {

Result<DataVersion> DataVersion::Prepare(Database& db) {
  HARMONY_ASSIGN_OR_RETURN(Statement stmt, db.Prepare("PRAGMA data_version"));
  return DataVersion(std::move(stmt));
}

Result<int64_t> DataVersion::Read() {
  Result<bool> row = stmt_.Step();
  const int64_t version = row.ok() && *row ? stmt_.ColumnInt(0) : 0;
  stmt_.Reset();  // ends the read transaction
  if (!row.ok()) return row.status();
  if (!*row) return Status::Internal("PRAGMA data_version returned no row");
  return version;
}

}  // namespace harmony::sqlite
