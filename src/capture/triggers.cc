#include "capture/triggers.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "capture/backfill.h"
#include "capture/catalog.h"
#include "capture/change_log.h"

namespace harmony::capture {
namespace {

using sqlite::QuoteIdentifier;

std::string TriggerName(int64_t tid, const char* kind) {
  return "__harmony_" + std::to_string(tid) + "_" + kind;
}

// "k0, k1" / "OLD.\"id\", ..." helpers.
std::string List(size_t n, const std::string& prefix) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    if (i) out += ", ";
    out += prefix + std::to_string(i);
  }
  return out;
}

std::string Refs(const change::TableSchema& t, const std::vector<uint32_t>& indexes,
                 const char* row) {
  std::string out;
  for (size_t i = 0; i < indexes.size(); ++i) {
    if (i) out += ", ";
    out += std::string(row) + "." + QuoteIdentifier(t.columns[indexes[i]]);
  }
  return out;
}

std::vector<uint32_t> AllColumns(const change::TableSchema& t) {
  std::vector<uint32_t> all(t.columns.size());
  for (uint32_t i = 0; i < all.size(); ++i) all[i] = i;
  return all;
}

constexpr const char* kBaseKinds[] = {"insert", "update", "delete"};
constexpr const char* kNullKeyKinds[] = {"update_null_key", "delete_null_key"};

constexpr const char* kAllKinds[] = {"insert", "update", "delete", "update_null_key",
                                     "delete_null_key"};

// Harmony's triggers that exist, by name: read from sqlite_schema once per install and kept up
// to date as triggers are dropped and created. sqlite_schema has no index, so asking it about
// each trigger of each table was quadratic in the number of tables (issue #10, item 5).
class ExistingTriggers {
 public:
  static Result<ExistingTriggers> Load(sqlite::Database& db) {
    HARMONY_ASSIGN_OR_RETURN(
        sqlite::Statement q,
        db.Prepare("SELECT name, tbl_name FROM sqlite_schema WHERE type = 'trigger' AND "
                   "name LIKE '\\_\\_harmony\\_%' ESCAPE '\\'"));
    ExistingTriggers out;
    while (true) {
      HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      out.names_.insert(q.ColumnText(0));
      out.table_of_[q.ColumnText(0)] = q.ColumnText(1);
    }
    return out;
  }

  // Drops the triggers of shape `tid` that sit on another table than `table`: RENAME TABLE took
  // them along, and a new table now has the old name (they capture the renamed table, not it).
  // Returns whether there were any.
  Result<bool> DropMisplaced(sqlite::Database& db, int64_t tid, const std::string& table) {
    bool dropped = false;
    for (const char* kind : kAllKinds) {
      const std::string name = TriggerName(tid, kind);
      auto it = table_of_.find(name);
      if (it == table_of_.end() || sqlite::SameIdentifier(it->second, table)) continue;
      names_.erase(name);
      table_of_.erase(it);
      HARMONY_RETURN_IF_ERROR(db.Exec("DROP TRIGGER IF EXISTS " + QuoteIdentifier(name)));
      dropped = true;
    }
    return dropped;
  }

  // How many of the triggers of `kinds` exist for shape `tid`.
  template <size_t N>
  int Count(int64_t tid, const char* const (&kinds)[N]) const {
    int count = 0;
    for (const char* kind : kinds) count += names_.count(TriggerName(tid, kind)) ? 1 : 0;
    return count;
  }

  Status Drop(sqlite::Database& db, int64_t tid) {
    for (const char* kind : kAllKinds) {
      const std::string name = TriggerName(tid, kind);
      if (names_.erase(name) == 0) continue;
      HARMONY_RETURN_IF_ERROR(db.Exec("DROP TRIGGER IF EXISTS " + QuoteIdentifier(name)));
    }
    return Status::Ok();
  }

  void Created(int64_t tid, bool null_key) {
    for (const char* kind : kBaseKinds) names_.insert(TriggerName(tid, kind));
    if (null_key) {
      for (const char* kind : kNullKeyKinds) names_.insert(TriggerName(tid, kind));
    }
  }

  // Whether the triggers of `table` are exactly the ones TriggerSql creates for it.
  bool Complete(const TrackedTable& table) const {
    return Count(table.tid, kBaseKinds) == 3 &&
           Count(table.tid, kNullKeyKinds) == (table.key_may_be_null ? 2 : 0);
  }

 private:
  std::set<std::string> names_;
  std::map<std::string, std::string> table_of_;  // trigger -> the table it sits on
};

