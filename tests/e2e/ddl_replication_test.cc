// End-to-end (issue #10, item 1): schema changes made by the application on one node reach the
// others in order with the rows around them, with one shard and with four: rows written after a
// change on its origin land after it everywhere, and rows written under an old shape still land.
#include <gtest/gtest.h>

#include <string>

#include "tests/e2e/cluster_fixture.h"
#include "tests/support/await.h"

namespace harmony::test {
namespace {

class DdlReplicationTest : public ClusterTest, public ::testing::WithParamInterface<int> {
 protected:
  std::string Schema() const override {
    return "CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT, qty INT);";
  }
  std::string ExtraConfig(int) const override {
    return "replicate_ddl = true\n[replication_log]\nshards = " + std::to_string(GetParam()) +
           "\n";
  }
  // The application's schema (harmony's objects left out), as one text.
  std::string AppSchema(int i) {
    return Query(i,
                 "SELECT group_concat(type || ' ' || name || ': ' || sql, char(10)) FROM (SELECT * "
                 "FROM sqlite_schema WHERE name NOT LIKE '\\_\\_harmony%' ESCAPE '\\' AND tbl_name "
                 "NOT LIKE '\\_\\_harmony%' ESCAPE '\\' ORDER BY type, name)");
  }
  bool SameSchemaEverywhere() {
    for (int attempt = 0; attempt < 200; ++attempt) {
      if (AppSchema(0) == AppSchema(1) && AppSchema(0) == AppSchema(2)) return true;
      WaitFor(0, "SELECT 1", "1");
    }
    return false;
  }
  std::string Rows(int from, int to) const {
    std::string sql = "BEGIN;";
    for (int r = from; r < to; ++r) {
      sql += "INSERT INTO item(id, name, qty) VALUES(" + std::to_string(r) + ", 'n" +
             std::to_string(r) + "', " + std::to_string(r) + ");";
    }
    return sql + "COMMIT;";
  }
};

TEST_P(DdlReplicationTest, EachKindArrivesInOrderWithTheRowsAroundIt) {
  Exec(0, Rows(0, 50));
  // Add a column and write it at once: the rows after the change carry the new column.
  Exec(0, "ALTER TABLE item ADD COLUMN colour TEXT DEFAULT 'none'");
  Exec(0, "BEGIN; UPDATE item SET colour = 'red' WHERE id < 10; INSERT INTO item VALUES(100, "
          "'late', 1, 'blue'); COMMIT;");
  ASSERT_TRUE(WaitFor(2, "SELECT count(*) FROM item WHERE colour = 'red'", "10"))
      << AppSchema(2);
  ASSERT_TRUE(WaitFor(1, "SELECT colour FROM item WHERE id = 100", "blue"));
  // A new table with an index, a view and a trigger, then rows into it.
  Exec(1, "CREATE TABLE tag(name TEXT PRIMARY KEY, item_id INT REFERENCES item(id));"
          "CREATE INDEX tag_item ON tag(item_id);"
          "CREATE VIEW red_items AS SELECT id, name FROM item WHERE colour = 'red';");
  Exec(1, "INSERT INTO tag VALUES('a', 1), ('b', 2)");
  ASSERT_TRUE(WaitFor(0, "SELECT count(*) FROM tag", "2"));
  ASSERT_TRUE(WaitFor(2, "SELECT count(*) FROM tag", "2"));
  ASSERT_TRUE(WaitFor(2, "SELECT count(*) FROM red_items", "10"));
  // Rename a column and a table, with rows before and after.
  Exec(2, "ALTER TABLE item RENAME COLUMN qty TO quantity");
  Exec(2, "UPDATE item SET quantity = quantity + 1000 WHERE id < 5");
  Exec(2, "ALTER TABLE tag RENAME TO label");
  Exec(2, "INSERT INTO label VALUES('c', 3)");
  ASSERT_TRUE(WaitFor(0, "SELECT count(*) FROM label", "3"));
  ASSERT_TRUE(WaitFor(1, "SELECT count(*) FROM label", "3"));
  ASSERT_TRUE(WaitFor(1, "SELECT sum(quantity >= 1000) FROM item", "5"));
  // Drop a column: SQLite wants the view that reads it and harmony's triggers gone first (the
  // documented procedure); the other nodes get the view dropped, then the column.
  const std::string drop_triggers = Query(
      0, "SELECT group_concat('DROP TRIGGER \"' || name || '\"', ';') FROM sqlite_schema WHERE "
         "type = 'trigger' AND tbl_name = 'item' AND name LIKE '\\_\\_harmony%' ESCAPE '\\'");
  ASSERT_FALSE(drop_triggers.empty());
  Exec(0, "BEGIN; DROP VIEW red_items; " + drop_triggers +
              "; ALTER TABLE item DROP COLUMN colour; COMMIT;");
  Exec(0, "UPDATE item SET name = 'after drop' WHERE id = 1");
  for (int i : {1, 2}) {
    ASSERT_TRUE(WaitFor(i, "SELECT count(*) FROM pragma_table_info('item') WHERE name = 'colour'",
                        "0"));
    ASSERT_TRUE(WaitFor(i, "SELECT name FROM item WHERE id = 1", "after drop"));
  }
  // Drop an index, then a table with rows written just before.
  Exec(0, "DROP INDEX tag_item");
  Exec(1, "INSERT INTO label VALUES('d', 4)");
  Exec(1, "DROP TABLE label");
  ASSERT_TRUE(WaitFor(0, "SELECT count(*) FROM sqlite_schema WHERE name = 'label'", "0"));
  ASSERT_TRUE(SameSchemaEverywhere()) << AppSchema(0) << "\n---\n" << AppSchema(2);
  ASSERT_TRUE(WaitForSameData({"item"})) << DataDifference(0, 2, {"item"});
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(LogLine(i, {"refused here"}), "") << "node " << i + 1;
    EXPECT_EQ(LogLine(i, {"replication paused"}), "") << "node " << i + 1;
    EXPECT_EQ(LogLine(i, {"arrived in shard"}), "") << "node " << i + 1;
    // A renamed table's rows are not sent again as if the table were new.
    EXPECT_EQ(LogLine(i, {"label (new)", "3 row(s) backfilled"}), "") << "node " << i + 1;
  }
}

TEST_P(DdlReplicationTest, DroppedTableCreatedAgainGetsNoOldRows) {
  Exec(0, "CREATE TABLE scratch(k INTEGER PRIMARY KEY, v TEXT)");
  for (int i : {1, 2}) {
    ASSERT_TRUE(WaitFor(i, "SELECT count(*) FROM sqlite_schema WHERE name = 'scratch'", "1"));
  }
  // Rows in flight when the table is dropped; it is created again once the drop arrived.
  std::string sql = "BEGIN;";
  for (int r = 0; r < 200; ++r) sql += "INSERT INTO scratch VALUES(" + std::to_string(r) + ", 'old');";
  Exec(0, sql + "COMMIT; DROP TABLE scratch;");
  for (int i : {1, 2}) {
    ASSERT_TRUE(WaitFor(i, "SELECT count(*) FROM sqlite_schema WHERE name = 'scratch'", "0"));
  }
  Exec(1, "CREATE TABLE scratch(k INTEGER PRIMARY KEY, v TEXT); INSERT INTO scratch VALUES(1, 'new')");
  for (int i : {0, 2}) ASSERT_TRUE(WaitFor(i, "SELECT group_concat(v) FROM scratch", "new"));
  ASSERT_TRUE(WaitForSameData({"scratch"})) << DataDifference(0, 1, {"scratch"});
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Query(i, "SELECT count(*) FROM __harmony_held"), "0");
}

