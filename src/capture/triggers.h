#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "change/change.h"
#include "common/result.h"
#include "sqlite/database.h"

namespace harmony::capture {

// A user table with the capture triggers of one shape of it. `tid` names that shape: it changes
// whenever the table's columns or primary key change, so every change-log row says exactly which
// columns its values belong to.
struct TrackedTable {
  enum class Install {
    kUnchanged,  // same shape, triggers in place
    kNew,        // no shape was registered for this table name
    kReshaped,   // columns or key changed: new shape, triggers replaced
    kRepaired,   // same shape, but some of its triggers were missing (and changes with them)
  };
  int64_t tid = 0;
  change::TableSchema schema;
  Install install = Install::kUnchanged;
  std::vector<int64_t> retired_tids;   // kReshaped: the shape(s) this one replaced
  bool triggers_were_missing = false;  // kRepaired, or kReshaped after triggers were dropped
  // Some key column can hold NULL (a rowid table's key that is not INTEGER PRIMARY KEY and not
  // NOT NULL). SQLite treats each such row as distinct, so UPDATE and DELETE of a row whose old
  // key has a NULL get their own triggers that log the whole old row (LogOp::kDeleteRow).
  bool key_may_be_null = false;
};

// The CREATE TRIGGER statements for one tracked table (exposed for tests and docs): insert,
// update and delete, and with key_may_be_null update_null_key and delete_null_key, whose WHEN
// clauses split updates and deletes by whether the old key has a NULL.
//
// Trigger bodies stay plain INSERTs of column references (no function calls) so that they run
// with trusted_schema=OFF.
std::string TriggerSql(const TrackedTable& table);

// Makes the database track exactly `tables`: creates harmony's tables, reuses the shape of a table
// that did not change, registers a new shape (and replaces its triggers) for one that did, and
// drops triggers of tables no longer listed. Runs in one IMMEDIATE transaction, so no application
// commit falls between an old trigger and its replacement.
Result<std::vector<TrackedTable>> InstallTriggers(sqlite::Database& db,
                                                  const std::vector<change::TableSchema>& tables);
// The same inside a transaction the caller holds.
Result<std::vector<TrackedTable>> InstallTriggersInTransaction(
    sqlite::Database& db, const std::vector<change::TableSchema>& tables);

// Drops every capture trigger (publish = false: nothing local is captured).
Status RemoveTriggers(sqlite::Database& db);

// Loads one registered shape by tid; NotFound if the tid is unknown.
Result<change::TableSchema> LoadShape(sqlite::Database& db, int64_t tid);

}  // namespace harmony::capture
