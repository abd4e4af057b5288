#include "state/schema_history.h"

namespace harmony::state {
namespace {

using change::SchemaStep;
using sqlite::SameIdentifier;

}  // namespace

Translation Translate(const change::TableSchema& shape, const std::vector<HistoryEntry>& entries) {
  Translation t;
  t.table = shape;
  t.source.resize(shape.columns.size());
  for (uint32_t i = 0; i < t.source.size(); ++i) t.source[i] = i;
  for (const HistoryEntry& e : entries) {
    if (e.kind == "rename_table" && SameIdentifier(e.table_name, t.table.name)) {
      t.table.name = e.new_name;
      t.changed = true;
    } else if (e.kind == "drop_table" && SameIdentifier(e.table_name, t.table.name)) {
      t.dropped = true;
      return t;
    } else if (e.kind == "rename_column" && SameIdentifier(e.table_name, t.table.name)) {
      for (std::string& c : t.table.columns) {
        if (SameIdentifier(c, e.old_name)) {
          c = e.new_name;
          t.changed = true;
        }
      }
    } else if (e.kind == "drop_column" && SameIdentifier(e.table_name, t.table.name)) {
      for (uint32_t i = 0; i < t.table.columns.size(); ++i) {
        if (!SameIdentifier(t.table.columns[i], e.old_name)) continue;
        bool is_key = false;
        for (uint32_t k : t.table.pk) is_key = is_key || k == i;
        if (is_key) break;  // SQLite never drops a key column; leave the shape as it is
        t.table.columns.erase(t.table.columns.begin() + i);
        t.source.erase(t.source.begin() + i);
        for (uint32_t& k : t.table.pk) k = k > i ? k - 1 : k;
        t.changed = true;
        break;
      }
    }
  }
  return t;
}

change::Change TranslateChange(const Translation& t, const change::Change& c) {
  if (c.op == change::Op::kDelete) return c;  // key values only: keys are never dropped
  change::Change out{c.op, c.table, {}};
  for (uint32_t i : t.source) out.values.push_back(c.values[i]);
  if (c.op == change::Op::kRowCopies) out.values.push_back(c.values.back());  // the count
  return out;
}

Status CreateSchemaHistoryTables(sqlite::Database& db) {
  return db.Exec(
      "CREATE TABLE IF NOT EXISTS __harmony_schema_history(seq INTEGER PRIMARY KEY, change_id TEXT "
      "NOT NULL, kind TEXT NOT NULL, table_name TEXT NOT NULL, old_name TEXT NOT NULL, new_name "
      "TEXT NOT NULL);"
      "CREATE TABLE IF NOT EXISTS __harmony_schema_applied(change_id TEXT PRIMARY KEY);"
      "CREATE TABLE IF NOT EXISTS __harmony_schema_ahead(change_id TEXT NOT NULL, shard INTEGER "
      "NOT NULL, PRIMARY KEY(change_id, shard));");
}

Status RecordSchemaChange(sqlite::Database& db, const change::SchemaChange& change) {
  HARMONY_RETURN_IF_ERROR(CreateSchemaHistoryTables(db));
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement insert,
      db.Prepare("INSERT INTO __harmony_schema_history(change_id, kind, table_name, old_name, "
                 "new_name) VALUES(?1, ?2, ?3, ?4, ?5)"));
  for (const SchemaStep& s : change.steps) {
    const char* kind = nullptr;
    std::string table, old_name, new_name;
    switch (s.kind) {
      case SchemaStep::Kind::kRenameTable:
        kind = "rename_table", table = s.table, new_name = s.name;
        break;
      case SchemaStep::Kind::kDrop:
        if (s.type == "table") kind = "drop_table", table = s.name;
        break;
      case SchemaStep::Kind::kRenameColumn:
        kind = "rename_column", table = s.table, old_name = s.old_name, new_name = s.name;
        break;
      case SchemaStep::Kind::kDropColumn:
        kind = "drop_column", table = s.table, old_name = s.name;
        break;
      default:
        break;
    }
    if (kind == nullptr) continue;
    HARMONY_RETURN_IF_ERROR(insert.BindText(1, change.id));
    HARMONY_RETURN_IF_ERROR(insert.BindText(2, kind));
    HARMONY_RETURN_IF_ERROR(insert.BindText(3, table));
    HARMONY_RETURN_IF_ERROR(insert.BindText(4, old_name));
    HARMONY_RETURN_IF_ERROR(insert.BindText(5, new_name));
    HARMONY_RETURN_IF_ERROR(insert.Run());
  }
  return db.Exec("DELETE FROM __harmony_schema_history WHERE seq <= (SELECT max(seq) FROM "
                 "__harmony_schema_history) - " +
                 std::to_string(kHistoryKept));
}

std::vector<HistoryEntry> DroppedColumns(const std::string& change_id, const std::string& table,
                                         const std::vector<std::string>& before,
                                         const std::vector<std::string>& after) {
  std::vector<HistoryEntry> out;
  for (const std::string& c : before) {
    bool kept = false;
    for (const std::string& n : after) kept = kept || SameIdentifier(c, n);
    if (!kept) out.push_back({0, change_id, "drop_column", table, c, ""});
  }
  return out;
}