// SQLite's way to make any other change to a table (create the new one, copy, drop, rename),
// done on one node while another writes: every node gets the new definition and its index, and
// keeps every row.
TEST_P(DdlReplicationTest, RebuiltTableKeepsItsRowsEverywhere) {
  Exec(0, Rows(0, 100));
  ASSERT_TRUE(WaitFor(1, "SELECT count(*) FROM item", "100"));
  Exec(1, Rows(200, 210));
  Exec(0, "BEGIN; CREATE TABLE item_new(id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '', "
          "qty INT CHECK (qty >= 0)); INSERT INTO item_new SELECT * FROM item; DROP TABLE item; "
          "ALTER TABLE item_new RENAME TO item; CREATE INDEX item_name ON item(name); COMMIT;");
  Exec(1, Rows(300, 310));
  ASSERT_TRUE(SameSchemaEverywhere()) << AppSchema(0) << "\n---\n" << AppSchema(1);
  ASSERT_TRUE(WaitForSameData({"item"})) << DataDifference(0, 1, {"item"});
  EXPECT_EQ(Query(2, "SELECT count(*) FROM item"), "120");
  EXPECT_FALSE(LogLine(0, {"taken for a rebuild"}).empty());
}

// Two nodes add the same column with other definitions before either sees the other's: the
// later one in stream order is refused wherever the earlier one landed first, and every node that
// refuses one says so (docs/schema-changes.md, "Conflicting changes").
TEST_P(DdlReplicationTest, ConflictingConcurrentChangesAreReportedNotKeptSilently) {
  StopNode(1);
  Exec(0, "ALTER TABLE item ADD COLUMN extra INTEGER");
  ASSERT_TRUE(WaitFor(2, "SELECT count(*) FROM pragma_table_info('item') WHERE name = 'extra'", "1"));
  Exec(1, "ALTER TABLE item ADD COLUMN extra TEXT");
  StartNode(1);
  for (int i = 0; i < 3; ++i) {
    std::string line;
    EXPECT_TRUE(PollUntil([&] { return !(line = LogLine(i, {"refused here", "extra"})).empty(); },
                          std::chrono::seconds(30), std::chrono::milliseconds(20)))
        << "node " << i + 1;
  }
  EXPECT_NE(LogLine(2, {"refused here", "`extra INTEGER`", "`extra TEXT`"}), "");
}

