#include "capture/schema_apply.h"

#include <map>
#include <optional>
#include <set>

#include "capture/schema_diff.h"
#include "capture/schema_sync.h"
#include "capture/triggers.h"
#include "state/schema_history.h"

namespace harmony::capture {
namespace {

using change::SchemaStep;
using sqlite::QuoteIdentifier;

struct Existing {
  std::string type;
  std::string name;
  std::string sql;
};

Result<std::optional<Existing>> Find(sqlite::Database& db, const std::string& name) {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement q,
      db.Prepare("SELECT type, name, coalesce(sql, '') FROM sqlite_schema WHERE name = ?1 "
                 "COLLATE NOCASE"));
  HARMONY_RETURN_IF_ERROR(q.BindText(1, name));
  HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return std::optional<Existing>();
  return std::optional<Existing>(Existing{q.ColumnText(0), q.ColumnText(1), q.ColumnText(2)});
}

Result<bool> HasColumn(sqlite::Database& db, const std::string& table, const std::string& column) {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement q,
      db.Prepare("SELECT 1 FROM pragma_table_xinfo(?1, 'main') WHERE name = ?2 COLLATE NOCASE"));
  HARMONY_RETURN_IF_ERROR(q.BindText(1, table));
  HARMONY_RETURN_IF_ERROR(q.BindText(2, column));
  return q.Step();
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Drops harmony's capture triggers on `table` (they name every column, so SQLite refuses to drop
// one while they exist); the install after the steps puts them back.
Status DropCaptureTriggers(sqlite::Database& db, const std::string& table) {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement q,
      db.Prepare("SELECT name FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = ?1 COLLATE "
                 "NOCASE AND name GLOB '__harmony_*'"));
  HARMONY_RETURN_IF_ERROR(q.BindText(1, table));
  std::vector<std::string> names;
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    names.push_back(q.ColumnText(0));
  }
  for (const std::string& n : names) {
    HARMONY_RETURN_IF_ERROR(db.Exec("DROP TRIGGER " + QuoteIdentifier(n)));
  }
  return Status::Ok();
}

enum class Outcome { kDone, kPresent };

// An FTS4/FTS5 table over another table's content (content=...) starts empty here, while on its
// origin the application filled it ('rebuild') or it grew with the rows: fill it from the rows
// this node has, or its triggers' deletes would find nothing to delete and SQLite would call the
// index corrupt. Contentless and self-contained FTS tables are left as they are (a rebuild is
// refused for them, or has nothing to read).
Status FillFullTextIndex(sqlite::Database& db, const SchemaStep& s) {
  std::string lower = s.sql;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const bool fts = lower.find("create virtual table") == 0 &&
                   (lower.find("fts5") != std::string::npos || lower.find("fts4") != std::string::npos);
  if (!fts || lower.find("content") == std::string::npos) return Status::Ok();
  HARMONY_RETURN_IF_ERROR(db.Exec("SAVEPOINT harmony_fts_rebuild"));
  Status rebuilt = db.Exec("INSERT INTO " + QuoteIdentifier(s.name) + "(" + QuoteIdentifier(s.name) +
                           ") VALUES('rebuild')");
  HARMONY_RETURN_IF_ERROR(db.Exec(rebuilt.ok() ? "RELEASE harmony_fts_rebuild"
                                               : "ROLLBACK TO harmony_fts_rebuild"));
  if (!rebuilt.ok()) HARMONY_RETURN_IF_ERROR(db.Exec("RELEASE harmony_fts_rebuild"));
  return Status::Ok();
}

Result<std::vector<std::string>> PlainColumns(sqlite::Database& db, const std::string& table) {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement q,
      db.Prepare("SELECT name FROM pragma_table_xinfo(?1, 'main') WHERE hidden = 0"));
  HARMONY_RETURN_IF_ERROR(q.BindText(1, table));
  std::vector<std::string> out;
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back(q.ColumnText(0));
  }
  return out;
}

