#include "apply/row_writer.h"

#include <spdlog/spdlog.h>

#include "apply/unique_conflicts.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace harmony::apply {
namespace {

using sqlite::QuoteIdentifier;

std::string ColumnList(const change::TableSchema& t) {
  std::string out;
  for (size_t i = 0; i < t.columns.size(); ++i) {
    if (i) out += ", ";
    out += QuoteIdentifier(t.columns[i]);
  }
  return out;
}

std::string Params(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += (i ? ", ?" : "?") + std::to_string(i + 1);
  return out;
}

// SQLite's column affinity rules (https://sqlite.org/datatype3.html, 3.1): is a column declared
// with `type` of BLOB affinity, the only one that can store both INTEGER 1 and REAL 1.0 (which
// are one key)?
bool IsBlobAffinity(std::string type) {
  for (char& c : type) c = c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
  auto has = [&](const char* part) { return type.find(part) != std::string::npos; };
  if (has("INT") || has("CHAR") || has("CLOB") || has("TEXT")) return false;
  return type.empty() || has("BLOB");
}

std::string IdenticalRowWhere(const change::TableSchema& t) {
  return sqlite::IdenticalRowWhere(t.columns);
}

std::string InsertSql(const change::TableSchema& t) {
  return "INSERT INTO " + QuoteIdentifier(t.name) + "(" + ColumnList(t) + ") VALUES(" +
         Params(t.columns.size()) + ")";
}

std::string EnsureRowSql(const change::TableSchema& t) {
  std::string values;
  for (size_t i = 0; i < t.columns.size(); ++i) values += (i ? ", ?" : "?") + std::to_string(i + 1);
  return "INSERT INTO " + QuoteIdentifier(t.name) + "(" + ColumnList(t) + ") SELECT " + values +
         " WHERE NOT EXISTS(SELECT 1 FROM " + QuoteIdentifier(t.name) + " WHERE " +
         IdenticalRowWhere(t) + ")";
}

// The name under which the local table's rowid is reachable (a column may be called "rowid").
std::string RowidName(const std::map<std::string, std::string, sqlite::IdentifierLess>& local) {
  for (const char* name : {"rowid", "_rowid_", "oid"}) {
    if (local.count(name) == 0) return name;
  }
  return "rowid";  // all three taken: the prepare fails and says so
}

std::string CountRowsSql(const change::TableSchema& t) {
  return "SELECT count(*) FROM " + QuoteIdentifier(t.name) + " WHERE " + IdenticalRowWhere(t);
}

// Deletes up to ?n identical rows, n = columns + 1.
std::string DeleteRowsSql(const change::TableSchema& t, const std::string& rowid) {
  const std::string table = QuoteIdentifier(t.name);
  return "DELETE FROM " + table + " WHERE " + rowid + " IN (SELECT " + rowid + " FROM " + table +
         " WHERE " + IdenticalRowWhere(t) + " LIMIT ?" + std::to_string(t.columns.size() + 1) +
         ")";
}

std::string DeleteRowSql(const change::TableSchema& t, const std::string& rowid) {
  const std::string table = QuoteIdentifier(t.name);
  return "DELETE FROM " + table + " WHERE " + rowid + " = (SELECT " + rowid + " FROM " + table +
         " WHERE " + IdenticalRowWhere(t) + " LIMIT 1)";
}

// " COLLATE NOCASE" when key column pk[i] is compared with another collation than BINARY, so that
// a conflict target and a comparison use the key index's collation even where the column's own
// differs (a UNIQUE index standing in for a missing PRIMARY KEY may declare one). Empty for
// BINARY: a conflict target with an explicit COLLATE no longer matches an INTEGER PRIMARY KEY.
std::string KeyCollate(const change::TableSchema& t, size_t i) {
  const change::Collation c = t.KeyCollation(i);
  return c == change::Collation::kBinary ? "" : std::string(" COLLATE ") + change::CollationName(c);
}

// `rewrite_key[i]`: also SET key column pk[i] on conflict (see RowWriter::Upsert).
std::string UpsertSql(const change::TableSchema& t, const std::vector<bool>& rewrite_key) {
  std::string sql = "INSERT INTO " + QuoteIdentifier(t.name) + "(" + ColumnList(t) + ") VALUES(" +
                    Params(t.columns.size()) + ") ON CONFLICT(";
  for (size_t i = 0; i < t.pk.size(); ++i) {
    sql += (i ? ", " : "") + QuoteIdentifier(t.columns[t.pk[i]]) + KeyCollate(t, i);
  }
  std::string set;
  for (uint32_t i = 0; i < t.columns.size(); ++i) {
    auto pk_it = std::find(t.pk.begin(), t.pk.end(), i);
    if (pk_it != t.pk.end() && !rewrite_key[pk_it - t.pk.begin()]) continue;
    const std::string c = QuoteIdentifier(t.columns[i]);
    set += (set.empty() ? "" : ", ") + c + " = excluded." + c;
  }
  return sql + (set.empty() ? ") DO NOTHING" : ") DO UPDATE SET " + set);
}

std::string ReplaceSql(const change::TableSchema& t) {
  return "INSERT OR REPLACE INTO " + QuoteIdentifier(t.name) + "(" + ColumnList(t) + ") VALUES(" +
         Params(t.columns.size()) + ")";
}

std::string DeleteSql(const change::TableSchema& t) {
  std::string sql = "DELETE FROM " + QuoteIdentifier(t.name) + " WHERE ";
  for (size_t i = 0; i < t.pk.size(); ++i) {
    if (i) sql += " AND ";
    sql += QuoteIdentifier(t.columns[t.pk[i]]) + " IS ?" + std::to_string(i + 1) + KeyCollate(t, i);
  }
  return sql;
}

std::string CacheKey(const change::TableSchema& t, char kind) {
  std::string key(1, kind);
  key += t.name;
  for (const std::string& c : t.columns) key += '\x1f' + c;
  key += '\x1e';
  for (uint32_t p : t.pk) key += std::to_string(p) + ",";
  key += '\x1e';
  for (size_t i = 0; i < t.pk.size(); ++i) key += static_cast<char>('0' + int(t.KeyCollation(i)));
  return key;
}

}  // namespace

