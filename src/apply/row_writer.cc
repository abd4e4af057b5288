#include "apply/row_writer.h"

#include <algorithm>

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

std::string UpsertSql(const change::TableSchema& t) {
  std::string sql = "INSERT INTO " + QuoteIdentifier(t.name) + "(" + ColumnList(t) + ") VALUES(" +
                    Params(t.columns.size()) + ") ON CONFLICT(";
  for (size_t i = 0; i < t.pk.size(); ++i) {
    sql += (i ? ", " : "") + QuoteIdentifier(t.columns[t.pk[i]]);
  }
  std::string set;
  for (uint32_t i = 0; i < t.columns.size(); ++i) {
    if (std::find(t.pk.begin(), t.pk.end(), i) != t.pk.end()) continue;
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
    sql += QuoteIdentifier(t.columns[t.pk[i]]) + " IS ?" + std::to_string(i + 1);
  }
  return sql;
}

std::string CacheKey(const change::TableSchema& t, char kind) {
  std::string key(1, kind);
  key += t.name;
  for (const std::string& c : t.columns) key += '\x1f' + c;
  key += '\x1e';
  for (uint32_t p : t.pk) key += std::to_string(p) + ",";
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
    schema_version_ = version;
  }
  return Status::Ok();
}

Result<std::optional<std::string>> RowWriter::Incompatibility(const change::TableSchema& table) {
  auto it = columns_.find(table.name);
  if (it == columns_.end()) {
    HARMONY_ASSIGN_OR_RETURN(
        sqlite::Statement q, db_->Prepare("SELECT name FROM pragma_table_info(?1, 'main')"));
    HARMONY_RETURN_IF_ERROR(q.BindText(1, table.name));
    std::set<std::string> names;
    while (true) {
      HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      names.insert(q.ColumnText(0));
    }
    std::optional<std::set<std::string>> entry;
    if (!names.empty()) entry = std::move(names);
    it = columns_.emplace(table.name, std::move(entry)).first;
  }
  if (!it->second) return std::optional<std::string>("no table " + QuoteIdentifier(table.name));
  for (const std::string& c : table.columns) {
    if (!it->second->count(c)) {
      return std::optional<std::string>("table " + QuoteIdentifier(table.name) + " has no column " +
                                        QuoteIdentifier(c));
    }
  }
  return std::optional<std::string>();
}

Result<sqlite::Statement*> RowWriter::StatementFor(const change::TableSchema& table, Kind kind) {
  const char tag = kind == Kind::kUpsert ? 'u' : kind == Kind::kReplace ? 'r' : 'd';
  std::string key = CacheKey(table, tag);
  auto it = statements_.find(key);
  if (it == statements_.end()) {
    const std::string sql = kind == Kind::kUpsert    ? UpsertSql(table)
                            : kind == Kind::kReplace ? ReplaceSql(table)
                                                     : DeleteSql(table);
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

Status RowWriter::Upsert(const change::TableSchema& table, const std::vector<Value>& values) {
  HARMONY_ASSIGN_OR_RETURN(sqlite::Statement * upsert, StatementFor(table, Kind::kUpsert));
  Status s = Run(upsert, values);
  if (s.ok()) return s;
  upsert->Reset();
  if (s.message().find("UNIQUE constraint failed") == std::string::npos) {
    return s.WithContext("upsert into " + QuoteIdentifier(table.name));
  }
  HARMONY_ASSIGN_OR_RETURN(sqlite::Statement * replace, StatementFor(table, Kind::kReplace));
  return Run(replace, values).WithContext("replace into " + QuoteIdentifier(table.name));
}

Status RowWriter::Delete(const change::TableSchema& table, const std::vector<Value>& pk) {
  HARMONY_ASSIGN_OR_RETURN(sqlite::Statement * del, StatementFor(table, Kind::kDelete));
  return Run(del, pk).WithContext("delete from " + QuoteIdentifier(table.name));
}

}  // namespace harmony::apply