// The cases below come from trying to break DDL replication (rename away and create anew, swaps,
// 12-step changes that rename or drop columns, FTS5, DDL while harmony is stopped).

TEST_P(DdlReplicationTest, TableRenamedAwayAndCreatedAnewUnderItsName) {
  Exec(0, Rows(0, 20));
  ASSERT_TRUE(WaitFor(2, "SELECT count(*) FROM item", "20"));
  Exec(0, "BEGIN; ALTER TABLE item RENAME TO item_old; CREATE TABLE item(id INTEGER PRIMARY KEY, "
          "name TEXT, qty INT); COMMIT;");
  Exec(0, "INSERT INTO item VALUES(1000, 'fresh', 1)");
  ASSERT_TRUE(WaitFor(2, "SELECT count(*) FROM item_old", "20"));
  Exec(0, "UPDATE item_old SET name = 'archived' WHERE id < 5; INSERT INTO item VALUES(1001, 'b', 2)");
  ASSERT_TRUE(SameSchemaEverywhere()) << AppSchema(0) << "\n---\n" << AppSchema(1);
  ASSERT_TRUE(WaitForSameData()) << DataDifference(0, 1);
  EXPECT_EQ(Query(1, "SELECT group_concat(id) FROM item"), "1000,1001");
  EXPECT_EQ(Query(2, "SELECT count(*) FROM item_old WHERE name = 'archived'"), "5");
}

TEST_P(DdlReplicationTest, TwoTablesSwapped) {
  Exec(0, "CREATE TABLE other(id INTEGER PRIMARY KEY, name TEXT, qty INT)");
  Exec(0, Rows(0, 5));
  Exec(0, "INSERT INTO other VALUES(100, 'o', 1), (101, 'o', 1), (102, 'o', 1)");
  ASSERT_TRUE(WaitFor(2, "SELECT count(*) FROM other", "3"));
  Exec(0, "BEGIN; ALTER TABLE item RENAME TO tmp; ALTER TABLE other RENAME TO item; "
          "ALTER TABLE tmp RENAME TO other; COMMIT;");
  Exec(0, "INSERT INTO item VALUES(200, 'new', 1)");
  ASSERT_TRUE(SameSchemaEverywhere()) << AppSchema(0) << "\n---\n" << AppSchema(1);
  ASSERT_TRUE(WaitForSameData()) << DataDifference(0, 1);
  EXPECT_EQ(Query(2, "SELECT count(*) FROM item"), "4");
  EXPECT_EQ(Query(2, "SELECT count(*) FROM other"), "5");
}

TEST_P(DdlReplicationTest, RebuildThatDropsAndRenamesColumnsWhileAnotherNodeWrites) {
  Exec(0, "ALTER TABLE item ADD COLUMN code TEXT; CREATE UNIQUE INDEX item_code ON item(code)");
  Exec(0, Rows(0, 20));
  ASSERT_TRUE(WaitFor(1, "SELECT count(*) FROM item", "20"));
  ASSERT_TRUE(WaitFor(1, "SELECT count(*) FROM pragma_table_info('item') WHERE name = 'code'", "1"));
  // Node 2 writes in the old shape before it hears of the rebuild (its harmony is down then).
  StopNode(1);
  Exec(0, "BEGIN; CREATE TABLE item_new(id INTEGER PRIMARY KEY, name TEXT, amount REAL NOT NULL "
          "DEFAULT 0 CHECK (amount >= 0)); INSERT INTO item_new SELECT id, name, qty FROM item; "
          "DROP TABLE item; ALTER TABLE item_new RENAME TO item; COMMIT;");
  Exec(1, "INSERT INTO item(id, name, qty, code) VALUES(100, 'old shape', 1, 'c100')");
  StartNode(1);
  ASSERT_TRUE(SameSchemaEverywhere()) << AppSchema(0) << "\n---\n" << AppSchema(1);
  ASSERT_TRUE(WaitForSameData()) << DataDifference(0, 1);
  EXPECT_EQ(Query(2, "SELECT count(*) FROM item"), "21");
  EXPECT_EQ(Query(1, "SELECT typeof(amount) || amount FROM item WHERE id = 7"), "real7.0");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Query(i, "SELECT count(*) FROM __harmony_held"), "0");
}

