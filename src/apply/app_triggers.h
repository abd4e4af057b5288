#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "sqlite/database.h"

namespace harmony::apply {

// Whether harmony replicates the local table of this name (the node's include_tables /
// ignore_tables); only asked about ordinary tables. Unset: every ordinary table is replicated.
using IsReplicatedFn = std::function<bool(const std::string& table)>;

// What the application's own triggers on one table do, and so whether they may run when a
// replicated row lands there (issue #10, item 6). A trigger that writes only tables harmony does
// not replicate (an FTS5 index and other virtual tables, ignored tables) keeps derived data the
// origin's triggers kept on the origin: it must run on every node, or that data goes stale (an
// external-content FTS5 index is then corrupt). A trigger that writes a replicated table must not
// run: what it wrote on the origin arrives as replicated rows of its own.
struct TriggerPlan {
  std::vector<std::string> derived;  // triggers writing only unreplicated tables (at least one)
  // Triggers that must not run for replicated rows, each with the reason: they write a
  // replicated table, or write nothing (a check with RAISE that could refuse a row the origin
  // accepted).
  std::vector<std::string> replicated_writers;
  // Run the table's triggers for replicated rows: it has derived triggers and no others.
  bool fire() const { return !derived.empty() && replicated_writers.empty(); }
};

// The application's triggers (not harmony's) by the table they are on, matched as SQLite matches
// names: one scan of sqlite_schema. Errors: SQLite's.
using TriggersByTable = std::map<std::string, std::vector<std::string>, sqlite::IdentifierLess>;
Result<TriggersByTable> ReadAppTriggers(sqlite::Database& db);

// Classifies `triggers` (ReadAppTriggers' entry for `table`) by the tables their bodies write,
// found with an authorizer (https://sqlite.org/c3ref/set_authorizer.html: the 4th argument names
// the trigger responsible) while statements that fire every INSERT, UPDATE and DELETE trigger of
// `table` are prepared, never run. Turns triggers on for that (SQLITE_DBCONFIG_ENABLE_TRIGGER)
// and restores the connection's setting and authorizer. Errors: SQLite's.
Result<TriggerPlan> PlanTriggers(sqlite::Database& db, const std::string& table,
                                 const std::vector<std::string>& triggers,
                                 const IsReplicatedFn& is_replicated);

// Turns every trigger of the connection on or off (SQLITE_DBCONFIG_ENABLE_TRIGGER). SQLite
// expires every prepared statement of the connection when the setting changes; they are prepared
// again at their next step. Errors: SQLite's.
Status SetTriggersEnabled(sqlite::Database& db, bool on);
Result<bool> TriggersEnabled(sqlite::Database& db);

}  // namespace harmony::apply
