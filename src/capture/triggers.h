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
  int64_t tid = 0;
  change::TableSchema schema;
};

// The three CREATE TRIGGER statements for one tracked table (exposed for tests and docs).
std::string TriggerSql(const TrackedTable& table);

// Makes the database track exactly `tables`: creates harmony's tables, reuses the shape of a table
// that did not change, registers a new shape (and replaces its triggers) for one that did, and
// drops triggers of tables no longer listed. Runs in one IMMEDIATE transaction, so no application
// commit falls between an old trigger and its replacement.
Result<std::vector<TrackedTable>> InstallTriggers(sqlite::Database& db,
                                                  const std::vector<change::TableSchema>& tables);

// Drops every capture trigger (publish = false: nothing local is captured).
Status RemoveTriggers(sqlite::Database& db);

// Loads one registered shape by tid; NotFound if the tid is unknown.
Result<change::TableSchema> LoadShape(sqlite::Database& db, int64_t tid);

}  // namespace harmony::capture
