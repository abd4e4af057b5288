#include "capture/change_log.h"

#include <algorithm>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace harmony::capture {
namespace {

// Adds column `column` of `type` to harmony's table `table` unless it is there (a log created by
// an older build).
Status AddColumnIfMissing(sqlite::Database& db, const std::string& table, const std::string& column,
                          const std::string& type) {
  HARMONY_ASSIGN_OR_RETURN(sqlite::Statement q,
                           db.Prepare("SELECT count(*) FROM pragma_table_info(?1) WHERE name = ?2"));
  HARMONY_RETURN_IF_ERROR(q.BindText(1, table));
  HARMONY_RETURN_IF_ERROR(q.BindText(2, column));
  HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
  if (row && q.ColumnInt(0) > 0) return Status::Ok();
  return db.Exec("ALTER TABLE " + table + " ADD COLUMN " + column + " " + type);
}

}  // namespace

Status CreateLogTables(sqlite::Database& db) {
  HARMONY_RETURN_IF_ERROR(db.Exec(
      "CREATE TABLE IF NOT EXISTS __harmony_change_log("
      "  seq INTEGER PRIMARY KEY, tid INTEGER NOT NULL, op INTEGER NOT NULL);"
      "CREATE TABLE IF NOT EXISTS __harmony_tables("
      "  tid INTEGER PRIMARY KEY, name TEXT NOT NULL, active INTEGER NOT NULL);"
      "CREATE TABLE IF NOT EXISTS __harmony_columns("
      "  tid INTEGER NOT NULL, idx INTEGER NOT NULL, name TEXT NOT NULL, pk_pos INTEGER,"
      "  PRIMARY KEY(tid, idx)) WITHOUT ROWID;"
      "CREATE TABLE IF NOT EXISTS __harmony_state(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"));
  // Logs created before key collations were recorded lack the collation column; their shapes
  // read as BINARY, so a table with another key collation gets a new shape at the next install.
  // Likewise one_shard: such shapes read as keyed, so a table with a secondary UNIQUE constraint
  // gets a new shape.
  HARMONY_RETURN_IF_ERROR(AddColumnIfMissing(db, "__harmony_columns", "collation", "TEXT"));
  HARMONY_RETURN_IF_ERROR(AddColumnIfMissing(db, "__harmony_tables", "one_shard", "INTEGER"));
  std::random_device rd;
  // 62 bits keeps it positive as an SQLite INTEGER.
  uint64_t epoch = ((uint64_t{rd()} << 32) | rd()) & ((uint64_t{1} << 62) - 1);
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement ins,
      db.Prepare("INSERT OR IGNORE INTO __harmony_state(key, value) VALUES('epoch', ?1)"));
  HARMONY_RETURN_IF_ERROR(ins.BindInt(1, static_cast<int64_t>(epoch)));
  return ins.Run();
}

Result<LogWidth> ReadLogWidth(sqlite::Database& db) {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement cols,
      db.Prepare("SELECT name FROM pragma_table_info('__harmony_change_log')"));
  LogWidth width;
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(bool row, cols.Step());
    if (!row) break;
    std::string name = cols.ColumnText(0);
    if (name.size() > 1 && name[0] == 'k') width.key_columns++;
    if (name.size() > 1 && name[0] == 'c') width.value_columns++;
  }
  return width;
}

