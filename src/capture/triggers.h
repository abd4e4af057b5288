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
  std::vector<int64_t> retired_tids;  // kReshaped: the shape(s) this one replaced
  bool triggers_were_missing = false;  // kRepaired, or kReshaped after triggers were dropped
};

// The three CREATE TRIGGER statements for one tracked table (exposed for tests and docs).
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