TEST_P(DdlReplicationTest, RenamedColumnKeepsTheOriginsSpelling) {
  Exec(0, "ALTER TABLE item RENAME COLUMN qty TO \"quantity\"");
  Exec(0, "ALTER TABLE item ADD COLUMN \"my col\" TEXT DEFAULT 'a,b'");
  Exec(0, "ALTER TABLE item RENAME COLUMN name TO [the name]");
  Exec(0, "INSERT INTO item VALUES(1, 'x', 2, 'y')");
  ASSERT_TRUE(SameSchemaEverywhere()) << AppSchema(0) << "\n---\n" << AppSchema(1);
  ASSERT_TRUE(WaitForSameData()) << DataDifference(0, 1);
}

TEST_P(DdlReplicationTest, ExternalContentFullTextIndexCreatedOnOneNode) {
  Exec(0, Rows(0, 10));
  ASSERT_TRUE(WaitFor(2, "SELECT count(*) FROM item", "10"));
  Exec(0, "CREATE VIRTUAL TABLE item_fts USING fts5(name, content='item', content_rowid='id');"
          "CREATE TRIGGER item_ai AFTER INSERT ON item BEGIN INSERT INTO item_fts(rowid, name) "
          "VALUES (new.id, new.name); END;"
          "CREATE TRIGGER item_ad AFTER DELETE ON item BEGIN INSERT INTO item_fts(item_fts, rowid, "
          "name) VALUES('delete', old.id, old.name); END;"
          "CREATE TRIGGER item_au AFTER UPDATE ON item BEGIN INSERT INTO item_fts(item_fts, rowid, "
          "name) VALUES('delete', old.id, old.name); INSERT INTO item_fts(rowid, name) VALUES "
          "(new.id, new.name); END;"
          "INSERT INTO item_fts(item_fts) VALUES('rebuild');");
  ASSERT_TRUE(SameSchemaEverywhere());
  Exec(1, "INSERT INTO item VALUES(50, 'zebra', 1)");
  Exec(0, "UPDATE item SET name = 'apple' WHERE id = 3");
  Exec(2, "DELETE FROM item WHERE id = 4");
  ASSERT_TRUE(WaitForSameData({"item"})) << DataDifference(0, 1, {"item"});
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Query(i, "SELECT count(*) FROM item_fts WHERE item_fts MATCH 'zebra'"), "1") << i + 1;
    EXPECT_EQ(Query(i, "SELECT count(*) FROM item_fts WHERE item_fts MATCH 'apple'"), "1") << i + 1;
    EXPECT_EQ(Query(i, "SELECT count(*) FROM item_fts WHERE item_fts MATCH 'n5'"), "1") << i + 1;
    EXPECT_EQ(Query(i, "SELECT count(*) FROM item_fts WHERE item_fts MATCH 'n4'"), "0") << i + 1;
    Exec(i, "INSERT INTO item_fts(item_fts) VALUES('integrity-check')");
  }
}

TEST_P(DdlReplicationTest, ChangesMadeWhileHarmonyWasStoppedAreSentAtStart) {
  Exec(0, Rows(0, 10));
  ASSERT_TRUE(WaitFor(2, "SELECT count(*) FROM item", "10"));
  StopNode(0);
  Exec(0, "ALTER TABLE item RENAME COLUMN qty TO amount; ALTER TABLE item RENAME TO goods;"
          "CREATE TABLE item(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO item VALUES(1, 'a');"
          "UPDATE goods SET amount = amount + 100;");
  Exec(1, "UPDATE item SET name = 'by2' WHERE id = 2");  // concurrent, under the old names
  StartNode(0);
  ASSERT_TRUE(SameSchemaEverywhere()) << AppSchema(0) << "\n---\n" << AppSchema(1);
  ASSERT_TRUE(WaitForSameData()) << DataDifference(0, 1);
  EXPECT_EQ(Query(2, "SELECT sum(amount) FROM goods"), "1045");
}

INSTANTIATE_TEST_SUITE_P(Shards, DdlReplicationTest, ::testing::Values(1, 4),
                         [](const auto& info) { return std::to_string(info.param) + "shards"; });

}  // namespace
}  // namespace harmony::test