// See TrackedTable::key_may_be_null. A rowid alias has no key index (and is never NULL);
// WITHOUT ROWID tables make every key column NOT NULL.
Result<bool> KeyMayBeNull(sqlite::Database& db, const change::TableSchema& t) {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement q,
      db.Prepare(
          "SELECT (SELECT wr FROM pragma_table_list(?1) WHERE schema = 'main') = 0 AND "
          "EXISTS(SELECT 1 FROM pragma_index_list(?1, 'main') WHERE origin = 'pk') AND "
          "EXISTS(SELECT 1 FROM pragma_table_xinfo(?1, 'main') WHERE pk > 0 AND "
          "\"notnull\" = 0)"));
  HARMONY_RETURN_IF_ERROR(q.BindText(1, t.name));
  HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
  return row && q.ColumnInt(0) != 0;
}

Result<int64_t> RegisterShape(sqlite::Database& db, const change::TableSchema& t) {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement ins,
      db.Prepare("INSERT INTO __harmony_tables(name, active, one_shard) VALUES(?1, 1, ?2) "
                 "RETURNING tid"));
  HARMONY_RETURN_IF_ERROR(ins.BindText(1, t.name));
  HARMONY_RETURN_IF_ERROR(ins.BindInt(2, t.one_shard ? 1 : 0));
  HARMONY_ASSIGN_OR_RETURN(bool row, ins.Step());
  if (!row) return Status::Internal("register table " + t.name + ": no tid returned");
  int64_t tid = ins.ColumnInt(0);
  ins.Reset();
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement col,
      db.Prepare("INSERT INTO __harmony_columns(tid, idx, name, pk_pos, collation) "
                 "VALUES(?1, ?2, ?3, ?4, ?5)"));
  for (size_t i = 0; i < t.columns.size(); ++i) {
    auto pk_it = std::find(t.pk.begin(), t.pk.end(), static_cast<uint32_t>(i));
    HARMONY_RETURN_IF_ERROR(col.BindInt(1, tid));
    HARMONY_RETURN_IF_ERROR(col.BindInt(2, static_cast<int64_t>(i)));
    HARMONY_RETURN_IF_ERROR(col.BindText(3, t.columns[i]));
    HARMONY_RETURN_IF_ERROR(
        col.Bind(4, pk_it == t.pk.end() ? Value{Null{}} : Value{int64_t(pk_it - t.pk.begin())}));
    HARMONY_RETURN_IF_ERROR(col.Bind(
        5, pk_it == t.pk.end() ? Value{Null{}}
                               : Value{Text{change::CollationName(t.KeyCollation(pk_it - t.pk.begin()))}}));
    HARMONY_RETURN_IF_ERROR(col.Run());
  }
  return tid;
}

}  // namespace

std::string TriggerSql(const TrackedTable& table) {
  const change::TableSchema& t = table.schema;
  const std::string tid = std::to_string(table.tid);
  const std::string into = " INSERT INTO " + std::string(kChangeLogTable) + "(tid, op";
  const std::string ncols = List(t.columns.size(), "c");
  const std::string nkeys = List(t.pk.size(), "k");
  auto create = [&](const char* kind, const char* event, const std::string& when) {
    return "CREATE TRIGGER " + QuoteIdentifier(TriggerName(table.tid, kind)) + " AFTER " + event +
           " ON " + QuoteIdentifier(t.name) + when + " BEGIN";
  };
  // "OLD."a" IS NULL OR OLD."b" IS NULL": the old row has no identity by key.
  std::string old_key_null;
  for (size_t i = 0; i < t.pk.size(); ++i) {
    old_key_null += (i ? " OR OLD." : "OLD.") + QuoteIdentifier(t.columns[t.pk[i]]) + " IS NULL";
  }
  const std::string keyed = table.key_may_be_null ? " WHEN NOT (" + old_key_null + ")" : "";
  const std::string log_old_row =
      into + ", " + ncols + ") VALUES(" + tid + ", 4, " + Refs(t, AllColumns(t), "OLD") + ");";
  const std::string log_new_row =
      into + ", " + ncols + ") VALUES(" + tid + ", 1, " + Refs(t, AllColumns(t), "NEW") + ");";
  std::string sql;
  sql += create("insert", "INSERT", "") + log_new_row + " END;\n";
  if (t.pk.empty()) {
    // No key at all: every row has whole-row identity, as a row with a NULL key has below.
    sql += create("update", "UPDATE", "") + log_old_row + log_new_row + " END;\n";
    sql += create("delete", "DELETE", "") + log_old_row + " END;\n";
    return sql;
  }
  sql += create("update", "UPDATE", keyed) + into + ", " + nkeys + ", " + ncols + ") VALUES(" +
         tid + ", 2, " + Refs(t, t.pk, "OLD") + ", " + Refs(t, AllColumns(t), "NEW") + "); END;\n";
  sql += create("delete", "DELETE", keyed) + into + ", " + nkeys + ") VALUES(" + tid + ", 3, " +
         Refs(t, t.pk, "OLD") + "); END;\n";
  if (table.key_may_be_null) {
    // An update of such a row is the removal of the old row and the insertion of the new one,
    // logged in this order inside the application's statement.
    const std::string when = " WHEN " + old_key_null;
    sql += create("update_null_key", "UPDATE", when) + log_old_row + log_new_row + " END;\n";
    sql += create("delete_null_key", "DELETE", when) + log_old_row + " END;\n";
  }
  return sql;
}

