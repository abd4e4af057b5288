// Helpers shared by the snapshot unit tests: application databases with harmony-like objects.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/value.h"
#include "sqlite/database.h"
#include "tests/support/status_matchers.h"

namespace harmony::snapshot::testing_util {

inline sqlite::Database Open(const std::string& path) {
  sqlite::OpenOptions options;
  options.create = true;
  auto db = sqlite::Database::Open(path, options);
  EXPECT_TRUE(test::IsOk(db));
  return std::move(db).value();
}

inline void Exec(sqlite::Database& db, const std::string& sql) {
  ASSERT_TRUE(test::IsOk(db.Exec(sql)));
}

// The user schema CreateSnapshot must report for MakeAppDatabase's database, in name order.
inline const char kAppSchema[] =
    "CREATE TABLE audit(item INTEGER, note TEXT);\n"
    "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT, price REAL, data BLOB);\n"
    "CREATE TRIGGER items_audit AFTER INSERT ON items BEGIN"
    " INSERT INTO audit VALUES(new.id, 'added'); END;\n"
    "CREATE INDEX items_name ON items(name)";

// An application database in WAL mode with `rows` items, an index and a trigger, plus objects
// shaped like harmony's: apply positions (shard 0 at 42, shard 5 at 7), a change log and a
// capture trigger feeding it.
inline void MakeAppDatabase(const std::string& path, int rows = 100) {
  sqlite::Database db = Open(path);
  Exec(db,
       "CREATE TABLE audit(item INTEGER, note TEXT);"
       "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT, price REAL, data BLOB);"
       "CREATE TRIGGER items_audit AFTER INSERT ON items BEGIN"
       " INSERT INTO audit VALUES(new.id, 'added'); END;"
       "CREATE INDEX items_name ON items(name);"
       "CREATE TABLE __harmony_apply_position("
       "  shard INTEGER PRIMARY KEY, stream_seq INTEGER NOT NULL, own_seq INTEGER NOT NULL);"
       "INSERT INTO __harmony_apply_position VALUES(0, 42, 3), (5, 7, 0);"
       "CREATE TABLE __harmony_change_log(seq INTEGER PRIMARY KEY AUTOINCREMENT, tid, op, c0);"
       "CREATE TRIGGER __harmony_1_insert AFTER INSERT ON items BEGIN"
       " INSERT INTO __harmony_change_log(tid, op, c0) VALUES(1, 1, new.id); END;");
  Exec(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
               std::to_string(rows) +
               ") INSERT INTO items SELECT i, 'item ' || i, i * 1.5, randomblob(200) FROM n");
}

// Every row of `table` rendered with storage classes, in rowid order.
inline std::vector<std::string> Rows(sqlite::Database& db, const std::string& table) {
  std::vector<std::string> out;
  auto q = db.Prepare("SELECT * FROM " + sqlite::QuoteIdentifier(table) + " ORDER BY rowid");
  EXPECT_TRUE(test::IsOk(q));
  if (!q.ok()) return out;
  while (true) {
    auto row = q->Step();
    EXPECT_TRUE(test::IsOk(row));
    if (!row.ok() || !*row) break;
    std::string line;
    for (int i = 0; i < q->ColumnCount(); ++i) line += DebugString(q->Column(i)) + "|";
    out.push_back(line);
  }
  return out;
}

// Names of the schema objects (tables, indexes, views, triggers) whose name starts "__harmony".
inline std::vector<std::string> HarmonyObjects(sqlite::Database& db) {
  std::vector<std::string> out;
  auto q =
      db.Prepare("SELECT name FROM sqlite_schema WHERE name LIKE '\\_\\_harmony%' ESCAPE '\\'");
  EXPECT_TRUE(test::IsOk(q));
  while (q.ok()) {
    auto row = q->Step();
    if (!row.ok() || !*row) break;
    out.push_back(q->ColumnText(0));
  }
  return out;
}

}  // namespace harmony::snapshot::testing_util