Status WidenLog(sqlite::Database& db, LogWidth want) {
  HARMONY_ASSIGN_OR_RETURN(LogWidth have, ReadLogWidth(db));
  const int add = std::max(0, want.key_columns - have.key_columns) +
                  std::max(0, want.value_columns - have.value_columns);
  if (add == 0) return Status::Ok();
  if (add <= kAlterAddLimit) {
    for (int i = have.key_columns; i < want.key_columns; ++i) {
      HARMONY_RETURN_IF_ERROR(
          db.Exec("ALTER TABLE __harmony_change_log ADD COLUMN k" + std::to_string(i)));
    }
    for (int i = have.value_columns; i < want.value_columns; ++i) {
      HARMONY_RETURN_IF_ERROR(
          db.Exec("ALTER TABLE __harmony_change_log ADD COLUMN c" + std::to_string(i)));
    }
    return Status::Ok();
  }
  // Each ADD COLUMN re-parses the whole schema, so a wide table (thousands of columns) would
  // take seconds: build the wide log once, copy the rows, and put it in place of the old one
  // (the procedure of https://sqlite.org/lang_altertable.html, "Making Other Kinds Of Table
  // Schema Changes"). legacy_alter_table keeps the rename from re-checking the triggers of the
  // application's tables, whose bodies name __harmony_change_log and resolve to the new table.
  const LogWidth wide{std::max(want.key_columns, have.key_columns),
                      std::max(want.value_columns, have.value_columns)};
  auto columns = [](const LogWidth& w) {
    std::string out = "seq, tid, op";
    for (int i = 0; i < w.key_columns; ++i) out += ", k" + std::to_string(i);
    for (int i = 0; i < w.value_columns; ++i) out += ", c" + std::to_string(i);
    return out;
  };
  std::string create = "CREATE TABLE __harmony_change_log_wide(seq INTEGER PRIMARY KEY, "
                       "tid INTEGER NOT NULL, op INTEGER NOT NULL";
  for (int i = 0; i < wide.key_columns; ++i) create += ", k" + std::to_string(i);
  for (int i = 0; i < wide.value_columns; ++i) create += ", c" + std::to_string(i);
  create += ")";
  HARMONY_ASSIGN_OR_RETURN(int64_t legacy, db.QueryInt("PRAGMA legacy_alter_table"));
  HARMONY_RETURN_IF_ERROR(db.Exec("PRAGMA legacy_alter_table = ON"));
  Status s = db.Exec(create + "; INSERT INTO __harmony_change_log_wide(" + columns(have) +
                     ") SELECT " + columns(have) +
                     " FROM __harmony_change_log; DROP TABLE __harmony_change_log; "
                     "ALTER TABLE __harmony_change_log_wide RENAME TO __harmony_change_log");
  Status restored = db.Exec(legacy ? "PRAGMA legacy_alter_table = ON"
                                   : "PRAGMA legacy_alter_table = OFF");
  HARMONY_RETURN_IF_ERROR(s.WithContext("widen the change log"));
  return restored;
}

LogColumns MapLogColumns(const sqlite::Statement& select_all) {
  LogColumns cols;
  for (int i = 0; i < select_all.ColumnCount(); ++i) {
    const std::string name = select_all.ColumnName(i);
    if (name.size() < 2 || (name[0] != 'k' && name[0] != 'c')) continue;
    const size_t n = std::strtoul(name.c_str() + 1, nullptr, 10);
    auto& v = name[0] == 'k' ? cols.keys : cols.values;
    if (v.size() <= n) v.resize(n + 1, -1);
    v[n] = i;
  }
  return cols;
}

void ReadLogValues(const sqlite::Statement& row, const std::vector<int>& positions, size_t n,
                   std::vector<Value>* out) {
  out->clear();
  out->reserve(n);
  for (size_t i = 0; i < n; ++i) {
    out->push_back(i < positions.size() && positions[i] >= 0 ? row.Column(positions[i])
                                                             : Value{Null{}});
  }
}

namespace {

Result<uint64_t> ReadStateInt(sqlite::Database& db, const char* key) {
  HARMONY_ASSIGN_OR_RETURN(sqlite::Statement sel,
                           db.Prepare("SELECT value FROM __harmony_state WHERE key = ?1"));
  HARMONY_RETURN_IF_ERROR(sel.BindText(1, key));
  HARMONY_ASSIGN_OR_RETURN(bool row, sel.Step());
  if (!row) return uint64_t{0};
  return static_cast<uint64_t>(sel.ColumnInt(0));
}

}  // namespace

Result<uint64_t> ReadEpoch(sqlite::Database& db) { return ReadStateInt(db, "epoch"); }

Result<uint64_t> ReadPublishedSeq(sqlite::Database& db) {
  return ReadStateInt(db, "published_seq");
}

Status WritePublishedSeq(sqlite::Database& db, uint64_t seq) {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement up,
      db.Prepare("INSERT OR REPLACE INTO __harmony_state(key, value) VALUES('published_seq', ?1)"));
  HARMONY_RETURN_IF_ERROR(up.BindInt(1, static_cast<int64_t>(seq)));
  return up.Run().WithContext("record publish progress");
}

Result<int64_t> CleanupPublished(sqlite::Database& db, std::optional<uint64_t> up_to) {
  HARMONY_ASSIGN_OR_RETURN(uint64_t published, ReadPublishedSeq(db));
  if (up_to) published = std::min(published, *up_to);
  HARMONY_ASSIGN_OR_RETURN(sqlite::Statement del,
                           db.Prepare("DELETE FROM __harmony_change_log WHERE seq <= ?1 AND "
                                      "seq < (SELECT max(seq) FROM __harmony_change_log)"));
  HARMONY_RETURN_IF_ERROR(del.BindInt(1, static_cast<int64_t>(published)));
  HARMONY_RETURN_IF_ERROR(del.Run().WithContext("clean up published changes"));
  return db.Changes();
}

Status RemoveAllObjects(sqlite::Database& db) {
  return sqlite::DropObjectsWithPrefix(db, "__harmony");
}

}  // namespace harmony::capture