Result<change::TableSchema> LoadShape(sqlite::Database& db, int64_t tid) {
  HARMONY_ASSIGN_OR_RETURN(sqlite::Statement name_q,
                           db.Prepare("SELECT name, one_shard FROM __harmony_tables WHERE tid = ?1"));
  HARMONY_RETURN_IF_ERROR(name_q.BindInt(1, tid));
  HARMONY_ASSIGN_OR_RETURN(bool found, name_q.Step());
  if (!found) return Status::NotFound("table shape " + std::to_string(tid) + " is not registered");
  change::TableSchema t;
  t.name = name_q.ColumnText(0);
  t.one_shard = !name_q.ColumnIsNull(1) && name_q.ColumnInt(1) != 0;
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement cols,
      db.Prepare("SELECT name, pk_pos, collation FROM __harmony_columns WHERE tid = ?1 "
                 "ORDER BY idx"));
  HARMONY_RETURN_IF_ERROR(cols.BindInt(1, tid));
  std::map<int64_t, std::pair<uint32_t, change::Collation>> pk;
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(bool row, cols.Step());
    if (!row) break;
    if (!cols.ColumnIsNull(1)) {
      const std::string name = cols.ColumnIsNull(2) ? "" : cols.ColumnText(2);
      std::optional<change::Collation> collation = change::CollationNamed(name);
      if (!collation) {
        return Status::Corruption("table shape " + std::to_string(tid) + ": unknown collation " +
                                  name);
      }
      pk[cols.ColumnInt(1)] = {static_cast<uint32_t>(t.columns.size()), *collation};
    }
    t.columns.push_back(cols.ColumnText(0));
  }
  for (const auto& [pos, key] : pk) {
    t.pk.push_back(key.first);
    t.pk_collations.push_back(key.second);
  }
  return t;
}

Result<std::vector<TrackedTable>> InstallTriggers(sqlite::Database& db,
                                                  const std::vector<change::TableSchema>& tables) {
  HARMONY_ASSIGN_OR_RETURN(auto tx,
                           sqlite::Transaction::Begin(db, sqlite::Transaction::Mode::kImmediate));
  HARMONY_ASSIGN_OR_RETURN(std::vector<TrackedTable> tracked,
                           InstallTriggersInTransaction(db, tables));
  HARMONY_RETURN_IF_ERROR(tx.Commit());
  return tracked;
}

