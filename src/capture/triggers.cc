#include "capture/triggers.h"

#include <algorithm>
#include <map>
#include <string>

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

Status DropTriggersOfTid(sqlite::Database& db, int64_t tid) {
  for (const char* kind : {"insert", "update", "delete"}) {
    HARMONY_RETURN_IF_ERROR(
        db.Exec("DROP TRIGGER IF EXISTS " + QuoteIdentifier(TriggerName(tid, kind))));
  }
  return Status::Ok();
}

Result<int> CountTriggersOfTid(sqlite::Database& db, int64_t tid) {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement q,
      db.Prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name IN (?1, ?2, ?3)"));
  HARMONY_RETURN_IF_ERROR(q.BindText(1, TriggerName(tid, "insert")));
  HARMONY_RETURN_IF_ERROR(q.BindText(2, TriggerName(tid, "update")));
  HARMONY_RETURN_IF_ERROR(q.BindText(3, TriggerName(tid, "delete")));
  HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
  return row ? static_cast<int>(q.ColumnInt(0)) : 0;
}

Result<int64_t> RegisterShape(sqlite::Database& db, const change::TableSchema& t) {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement ins,
      db.Prepare("INSERT INTO __harmony_tables(name, active) VALUES(?1, 1) RETURNING tid"));
  HARMONY_RETURN_IF_ERROR(ins.BindText(1, t.name));
  HARMONY_ASSIGN_OR_RETURN(bool row, ins.Step());
  if (!row) return Status::Internal("register table " + t.name + ": no tid returned");
  int64_t tid = ins.ColumnInt(0);
  ins.Reset();
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement col,
      db.Prepare("INSERT INTO __harmony_columns(tid, idx, name, pk_pos) VALUES(?1, ?2, ?3, ?4)"));
  for (size_t i = 0; i < t.columns.size(); ++i) {
    auto pk_it = std::find(t.pk.begin(), t.pk.end(), static_cast<uint32_t>(i));
    HARMONY_RETURN_IF_ERROR(col.BindInt(1, tid));
    HARMONY_RETURN_IF_ERROR(col.BindInt(2, static_cast<int64_t>(i)));
    HARMONY_RETURN_IF_ERROR(col.BindText(3, t.columns[i]));
    HARMONY_RETURN_IF_ERROR(col.Bind(
        4, pk_it == t.pk.end() ? Value{Null{}} : Value{int64_t(pk_it - t.pk.begin())}));
    HARMONY_RETURN_IF_ERROR(col.Run());
  }
  return tid;
}

}  // namespace

std::string TriggerSql(const TrackedTable& table) {
  const change::TableSchema& t = table.schema;
  const std::string tid = std::to_string(table.tid);
  const std::string on = " ON " + QuoteIdentifier(t.name) + " BEGIN INSERT INTO " +
                         kChangeLogTable + "(tid, op";
  const std::string ncols = List(t.columns.size(), "c");
  const std::string nkeys = List(t.pk.size(), "k");
  std::string sql;
  sql += "CREATE TRIGGER " + QuoteIdentifier(TriggerName(table.tid, "insert")) + " AFTER INSERT" +
         on + ", " + ncols + ") VALUES(" + tid + ", 1, " + Refs(t, AllColumns(t), "NEW") +
         "); END;\n";
  sql += "CREATE TRIGGER " + QuoteIdentifier(TriggerName(table.tid, "update")) + " AFTER UPDATE" +
         on + ", " + nkeys + ", " + ncols + ") VALUES(" + tid + ", 2, " + Refs(t, t.pk, "OLD") +
         ", " + Refs(t, AllColumns(t), "NEW") + "); END;\n";
  sql += "CREATE TRIGGER " + QuoteIdentifier(TriggerName(table.tid, "delete")) + " AFTER DELETE" +
         on + ", " + nkeys + ") VALUES(" + tid + ", 3, " + Refs(t, t.pk, "OLD") + "); END;\n";
  return sql;
}

Result<change::TableSchema> LoadShape(sqlite::Database& db, int64_t tid) {
  HARMONY_ASSIGN_OR_RETURN(sqlite::Statement name_q,
                           db.Prepare("SELECT name FROM __harmony_tables WHERE tid = ?1"));
  HARMONY_RETURN_IF_ERROR(name_q.BindInt(1, tid));
  HARMONY_ASSIGN_OR_RETURN(bool found, name_q.Step());
  if (!found) return Status::NotFound("table shape " + std::to_string(tid) + " is not registered");
  change::TableSchema t;
  t.name = name_q.ColumnText(0);
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement cols,
      db.Prepare("SELECT name, pk_pos FROM __harmony_columns WHERE tid = ?1 ORDER BY idx"));
  HARMONY_RETURN_IF_ERROR(cols.BindInt(1, tid));
  std::map<int64_t, uint32_t> pk;
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(bool row, cols.Step());
    if (!row) break;
    if (!cols.ColumnIsNull(1)) pk[cols.ColumnInt(1)] = static_cast<uint32_t>(t.columns.size());
    t.columns.push_back(cols.ColumnText(0));
  }
  for (const auto& [pos, index] : pk) t.pk.push_back(index);
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
    if (it != active.end()) {
      HARMONY_ASSIGN_OR_RETURN(change::TableSchema old, LoadShape(db, it->second));
      HARMONY_ASSIGN_OR_RETURN(int triggers, CountTriggersOfTid(db, it->second));
      int64_t tid = it->second;
      active.erase(it);
      entry.triggers_were_missing = triggers != 3;
      if (old == t) {
        entry.tid = tid;
        entry.install = triggers == 3 ? TrackedTable::Install::kUnchanged
                                      : TrackedTable::Install::kRepaired;
        tracked.push_back(std::move(entry));
        continue;
      }
      HARMONY_RETURN_IF_ERROR(DropTriggersOfTid(db, tid));
      HARMONY_RETURN_IF_ERROR(retire.BindInt(1, tid));
      HARMONY_RETURN_IF_ERROR(retire.Run());
      entry.install = TrackedTable::Install::kReshaped;
      entry.retired_tids.push_back(tid);
    }
    HARMONY_ASSIGN_OR_RETURN(entry.tid, RegisterShape(db, t));
    tracked.push_back(std::move(entry));
  }
  HARMONY_RETURN_IF_ERROR(WidenLog(db, want));
  // Triggers are created after the log is wide enough for them to be valid.
  for (const TrackedTable& table : tracked) {
    HARMONY_ASSIGN_OR_RETURN(int triggers, CountTriggersOfTid(db, table.tid));
    if (triggers == 3) continue;
    HARMONY_RETURN_IF_ERROR(DropTriggersOfTid(db, table.tid));
    HARMONY_RETURN_IF_ERROR(
        db.Exec(TriggerSql(table)).WithContext("install triggers on " + table.schema.name));
  }
  // Tables that disappeared or are no longer tracked.
  for (const auto& [name, tid] : active) {
    HARMONY_RETURN_IF_ERROR(DropTriggersOfTid(db, tid));
    HARMONY_RETURN_IF_ERROR(retire.BindInt(1, tid));
    HARMONY_RETURN_IF_ERROR(retire.Run());
  }
  return tracked;
}

Status RemoveTriggers(sqlite::Database& db) {
  HARMONY_ASSIGN_OR_RETURN(auto tx,
                           sqlite::Transaction::Begin(db, sqlite::Transaction::Mode::kImmediate));
  HARMONY_RETURN_IF_ERROR(CreateLogTables(db));
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement list,
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
  return tx.Commit();
}

}  // namespace harmony::capture