// Gives an existing table a new definition keeping its rows, as SQLite documents it: the old
// table set aside under another name (legacy_alter_table on, so that views and triggers naming
// it are not rewritten to that name), the new one created, the rows of the columns both have
// copied, the old one dropped.
Result<Outcome> Rebuild(sqlite::Database& db, const SchemaStep& s) {
  HARMONY_ASSIGN_OR_RETURN(std::optional<Existing> e, Find(db, s.name));
  if (e && e->type == "table" && e->sql == s.sql) return Outcome::kPresent;
  if (!e) {
    HARMONY_RETURN_IF_ERROR(db.Exec(s.sql));
    return Outcome::kDone;
  }
  if (e->type != "table") {
    return Status::InvalidArgument("a " + e->type + " of that name exists here");
  }
  constexpr char kAside[] = "__harmony_rebuild";
  HARMONY_ASSIGN_OR_RETURN(std::vector<std::string> old_columns, PlainColumns(db, e->name));
  HARMONY_RETURN_IF_ERROR(db.Exec("PRAGMA legacy_alter_table = ON"));
  Status renamed = db.Exec("ALTER TABLE " + QuoteIdentifier(e->name) + " RENAME TO " + kAside);
  HARMONY_RETURN_IF_ERROR(db.Exec("PRAGMA legacy_alter_table = OFF"));
  HARMONY_RETURN_IF_ERROR(renamed);
  HARMONY_RETURN_IF_ERROR(db.Exec(s.sql));
  HARMONY_ASSIGN_OR_RETURN(std::vector<std::string> new_columns, PlainColumns(db, s.name));
  std::string common;
  for (const std::string& c : new_columns) {
    for (const std::string& o : old_columns) {
      if (sqlite::SameIdentifier(c, o)) common += (common.empty() ? "" : ", ") + QuoteIdentifier(c);
    }
  }
  if (!common.empty()) {
    HARMONY_RETURN_IF_ERROR(db.Exec("INSERT INTO " + QuoteIdentifier(s.name) + "(" + common +
                                    ") SELECT " + common + " FROM " + kAside));
  }
  HARMONY_RETURN_IF_ERROR(db.Exec(std::string("DROP TABLE ") + kAside));
  return Outcome::kDone;
}