Status RowWriter::RefreshSchema() {
  HARMONY_ASSIGN_OR_RETURN(int64_t version, db_->QueryInt("PRAGMA schema_version"));
  if (version != schema_version_) {
    // Prepared statements re-prepare themselves, but a dropped table or column makes them fail;
    // start afresh so errors and compatibility checks reflect the schema as it is now.
    statements_.clear();
    columns_.clear();
    unique_indexes_.clear();
    app_triggers_.reset();
    plans_.clear();
    change_log_exists_.reset();
    schema_version_ = version;
  }
  return Status::Ok();
}

Result<const std::vector<UniqueIndex>*> RowWriter::UniqueIndexes(const std::string& table) {
  auto it = unique_indexes_.find(table);
  if (it == unique_indexes_.end()) {
    HARMONY_ASSIGN_OR_RETURN(std::vector<UniqueIndex> indexes, UniqueIndexesOf(*db_, table));
    it = unique_indexes_.emplace(table, std::move(indexes)).first;
  }
  return &it->second;
}

Result<const RowWriter::LocalColumns*> RowWriter::ColumnsOf(const std::string& table) {
  auto it = columns_.find(table);
  if (it == columns_.end()) {
    HARMONY_ASSIGN_OR_RETURN(sqlite::Statement q,
                             db_->Prepare("SELECT name, type FROM pragma_table_info(?1, 'main')"));
    HARMONY_RETURN_IF_ERROR(q.BindText(1, table));
    ColumnTypes names;
    while (true) {
      HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      names[q.ColumnText(0)] = q.ColumnText(1);
    }
    LocalColumns entry;
    if (!names.empty()) entry = std::move(names);
    it = columns_.emplace(table, std::move(entry)).first;
  }
  return &it->second;
}

