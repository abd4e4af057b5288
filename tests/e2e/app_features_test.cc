// End-to-end: application triggers, generated columns, DEFAULT values and FTS5 tables.
#include <gtest/gtest.h>

#include <string>

#include "tests/e2e/cluster_fixture.h"

namespace harmony::test {
namespace {

class AppFeaturesTest : public ClusterTest {
 protected:
  std::string Schema() const override {
    // The audit key is random so audit rows written on different nodes never collide.
    return "CREATE TABLE acct("
           "  id INTEGER PRIMARY KEY, bal INTEGER NOT NULL,"
           "  doubled INTEGER GENERATED ALWAYS AS (bal * 2) STORED,"
           "  label TEXT GENERATED ALWAYS AS ('#' || id || ':' || bal) VIRTUAL,"
           "  created TEXT DEFAULT CURRENT_TIMESTAMP,"
           "  created_ms TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),"
           "  r INTEGER DEFAULT (random()),"
           "  token TEXT DEFAULT (hex(randomblob(8))));"
           "CREATE TABLE audit(id TEXT PRIMARY KEY DEFAULT (hex(randomblob(16))),"
           "  acct INTEGER, op TEXT, bal INTEGER);"
           "CREATE TRIGGER acct_ins AFTER INSERT ON acct BEGIN"
           "  INSERT INTO audit(acct, op, bal) VALUES(NEW.id, 'ins', NEW.bal); END;"
           "CREATE TRIGGER acct_upd AFTER UPDATE ON acct BEGIN"
           "  INSERT INTO audit(acct, op, bal) VALUES(NEW.id, 'upd', NEW.bal); END;"
           "CREATE TRIGGER acct_del AFTER DELETE ON acct BEGIN"
           "  INSERT INTO audit(acct, op, bal) VALUES(OLD.id, 'del', OLD.bal); END;";
  }
};

TEST_F(AppFeaturesTest, AppTriggerFiresOnceGeneratedColumnsAndDefaultsMatchTheOrigin) {
  int writes = 0;
  for (int id = 1; id <= 10; ++id) {
    Exec(0, "INSERT INTO acct(id, bal) VALUES(" + std::to_string(id) + ", " +
                std::to_string(id * 100) + ")");
    ++writes;
  }
  for (int id = 11; id <= 15; ++id) {
    Exec(1, "INSERT INTO acct(id, bal) VALUES(" + std::to_string(id) + ", 7)");
    ++writes;
  }
  Exec(0, "UPDATE acct SET bal = bal + 1 WHERE id <= 3");  // three rows: three trigger firings
  writes += 3;
  // Each node changes rows only once it has them, so every statement below fires its trigger.
  ASSERT_TRUE(WaitFor(1, "SELECT count(*) FROM acct WHERE id = 4", "1"));
  Exec(1, "DELETE FROM acct WHERE id IN (4, 12)");
  writes += 2;
  ASSERT_TRUE(WaitFor(2, "SELECT count(*) FROM acct WHERE id = 11", "1"));
  Exec(2, "UPDATE acct SET bal = 0 WHERE id = 11");
  writes += 1;

  ASSERT_TRUE(WaitForSameData({"acct", "audit"}));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Query(i, "SELECT count(*) FROM audit"), std::to_string(writes))
        << "node " << i + 1 << ": the app trigger fired a different number of times";
    EXPECT_EQ(Query(i,
                    "SELECT count(*) FROM acct WHERE doubled IS NOT bal * 2 OR "
                    "label IS NOT '#' || id || ':' || bal"),
              "0")
        << "node " << i + 1 << ": a generated column is wrong";
    EXPECT_EQ(Query(i, "SELECT doubled || ' ' || label FROM acct WHERE id = 2"), "402 #2:201")
        << "node " << i + 1;
    EXPECT_EQ(Query(i,
                    "SELECT count(*) FROM acct WHERE created IS NULL OR r IS NULL OR "
                    "token IS NULL"),
              "0")
        << "node " << i + 1;
  }
  // Defaults arrive as computed on the origin, not recomputed: random() and randomblob() would
  // differ, and so would the millisecond timestamp.
  for (int i = 1; i < 3; ++i) {
    for (int id : {1, 11}) {
      const std::string sql =
          "SELECT created || '|' || created_ms || '|' || r || '|' || token "
          "FROM acct WHERE id = " +
          std::to_string(id);
      EXPECT_EQ(Query(i, sql), Query(0, sql)) << "node " << i + 1 << " id " << id;
    }
  }
}

class Fts5Test : public ClusterTest {
 protected:
  std::string Schema() const override {
    return "CREATE TABLE docs(id INTEGER PRIMARY KEY, body TEXT);"
           "CREATE VIRTUAL TABLE docs_fts USING fts5(body);"
           "CREATE VIRTUAL TABLE docs_ext USING fts5(body, content='docs', content_rowid='id');"
           "CREATE TABLE notes(id INTEGER PRIMARY KEY, t TEXT);";
  }
};

TEST_F(Fts5Test, Fts5TablesAreSkippedWithALogLineAndOtherTablesReplicate) {
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(NodeRunning(i)) << "node " << i + 1;
    EXPECT_FALSE(LogLine(i, {"docs_fts", "not replicated"}).empty())
        << "node " << i + 1 << " does not say docs_fts is skipped:\n"
        << nodes_[i].process->Log();
    // Neither the virtual table nor its shadow tables (docs_fts_data, ...) get capture triggers.
    EXPECT_EQ(Query(i,
                    "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND "
                    "tbl_name LIKE 'docs\\_%' ESCAPE '\\'"),
              "0")
        << "node " << i + 1;
  }
  Exec(0,
       "INSERT INTO docs VALUES(1, 'the quick brown fox'), (2, 'lazy dogs');"
       "INSERT INTO docs_fts VALUES('only on node one');"
       "INSERT INTO docs_ext(docs_ext) VALUES('rebuild');"
       "INSERT INTO notes VALUES(1, 'note');");
  Exec(0, "UPDATE docs SET body = 'the quick red fox' WHERE id = 1");
  ASSERT_TRUE(WaitForSameData({"docs", "notes"}));
  for (int i = 1; i < 3; ++i) {
    EXPECT_EQ(Query(i, "SELECT count(*) FROM docs_fts"), "0") << "node " << i + 1;
    // The replicated content table can be indexed locally.
    Exec(i, "INSERT INTO docs_ext(docs_ext) VALUES('rebuild')");
    EXPECT_EQ(Query(i, "SELECT rowid FROM docs_ext WHERE docs_ext MATCH 'red'"), "1")
        << "node " << i + 1;
    EXPECT_EQ(Query(i, "SELECT count(*) FROM __harmony_dead_letters"), "0") << "node " << i + 1;
    EXPECT_TRUE(NodeRunning(i)) << "node " << i + 1;
  }
}

}  // namespace
}  // namespace harmony::test