Status RecordHistoryEntries(sqlite::Database& db, const std::vector<HistoryEntry>& entries) {
  if (entries.empty()) return Status::Ok();
  HARMONY_RETURN_IF_ERROR(CreateSchemaHistoryTables(db));
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement insert,
      db.Prepare("INSERT INTO __harmony_schema_history(change_id, kind, table_name, old_name, "
                 "new_name) VALUES(?1, ?2, ?3, ?4, ?5)"));
  for (const HistoryEntry& e : entries) {
    HARMONY_RETURN_IF_ERROR(insert.BindText(1, e.change_id));
    HARMONY_RETURN_IF_ERROR(insert.BindText(2, e.kind));
    HARMONY_RETURN_IF_ERROR(insert.BindText(3, e.table_name));
    HARMONY_RETURN_IF_ERROR(insert.BindText(4, e.old_name));
    HARMONY_RETURN_IF_ERROR(insert.BindText(5, e.new_name));
    HARMONY_RETURN_IF_ERROR(insert.Run());
  }
  return Status::Ok();
}

Result<std::vector<HistoryEntry>> ReadHistory(sqlite::Database& db, int64_t after_seq,
                                              const std::vector<std::string>* change_ids) {
  std::vector<HistoryEntry> out;
  HARMONY_ASSIGN_OR_RETURN(
      int64_t exists,
      db.QueryInt("SELECT count(*) FROM sqlite_schema WHERE name = '__harmony_schema_history'"));
  if (exists == 0) return out;
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement q,
      db.Prepare("SELECT seq, change_id, kind, table_name, old_name, new_name FROM "
                 "__harmony_schema_history WHERE seq > ?1 ORDER BY seq"));
  HARMONY_RETURN_IF_ERROR(q.BindInt(1, after_seq));
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    HistoryEntry e{q.ColumnInt(0),  q.ColumnText(1), q.ColumnText(2),
                   q.ColumnText(3), q.ColumnText(4), q.ColumnText(5)};
    if (change_ids != nullptr) {
      bool wanted = false;
      for (const std::string& id : *change_ids) wanted = wanted || id == e.change_id;
      if (!wanted) continue;
    }
    out.push_back(std::move(e));
  }
  return out;
}

Result<int64_t> NewestHistorySeq(sqlite::Database& db) {
  HARMONY_ASSIGN_OR_RETURN(
      int64_t exists,
      db.QueryInt("SELECT count(*) FROM sqlite_schema WHERE name = '__harmony_schema_history'"));
  if (exists == 0) return int64_t{0};
  return db.QueryInt("SELECT coalesce(max(seq), 0) FROM __harmony_schema_history");
}

Result<bool> SchemaChangeApplied(sqlite::Database& db, const std::string& change_id) {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement q,
      db.Prepare("SELECT 1 FROM __harmony_schema_applied WHERE change_id = ?1"));
  HARMONY_RETURN_IF_ERROR(q.BindText(1, change_id));
  return q.Step();
}

Status MarkSchemaChangeApplied(sqlite::Database& db, const std::string& change_id, uint32_t shard,
                               uint32_t shards) {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement mark,
      db.Prepare("INSERT OR IGNORE INTO __harmony_schema_applied(change_id) VALUES(?1)"));
  HARMONY_RETURN_IF_ERROR(mark.BindText(1, change_id));
  HARMONY_RETURN_IF_ERROR(mark.Run());
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement ahead,
      db.Prepare("INSERT OR IGNORE INTO __harmony_schema_ahead(change_id, shard) VALUES(?1, ?2)"));
  for (uint32_t s = 1; s <= shards; ++s) {
    if (s == shard) continue;
    HARMONY_RETURN_IF_ERROR(ahead.BindText(1, change_id));
    HARMONY_RETURN_IF_ERROR(ahead.BindInt(2, s));
    HARMONY_RETURN_IF_ERROR(ahead.Run());
  }
  return Status::Ok();
}

Status SchemaChangeArrived(sqlite::Database& db, const std::string& change_id, uint32_t shard) {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement q,
      db.Prepare("DELETE FROM __harmony_schema_ahead WHERE change_id = ?1 AND shard = ?2"));
  HARMONY_RETURN_IF_ERROR(q.BindText(1, change_id));
  HARMONY_RETURN_IF_ERROR(q.BindInt(2, shard));
  return q.Run();
}

Result<std::vector<std::string>> SchemaChangesAhead(sqlite::Database& db, uint32_t shard) {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement q,
      db.Prepare("SELECT change_id FROM __harmony_schema_ahead WHERE shard = ?1 ORDER BY rowid"));
  HARMONY_RETURN_IF_ERROR(q.BindInt(1, shard));
  std::vector<std::string> out;
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back(q.ColumnText(0));
  }
  return out;
}

}  // namespace harmony::state