// One step; a Status error is a refusal (conflict) with its reason.
Result<Outcome> Carry(sqlite::Database& db, const SchemaStep& s) {
  switch (s.kind) {
    case SchemaStep::Kind::kCreate: {
      HARMONY_ASSIGN_OR_RETURN(std::optional<Existing> e, Find(db, s.name));
      if (e && e->type == s.type && e->sql == s.sql) return Outcome::kPresent;
      if (e && e->type == s.type && s.type != "table") {
        HARMONY_RETURN_IF_ERROR(db.Exec("DROP " + Upper(s.type) + " " + QuoteIdentifier(e->name)));
      } else if (e) {
        return Status::InvalidArgument("a " + e->type + " of that name exists here with other SQL");
      }
      HARMONY_RETURN_IF_ERROR(db.Exec(s.sql));
      HARMONY_RETURN_IF_ERROR(FillFullTextIndex(db, s));
      return Outcome::kDone;
    }
    case SchemaStep::Kind::kDrop: {
      HARMONY_ASSIGN_OR_RETURN(std::optional<Existing> e, Find(db, s.name));
      if (!e || e->type != s.type) return Outcome::kPresent;
      HARMONY_RETURN_IF_ERROR(db.Exec("DROP " + Upper(s.type) + " " + QuoteIdentifier(e->name)));
      return Outcome::kDone;
    }
    case SchemaStep::Kind::kRenameTable: {
      HARMONY_ASSIGN_OR_RETURN(std::optional<Existing> from, Find(db, s.table));
      HARMONY_ASSIGN_OR_RETURN(std::optional<Existing> to, Find(db, s.name));
      const bool same = sqlite::SameIdentifier(s.table, s.name);  // a case-only rename
      if (!from && to) return Outcome::kPresent;
      if (from && from->name == s.name) return Outcome::kPresent;
      if (!from || (to && !same)) {
        return Status::InvalidArgument(!from ? "no such table here"
                                             : "a " + to->type + " of the new name exists here");
      }
      HARMONY_RETURN_IF_ERROR(db.Exec("ALTER TABLE " + QuoteIdentifier(from->name) +
                                      " RENAME TO " + QuoteIdentifier(s.name)));
      return Outcome::kDone;
    }
    case SchemaStep::Kind::kRenameColumn: {
      HARMONY_ASSIGN_OR_RETURN(bool has_old, HasColumn(db, s.table, s.old_name));
      HARMONY_ASSIGN_OR_RETURN(bool has_new, HasColumn(db, s.table, s.name));
      const bool same = sqlite::SameIdentifier(s.old_name, s.name);
      if (has_new && (!has_old || same)) {
        if (!same) return Outcome::kPresent;
      }
      if (!has_old) return Status::InvalidArgument("no such column here");
      if (has_new && !same) return Status::InvalidArgument("a column of the new name exists here");
      // SQLite writes the new name into the CREATE statement as the ALTER spells it: unquoted
      // where it can be, as most applications write it, so both nodes end with the same text.
      const bool spelled = !s.sql.empty() && LeadingIdentifier(s.sql) == s.name &&
                           LeadingToken(s.sql) == s.sql;
      HARMONY_RETURN_IF_ERROR(db.Exec("ALTER TABLE " + QuoteIdentifier(s.table) + " RENAME COLUMN " +
                                      QuoteIdentifier(s.old_name) + " TO " +
                                      (spelled ? s.sql : sqlite::QuoteIdentifierIfNeeded(s.name))));
      return Outcome::kDone;
    }
    case SchemaStep::Kind::kAddColumn: {
      HARMONY_ASSIGN_OR_RETURN(std::optional<Existing> t, Find(db, s.table));
      if (!t || t->type != "table") return Status::InvalidArgument("no such table here");
      HARMONY_ASSIGN_OR_RETURN(bool has, HasColumn(db, s.table, s.name));
      if (has) {
        // Added here too: by the same change, or by another one made at the same time (both
        // nodes added the column before either saw the other's). Different definitions are a
        // conflict to report, never silently kept apart.
        std::string here;
        for (const std::string& d : ColumnDefinitions(t->sql)) {
          if (sqlite::SameIdentifier(LeadingIdentifier(d), s.name)) here = d;
        }
        if (here.empty() || here == s.sql) return Outcome::kPresent;
        return Status::InvalidArgument("the column exists here as `" + here + "`, the origin added `" +
                                       s.sql + "`");
      }
      HARMONY_RETURN_IF_ERROR(
          db.Exec("ALTER TABLE " + QuoteIdentifier(t->name) + " ADD COLUMN " + s.sql));
      return Outcome::kDone;
    }
    case SchemaStep::Kind::kDropColumn: {
      HARMONY_ASSIGN_OR_RETURN(std::optional<Existing> t, Find(db, s.table));
      if (!t || t->type != "table") return Outcome::kPresent;
      HARMONY_ASSIGN_OR_RETURN(bool has, HasColumn(db, s.table, s.name));
      if (!has) return Outcome::kPresent;
      HARMONY_RETURN_IF_ERROR(DropCaptureTriggers(db, t->name));
      HARMONY_RETURN_IF_ERROR(db.Exec("ALTER TABLE " + QuoteIdentifier(t->name) + " DROP COLUMN " +
                                      QuoteIdentifier(s.name)));
      return Outcome::kDone;
    }
    case SchemaStep::Kind::kRebuildTable:
      return Rebuild(db, s);
  }
  return Status::Internal("unknown schema step");
}

std::string Describe(const SchemaStep& s) {
  switch (s.kind) {
    case SchemaStep::Kind::kCreate:
      return "create " + s.type + " \"" + s.name + "\"";
    case SchemaStep::Kind::kDrop:
      return "drop " + s.type + " \"" + s.name + "\"";
    case SchemaStep::Kind::kRenameTable:
      return "rename table \"" + s.table + "\" to \"" + s.name + "\"";
    case SchemaStep::Kind::kAddColumn:
      return "add column \"" + s.name + "\" to \"" + s.table + "\"";
    case SchemaStep::Kind::kRenameColumn:
      return "rename column \"" + s.table + "\".\"" + s.old_name + "\" to \"" + s.name + "\"";
    case SchemaStep::Kind::kDropColumn:
      return "drop column \"" + s.table + "\".\"" + s.name + "\"";
    case SchemaStep::Kind::kRebuildTable:
      return "rebuild table \"" + s.name + "\"";
  }
  return "?";
}

using Key = std::pair<std::string, std::string>;  // type, name (as stored)

std::map<Key, SchemaObject> Keyed(const std::vector<SchemaObject>& objects) {
  std::map<Key, SchemaObject> out;
  for (const SchemaObject& o : objects) out[{o.type, o.name}] = o;
  return out;
}

}  // namespace

