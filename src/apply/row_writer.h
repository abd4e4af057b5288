#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "apply/app_triggers.h"
#include "apply/unique_conflicts.h"
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

  // Applies one change by its op (the functions below). When the local table has application
  // triggers that only maintain data harmony does not replicate (an FTS5 index; TriggerPlan),
  // they run as for a local write, inside a savepoint, and what harmony's own capture triggers
  // logged meanwhile (the echo of this change) is removed before the savepoint is released;
  // other triggers never run for replicated rows (issue #10, item 6).
  Status Apply(const change::TableSchema& table, const change::Change& change);

  // Which local tables harmony replicates (for telling derived triggers from others); unset:
  // every ordinary table.
  void set_is_replicated(IsReplicatedFn is_replicated) { is_replicated_ = std::move(is_replicated); }

  // Upsert: insert, or update the listed columns of the row with the same key, leaving columns the
  // sender does not know untouched. Only when another UNIQUE constraint conflicts does it fall back
  // to INSERT OR REPLACE, which deletes the conflicting rows exactly as on the origin. Key columns
  // whose equal values can be spelled differently (a NOCASE or RTRIM key, or a key column of BLOB
  // affinity, where 1 = 1.0) are updated too, so the last writer's spelling wins everywhere.
  Status Upsert(const change::TableSchema& table, const std::vector<Value>& values);
  // Deletes the row with these primary-key values (missing rows are fine).
  Status Delete(const change::TableSchema& table, const std::vector<Value>& pk);
  // Whole-row identity: inserts a row with exactly these values (a copy if identical rows exist).
  Status InsertRow(const change::TableSchema& table, const std::vector<Value>& values);
  // Whole-row identity: inserts a row with exactly these values unless an identical one exists
  // (same storage class and value in every column the sender knows).
  Status EnsureRow(const change::TableSchema& table, const std::vector<Value>& values);
  // Whole-row identity: deletes one row identical to these values (none is fine).
  Status DeleteRow(const change::TableSchema& table, const std::vector<Value>& values);
  // Whole-row identity: makes the table hold exactly `count` rows identical to the values (the
  // count is the last element of `values`, after one per column; change::Op::kRowCopies), adding
  // copies (through the replace guard on a UNIQUE collision, as an insert) or deleting them.
  // Errors: kRejected for a malformed change (set aside); SQLite's.
  Status RowCopies(const change::TableSchema& table, const std::vector<Value>& values);

  // Decides whether an upsert that collides with other rows through a UNIQUE constraint other
  // than the primary key replaces them (true) or is left out (false); gets the keys of those
  // rows (FindUniqueConflicts). Without a guard they are always replaced.
  using ReplaceGuard = std::function<Result<bool>(const change::TableSchema& table,
                                                  const std::vector<std::vector<Value>>& others)>;
  void set_replace_guard(ReplaceGuard guard) { replace_guard_ = std::move(guard); }

  // The local table's UNIQUE indexes besides its key (UniqueIndexesOf), cached until the local
  // schema_version changes. The pointer is valid until the next RefreshSchema.
  Result<const std::vector<UniqueIndex>*> UniqueIndexes(const std::string& table);

  // Drops cached column lists if the schema changed; call at the start of each transaction.
  Status RefreshSchema();
  int64_t schema_version() const { return schema_version_; }

 private:
  enum class Kind {
    kUpsert,
    kReplace,
    kDelete,
    kInsertRow,
    kDeleteRow,
    kEnsureRow,
    kCountRows,
    kDeleteRows
  };
  // Local column name -> declared type of a table (nullopt when there is no such table), names
  // compared as SQLite compares identifiers (a sender may spell a column "Name" where this node
  // has "name": one column; issue #10 item 4).
  using ColumnTypes = std::map<std::string, std::string, sqlite::IdentifierLess>;
  using LocalColumns = std::optional<ColumnTypes>;
  Result<const LocalColumns*> ColumnsOf(const std::string& table);
  Status ApplyOp(const change::TableSchema& table, const change::Change& change);
  // The plan for the application's triggers on `table`, cached until the schema changes; logs
  // once per table when some trigger there cannot run for replicated rows.
  Result<const TriggerPlan*> PlanFor(const std::string& table);
  Status WithTriggers(const std::function<Status()>& op);
  Result<sqlite::Statement*> StatementFor(const change::TableSchema& table, Kind kind);
  Result<std::string> SqlFor(const change::TableSchema& table, Kind kind);
  Status Run(sqlite::Statement* stmt, const std::vector<Value>& values);
  Status InsertOrReplace(const change::TableSchema& table, Kind kind,
                         const std::vector<Value>& values);

  sqlite::Database* db_;  // not owned
  ReplaceGuard replace_guard_;
  int64_t schema_version_ = -1;
  std::map<std::string, sqlite::Statement> statements_;
  std::map<std::string, LocalColumns, sqlite::IdentifierLess> columns_;
  std::map<std::string, std::vector<UniqueIndex>, sqlite::IdentifierLess> unique_indexes_;
  IsReplicatedFn is_replicated_;
  std::optional<TriggersByTable> app_triggers_;  // read once per schema version
  std::map<std::string, TriggerPlan, sqlite::IdentifierLess> plans_;
  std::optional<bool> change_log_exists_;
  std::set<std::string, sqlite::IdentifierLess> warned_triggers_;  // tables already warned about
};

}  // namespace harmony::apply
