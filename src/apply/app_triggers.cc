#include "apply/app_triggers.h"

#include <sqlite3.h>

#include <set>

namespace harmony::apply {
namespace {

// What the authorizer saw: for each trigger, the tables its statements write.
struct Writes {
  std::map<std::string, std::set<std::string>, sqlite::IdentifierLess> by_trigger;
};

int Authorize(void* closure, int action, const char* table, const char*, const char*,
              const char* trigger) {
  if (trigger == nullptr || table == nullptr) return SQLITE_OK;
  if (action == SQLITE_INSERT || action == SQLITE_UPDATE || action == SQLITE_DELETE) {
    static_cast<Writes*>(closure)->by_trigger[trigger].insert(table);
  }
  return SQLITE_OK;
}

// Whether harmony replicates `table`: an ordinary table of the main schema, not SQLite's or
// harmony's own, that the node's patterns keep.
Result<bool> Replicated(sqlite::Database& db, const std::string& table,
                        const IsReplicatedFn& is_replicated) {
  if (table.starts_with("sqlite_") || table.starts_with("__harmony")) return false;  // as catalog
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement q,
      db.Prepare("SELECT type FROM pragma_table_list(?1) WHERE schema = 'main'"));
  HARMONY_RETURN_IF_ERROR(q.BindText(1, table));
  HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row || q.ColumnText(0) != "table") return false;  // virtual, shadow, temp, or a view
  return !is_replicated || is_replicated(table);
}

// Prepares (never runs) statements that fire every trigger of `table` with `writes` collecting.
Status PrepareFiringStatements(sqlite::Database& db, const std::string& table, Writes* writes) {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement cols,
      db.Prepare("SELECT name FROM pragma_table_xinfo(?1, 'main') WHERE hidden = 0"));
  HARMONY_RETURN_IF_ERROR(cols.BindText(1, table));
  std::string list, set;
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(bool row, cols.Step());
    if (!row) break;
    const std::string c = sqlite::QuoteIdentifier(cols.ColumnText(0));
    list += (list.empty() ? "" : ", ") + c;
    set += (set.empty() ? "" : ", ") + c + " = " + c;  // every column: UPDATE OF triggers too
  }
  const std::string t = sqlite::QuoteIdentifier(table);
  sqlite3_set_authorizer(db.raw(), Authorize, writes);
  Status s;
  for (const std::string& sql :
       {"INSERT INTO " + t + "(" + list + ") SELECT " + list + " FROM " + t + " WHERE 0",
        "UPDATE " + t + " SET " + set + " WHERE 0", "DELETE FROM " + t + " WHERE 0"}) {
    s = db.Prepare(sql).status();
    if (!s.ok()) break;
  }
  sqlite3_set_authorizer(db.raw(), nullptr, nullptr);
  return s.WithContext("read what the triggers of " + t + " write");
}

}  // namespace

Result<TriggersByTable> ReadAppTriggers(sqlite::Database& db) {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement q,
      // Harmony's own names are exactly "__harmony..." (catalog.h kObjectPrefix); LIKE would also
      // leave out an application's "__Harmony_x".
      db.Prepare("SELECT tbl_name, name FROM sqlite_schema WHERE type = 'trigger' AND "
                 "substr(name, 1, 9) IS NOT '__harmony'"));
  TriggersByTable out;
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out[q.ColumnText(0)].push_back(q.ColumnText(1));
  }
  return out;
}

Result<bool> TriggersEnabled(sqlite::Database& db) {
  int on = 0;
  const int rc = sqlite3_db_config(db.raw(), SQLITE_DBCONFIG_ENABLE_TRIGGER, -1, &on);
  if (rc != SQLITE_OK) return Status::Internal(std::string("read trigger setting: ") + sqlite3_errstr(rc));
  return on != 0;
}

Status SetTriggersEnabled(sqlite::Database& db, bool on) {
  int now = 0;
  const int rc = sqlite3_db_config(db.raw(), SQLITE_DBCONFIG_ENABLE_TRIGGER, on ? 1 : 0, &now);
  if (rc != SQLITE_OK || (now != 0) != on) {
    return Status::Internal(std::string("turn triggers ") + (on ? "on" : "off") + ": " +
                            sqlite3_errstr(rc));
  }
  return Status::Ok();
}

Result<TriggerPlan> PlanTriggers(sqlite::Database& db, const std::string& table,
                                 const std::vector<std::string>& triggers,
                                 const IsReplicatedFn& is_replicated) {
  TriggerPlan plan;
  if (triggers.empty()) return plan;
  HARMONY_ASSIGN_OR_RETURN(bool was_on, TriggersEnabled(db));
  HARMONY_RETURN_IF_ERROR(SetTriggersEnabled(db, true));
  Writes writes;
  Status prepared = PrepareFiringStatements(db, table, &writes);
  HARMONY_RETURN_IF_ERROR(SetTriggersEnabled(db, was_on));
  HARMONY_RETURN_IF_ERROR(prepared);
  // Every trigger the statements compile, nested ones included: a derived trigger that writes an
  // unreplicated table whose own trigger writes a replicated one would write it too.
  std::set<std::string, sqlite::IdentifierLess> writers;
  for (const auto& [trigger, tables] : writes.by_trigger) {
    for (const std::string& written : tables) {
      HARMONY_ASSIGN_OR_RETURN(bool replicated, Replicated(db, written, is_replicated));
      if (!replicated) continue;
      writers.insert(trigger);
      plan.replicated_writers.push_back("trigger \"" + trigger + "\" writes replicated table \"" +
                                        written + "\"");
      break;
    }
  }
  for (const std::string& trigger : triggers) {
    if (writers.count(trigger) != 0) continue;
    if (writes.by_trigger[trigger].empty()) {
      // Writes nothing: a check (RAISE in a WHEN), which the origin passed; run here it could
      // refuse or drop a replicated row the origin accepted (a clock, a lock flag). It must not
      // run, so none of the table's triggers may.
      plan.replicated_writers.push_back("trigger \"" + trigger +
                                        "\" writes no table (a check that may refuse rows)");
      continue;
    }
    plan.derived.push_back(trigger);
  }
  return plan;
}

}  // namespace harmony::apply