Result<std::optional<std::string>> RowWriter::Incompatibility(const change::TableSchema& table) {
  HARMONY_ASSIGN_OR_RETURN(const LocalColumns* local, ColumnsOf(table.name));
  if (!*local) return std::optional<std::string>("no table " + QuoteIdentifier(table.name));
  for (const std::string& c : table.columns) {
    if (!(*local)->count(c)) {
      return std::optional<std::string>("table " + QuoteIdentifier(table.name) + " has no column " +
                                        QuoteIdentifier(c));
    }
  }
  return std::optional<std::string>();
}

Result<std::string> RowWriter::SqlFor(const change::TableSchema& table, Kind kind) {
  switch (kind) {
    case Kind::kReplace:
      return ReplaceSql(table);
    case Kind::kDelete:
      return DeleteSql(table);
    case Kind::kInsertRow:
      return InsertSql(table);
    case Kind::kEnsureRow:
      return EnsureRowSql(table);
    case Kind::kCountRows:
      return CountRowsSql(table);
    default:
      break;
  }
  HARMONY_ASSIGN_OR_RETURN(const LocalColumns* local, ColumnsOf(table.name));
  if (kind == Kind::kDeleteRow) {
    return DeleteRowSql(table, *local ? RowidName(**local) : "rowid");
  }
  if (kind == Kind::kDeleteRows) {
    return DeleteRowsSql(table, *local ? RowidName(**local) : "rowid");
  }
  std::vector<bool> rewrite_key(table.pk.size());
  for (size_t i = 0; i < table.pk.size(); ++i) {
    const std::string& column = table.columns[table.pk[i]];
    auto type =
        *local ? (*local)->find(column) : ColumnTypes::const_iterator{};
    rewrite_key[i] = table.KeyCollation(i) != change::Collation::kBinary ||
                     (*local && type != (*local)->end() && IsBlobAffinity(type->second));
  }
  return UpsertSql(table, rewrite_key);
}

Result<sqlite::Statement*> RowWriter::StatementFor(const change::TableSchema& table, Kind kind) {
  static constexpr char kTags[] = "urdixecn";  // one per Kind, in order
  std::string key = CacheKey(table, kTags[static_cast<int>(kind)]);
  auto it = statements_.find(key);
  if (it == statements_.end()) {
    HARMONY_ASSIGN_OR_RETURN(std::string sql, SqlFor(table, kind));
    HARMONY_ASSIGN_OR_RETURN(sqlite::Statement stmt, db_->Prepare(sql));
    it = statements_.emplace(std::move(key), std::move(stmt)).first;
  }
  return &it->second;
}

Status RowWriter::Run(sqlite::Statement* stmt, const std::vector<Value>& values) {
  for (size_t i = 0; i < values.size(); ++i) {
    HARMONY_RETURN_IF_ERROR(stmt->Bind(static_cast<int>(i + 1), values[i]));
  }
  return stmt->Run();
}

Status RowWriter::Apply(const change::TableSchema& table, const change::Change& change) {
  HARMONY_ASSIGN_OR_RETURN(const TriggerPlan* plan, PlanFor(table.name));
  if (!plan->fire()) return ApplyOp(table, change);
  return WithTriggers([&] { return ApplyOp(table, change); });
}