Result<SchemaApplyResult> ApplySchemaChange(sqlite::Database& db, const change::SchemaChange& change,
                                            const SchemaApplyOptions& options) {
  SchemaApplyResult result;
  HARMONY_ASSIGN_OR_RETURN(std::vector<SchemaObject> before,
                           ReadSchemaObjects(db, options.catalog));
  std::vector<state::HistoryEntry> implied;  // columns rebuilt tables no longer have
  for (const SchemaStep& step : change.steps) {
    HARMONY_RETURN_IF_ERROR(db.Exec("SAVEPOINT harmony_schema_step"));
    std::vector<std::string> columns_before;
    if (step.kind == SchemaStep::Kind::kRebuildTable) {
      HARMONY_ASSIGN_OR_RETURN(columns_before, PlainColumns(db, step.name));
    }
    Result<Outcome> outcome = Carry(db, step);
    if (outcome.ok()) {
      if (step.kind == SchemaStep::Kind::kRebuildTable) {
        HARMONY_ASSIGN_OR_RETURN(std::vector<std::string> columns_after,
                                 PlainColumns(db, step.name));
        for (state::HistoryEntry& e :
             state::DroppedColumns(change.id, step.name, columns_before, columns_after)) {
          implied.push_back(std::move(e));
        }
      }
      HARMONY_RETURN_IF_ERROR(db.Exec("RELEASE harmony_schema_step"));
      (*outcome == Outcome::kDone ? result.steps_done : result.steps_present)++;
      if (step.kind == SchemaStep::Kind::kDrop && step.type == "table") {
        result.dropped_tables.push_back(step.name);
      }
      continue;
    }
    HARMONY_RETURN_IF_ERROR(db.Exec("ROLLBACK TO harmony_schema_step"));
    HARMONY_RETURN_IF_ERROR(db.Exec("RELEASE harmony_schema_step"));
    const Status::Code code = outcome.status().code();
    if (code == Status::Code::kUnavailable || code == Status::Code::kCorruption ||
        code == Status::Code::kIoError) {
      return outcome.status().WithContext(Describe(step));  // worth retrying, or fatal
    }
    result.conflicts.push_back(Describe(step) + ": " + outcome.status().message());
  }
  if (options.install_triggers && result.steps_done > 0) {
    HARMONY_RETURN_IF_ERROR(FollowShapesInTransaction(db, options.catalog));
  }
  HARMONY_RETURN_IF_ERROR(state::RecordSchemaChange(db, change));
  HARMONY_RETURN_IF_ERROR(state::RecordHistoryEntries(db, implied));
  // The stored reading takes exactly what changed between the two live readings.
  HARMONY_ASSIGN_OR_RETURN(std::vector<SchemaObject> after, ReadSchemaObjects(db, options.catalog));
  HARMONY_ASSIGN_OR_RETURN(std::optional<std::vector<SchemaObject>> stored, LoadSchemaReading(db));
  std::map<Key, SchemaObject> merged = Keyed(stored ? *stored : before);
  const std::map<Key, SchemaObject> kept = merged;
  const std::map<Key, SchemaObject> old_live = Keyed(before), new_live = Keyed(after);
  // An object the application changed here and capture has not read yet (the stored reading and
  // the live one before this change differ) keeps its stored reading, so that capture still
  // finds and sends the application's change.
  auto pending_here = [&](const Key& key) {
    auto s = kept.find(key);
    auto b = old_live.find(key);
    if ((s == kept.end()) != (b == old_live.end())) return true;
    if (s == kept.end()) return false;
    return s->second.sql != b->second.sql || s->second.columns != b->second.columns;
  };
  for (const auto& [key, o] : old_live) {
    if (!new_live.count(key) && !pending_here(key)) merged.erase(key);
  }
  for (const auto& [key, o] : new_live) {
    auto it = old_live.find(key);
    if ((it == old_live.end() || !(it->second == o)) && !pending_here(key)) merged[key] = o;
  }
  std::vector<SchemaObject> reading;
  for (auto& [key, o] : merged) reading.push_back(std::move(o));
  HARMONY_RETURN_IF_ERROR(StoreSchemaReading(db, reading));
  return result;
}

}  // namespace harmony::capture