Result<std::vector<TrackedTable>> InstallTriggersInTransaction(
    sqlite::Database& db, const std::vector<change::TableSchema>& tables) {
  HARMONY_RETURN_IF_ERROR(CreateLogTables(db));
  HARMONY_ASSIGN_OR_RETURN(ExistingTriggers existing, ExistingTriggers::Load(db));

  // Active shapes by table name.
  std::map<std::string, int64_t> active;
  {
    HARMONY_ASSIGN_OR_RETURN(sqlite::Statement q,
                             db.Prepare("SELECT name, tid FROM __harmony_tables WHERE active = 1"));
    while (true) {
      HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      active[q.ColumnText(0)] = q.ColumnInt(1);
    }
  }
  HARMONY_ASSIGN_OR_RETURN(sqlite::Statement retire,
                           db.Prepare("UPDATE __harmony_tables SET active = 0 WHERE tid = ?1"));

  std::vector<TrackedTable> tracked;
  LogWidth want;
  for (const change::TableSchema& t : tables) {
    want.key_columns = std::max<int>(want.key_columns, static_cast<int>(t.pk.size()));
    want.value_columns = std::max<int>(want.value_columns, static_cast<int>(t.columns.size()));
    auto it = active.find(t.name);
    TrackedTable entry;
    entry.schema = t;
    entry.install = TrackedTable::Install::kNew;
    HARMONY_ASSIGN_OR_RETURN(entry.key_may_be_null, KeyMayBeNull(db, t));
    if (it != active.end()) {
      HARMONY_ASSIGN_OR_RETURN(change::TableSchema old, LoadShape(db, it->second));
      // Triggers of this name's shape that moved to another table with RENAME TABLE: the
      // changes they logged belong to that table, under this shape (sent before the rename, so
      // they land where the other nodes still have it under this name), not to this new table.
      HARMONY_ASSIGN_OR_RETURN(bool moved, existing.DropMisplaced(db, it->second, t.name));
      // Only a missing base trigger lost changes; missing null-key triggers (a log installed by
      // an older build) are simply added, replacing the old unconditional ones.
      const int triggers = existing.Count(it->second, kBaseKinds);
      int64_t tid = it->second;
      active.erase(it);
      entry.triggers_were_missing = triggers != 3;
      // A UNIQUE index created or dropped moves the table's changes between shards: a new shape.
      if (old == t && old.one_shard == t.one_shard) {
        entry.tid = tid;
        entry.install =
            triggers == 3 ? TrackedTable::Install::kUnchanged : TrackedTable::Install::kRepaired;
        tracked.push_back(std::move(entry));
        continue;
      }
      HARMONY_RETURN_IF_ERROR(existing.Drop(db, tid));
      HARMONY_RETURN_IF_ERROR(retire.BindInt(1, tid));
      HARMONY_RETURN_IF_ERROR(retire.Run());
      entry.install = TrackedTable::Install::kReshaped;
      if (moved) {
        entry.triggers_were_missing = true;  // a new table: backfilled, nothing re-captured
      } else {
        entry.retired_tids.push_back(tid);
      }
    }
    HARMONY_ASSIGN_OR_RETURN(entry.tid, RegisterShape(db, t));
    tracked.push_back(std::move(entry));
  }
  HARMONY_RETURN_IF_ERROR(WidenLog(db, want));
  // Triggers are created after the log is wide enough for them to be valid.
  for (const TrackedTable& table : tracked) {
    if (existing.Complete(table)) continue;
    HARMONY_RETURN_IF_ERROR(existing.Drop(db, table.tid));
    HARMONY_RETURN_IF_ERROR(
        db.Exec(TriggerSql(table)).WithContext("install triggers on " + table.schema.name));
    existing.Created(table.tid, table.key_may_be_null);
  }
  // Tables that disappeared or are no longer tracked.
  for (const auto& [name, tid] : active) {
    HARMONY_RETURN_IF_ERROR(existing.Drop(db, tid));
    HARMONY_RETURN_IF_ERROR(retire.BindInt(1, tid));
    HARMONY_RETURN_IF_ERROR(retire.Run());
  }
  return tracked;
}

Status RemoveTriggers(sqlite::Database& db) {
  HARMONY_ASSIGN_OR_RETURN(auto tx,
                           sqlite::Transaction::Begin(db, sqlite::Transaction::Mode::kImmediate));
  HARMONY_RETURN_IF_ERROR(CreateLogTables(db));
  HARMONY_ASSIGN_OR_RETURN(sqlite::Statement list,
                           db.Prepare("SELECT name FROM sqlite_schema WHERE type = 'trigger' AND "
                                      "name LIKE '\\_\\_harmony\\_%' ESCAPE '\\'"));
  std::vector<std::string> names;
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(bool row, list.Step());
    if (!row) break;
    names.push_back(list.ColumnText(0));
  }
  list.Reset();
  for (const std::string& name : names) {
    HARMONY_RETURN_IF_ERROR(db.Exec("DROP TRIGGER IF EXISTS " + QuoteIdentifier(name)));
  }
  // Shapes stay registered: the log may still hold rows that refer to them.
  HARMONY_RETURN_IF_ERROR(db.Exec("UPDATE __harmony_tables SET active = 0"));
  // So that publishing again later does not send every row as new (backfill.h).
  HARMONY_RETURN_IF_ERROR(MarkCaptureRemoved(db));
  // The schema reading assumed the triggers (a table whose triggers vanish reads as dropped and
  // created again): a later capture starts from a fresh reading instead.
  HARMONY_RETURN_IF_ERROR(db.Exec("DROP TABLE IF EXISTS __harmony_schema"));
  return tx.Commit();
}

}  // namespace harmony::capture