Result<const TriggerPlan*> RowWriter::PlanFor(const std::string& table) {
  auto it = plans_.find(table);
  if (it != plans_.end()) return &it->second;
  if (!app_triggers_) {
    HARMONY_ASSIGN_OR_RETURN(TriggersByTable all, ReadAppTriggers(*db_));
    app_triggers_ = std::move(all);
  }
  auto on = app_triggers_->find(table);
  TriggerPlan plan;
  if (on != app_triggers_->end()) {
    HARMONY_ASSIGN_OR_RETURN(plan, PlanTriggers(*db_, table, on->second, is_replicated_));
  }
  if (!plan.derived.empty() && !plan.replicated_writers.empty() &&
      warned_triggers_.insert(table).second) {
    std::string derived;
    for (const std::string& t : plan.derived) derived += (derived.empty() ? "\"" : ", \"") + t + "\"";
    spdlog::warn(
        "table \"{}\": replicated rows run none of its triggers, because {}; so trigger(s) {}, "
        "which maintain data harmony does not replicate, do not run for them either: rebuild "
        "that data on this node (for an FTS5 index: INSERT INTO <fts>(<fts>) VALUES('rebuild')), "
        "or move the writes to replicated tables into triggers of their own table",
        table, plan.replicated_writers.front(), derived);
  }
  return &plans_.emplace(table, std::move(plan)).first->second;
}

Status RowWriter::WithTriggers(const std::function<Status()>& op) {
  if (!change_log_exists_) {
    HARMONY_ASSIGN_OR_RETURN(bool exists, sqlite::TableExists(*db_, "__harmony_change_log"));
    change_log_exists_ = exists;
  }
  HARMONY_RETURN_IF_ERROR(db_->Exec("SAVEPOINT harmony_app_triggers"));
  int64_t logged_before = -1;
  Status s;
  if (*change_log_exists_) {
    auto seq = db_->QueryInt("SELECT coalesce(max(seq), 0) FROM __harmony_change_log");
    if (seq.ok()) logged_before = *seq;
    s = seq.status();
  }
  // Recursive triggers too: rows that INSERT OR REPLACE deletes on a UNIQUE collision fire their
  // delete triggers only then (https://sqlite.org/lang_conflict.html, REPLACE), and an FTS5
  // index that misses such a delete is corrupt.
  if (s.ok()) s = SetTriggersEnabled(*db_, true);
  if (s.ok()) s = db_->Exec("PRAGMA recursive_triggers = ON");
  if (s.ok()) s = op();
  Status off = SetTriggersEnabled(*db_, false);
  Status not_recursive = db_->Exec("PRAGMA recursive_triggers = OFF");
  if (s.ok()) s = off;
  if (s.ok()) s = not_recursive;
  // harmony's capture triggers ran too: what they logged is this change echoed, never to be sent.
  if (s.ok() && logged_before >= 0) {
    s = db_->Exec("DELETE FROM __harmony_change_log WHERE seq > " + std::to_string(logged_before));
  }
  if (!s.ok()) {
    (void)db_->Exec("ROLLBACK TO harmony_app_triggers");
    (void)db_->Exec("RELEASE harmony_app_triggers");
    return s;
  }
  return db_->Exec("RELEASE harmony_app_triggers");
}

Status RowWriter::ApplyOp(const change::TableSchema& table, const change::Change& change) {
  switch (change.op) {
    case change::Op::kUpsert:
      return Upsert(table, change.values);
    case change::Op::kDelete:
      return Delete(table, change.values);
    case change::Op::kInsertRow:
      return InsertRow(table, change.values);
    case change::Op::kDeleteRow:
      return DeleteRow(table, change.values);
    case change::Op::kEnsureRow:
      return EnsureRow(table, change.values);
    case change::Op::kRowCopies:
      return RowCopies(table, change.values);
    case change::Op::kSchema:  // carried out by the SchemaFollower, never as a row
      break;
  }
  return Status::Internal("unknown op " + std::to_string(static_cast<int>(change.op)));
}

