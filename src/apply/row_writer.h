#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>

#include "change/change.h"
#include "common/result.h"
#include "sqlite/database.h"

namespace harmony::apply {

// Writes single replicated changes into local tables with cached prepared statements, and knows
// whether the local schema can take a change at all. Not thread-safe; used by the Applier only.
class RowWriter {
 public:
  // "db" must outlive the writer.
  explicit RowWriter(sqlite::Database* db) : db_(db) {}

  // Why the local schema cannot take changes of `table` (a missing table or column), or nullopt
  // when it can. Cached per table until the local schema_version changes.
  Result<std::optional<std::string>> Incompatibility(const change::TableSchema& table);

  // Upsert: insert, or update the listed columns of the row with the same key, leaving columns the
  // sender does not know untouched. Only when another UNIQUE constraint conflicts does it fall back
  // to INSERT OR REPLACE, which deletes the conflicting rows exactly as on the origin.
  Status Upsert(const change::TableSchema& table, const std::vector<Value>& values);
  // Deletes the row with these primary-key values (missing rows are fine).
  Status Delete(const change::TableSchema& table, const std::vector<Value>& pk);

  // Drops cached column lists if the schema changed; call at the start of each transaction.
  Status RefreshSchema();
  int64_t schema_version() const { return schema_version_; }

 private:
  enum class Kind { kUpsert, kReplace, kDelete };
  Result<sqlite::Statement*> StatementFor(const change::TableSchema& table, Kind kind);
  Status Run(sqlite::Statement* stmt, const std::vector<Value>& values);

  sqlite::Database* db_;  // not owned
  int64_t schema_version_ = -1;
  std::map<std::string, sqlite::Statement> statements_;
  std::map<std::string, std::optional<std::set<std::string>>> columns_;  // nullopt: no table
};

}  // namespace harmony::apply