Status RowWriter::InsertOrReplace(const change::TableSchema& table, Kind kind,
                                  const std::vector<Value>& values) {
  HARMONY_ASSIGN_OR_RETURN(sqlite::Statement * insert, StatementFor(table, kind));
  Status s = Run(insert, values);
  if (s.ok()) return s;
  insert->Reset();
  const char* what = kind == Kind::kUpsert ? "upsert into " : "insert into ";
  if (s.message().find("UNIQUE constraint failed") == std::string::npos) {
    return s.WithContext(what + QuoteIdentifier(table.name));
  }
  if (replace_guard_) {
    HARMONY_ASSIGN_OR_RETURN(const std::vector<UniqueIndex>* indexes, UniqueIndexes(table.name));
    HARMONY_ASSIGN_OR_RETURN(std::vector<std::vector<Value>> others,
                             FindUniqueConflicts(*db_, table, values, *indexes));
    HARMONY_ASSIGN_OR_RETURN(bool replace, replace_guard_(table, others));
    if (!replace) {
      // The change lost to a newer local row: everywhere else that row's arrival removes this
      // change's row by the same collision (INSERT OR REPLACE), so remove it here too.
      if (kind != Kind::kUpsert) return Status::Ok();
      std::vector<Value> key;
      for (uint32_t i : table.pk) key.push_back(values[i]);
      return Delete(table, key);
    }
  }
  HARMONY_ASSIGN_OR_RETURN(sqlite::Statement * replace, StatementFor(table, Kind::kReplace));
  return Run(replace, values).WithContext("replace into " + QuoteIdentifier(table.name));
}

Status RowWriter::Upsert(const change::TableSchema& table, const std::vector<Value>& values) {
  return InsertOrReplace(table, Kind::kUpsert, values);
}

Status RowWriter::InsertRow(const change::TableSchema& table, const std::vector<Value>& values) {
  return InsertOrReplace(table, Kind::kInsertRow, values);
}

Status RowWriter::EnsureRow(const change::TableSchema& table, const std::vector<Value>& values) {
  return InsertOrReplace(table, Kind::kEnsureRow, values);
}

Status RowWriter::Delete(const change::TableSchema& table, const std::vector<Value>& pk) {
  HARMONY_ASSIGN_OR_RETURN(sqlite::Statement * del, StatementFor(table, Kind::kDelete));
  return Run(del, pk).WithContext("delete from " + QuoteIdentifier(table.name));
}

Status RowWriter::RowCopies(const change::TableSchema& table, const std::vector<Value>& values) {
  const int64_t* want = values.empty() ? nullptr : std::get_if<int64_t>(&values.back());
  if (want == nullptr || *want < 0 || values.size() != table.columns.size() + 1) {
    return Status::Rejected("row copies of " + QuoteIdentifier(table.name) +
                                   ": malformed change");
  }
  const std::vector<Value> row(values.begin(), values.end() - 1);
  HARMONY_ASSIGN_OR_RETURN(sqlite::Statement * count, StatementFor(table, Kind::kCountRows));
  for (size_t i = 0; i < row.size(); ++i) {
    HARMONY_RETURN_IF_ERROR(count->Bind(static_cast<int>(i + 1), row[i]));
  }
  HARMONY_ASSIGN_OR_RETURN(bool has, count->Step());
  const int64_t have = has ? count->ColumnInt(0) : 0;
  count->Reset();
  for (int64_t i = have; i < *want; ++i) {
    HARMONY_RETURN_IF_ERROR(InsertOrReplace(table, Kind::kInsertRow, row));
  }
  if (have > *want) {
    HARMONY_ASSIGN_OR_RETURN(sqlite::Statement * del, StatementFor(table, Kind::kDeleteRows));
    std::vector<Value> args = row;
    args.push_back(int64_t{have - *want});
    return Run(del, args).WithContext("delete rows from " + QuoteIdentifier(table.name));
  }
  return Status::Ok();
}

Status RowWriter::DeleteRow(const change::TableSchema& table, const std::vector<Value>& values) {
  HARMONY_ASSIGN_OR_RETURN(sqlite::Statement * del, StatementFor(table, Kind::kDeleteRow));
  return Run(del, values).WithContext("delete a row from " + QuoteIdentifier(table.name));
}

}  // namespace harmony::apply
