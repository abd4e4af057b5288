// End-to-end (#9): a row is identified the way SQLite identifies it. Keys SQLite considers equal
// (NOCASE, RTRIM, 1 = 1.0 in an untyped key) are one row on every node, in the shard hash, in the
// protection of pending local changes and in apply; rows whose key has a NULL are distinct rows
// and replicate by their content. With one shard and with four, all nodes end identical.
#include <gtest/gtest.h>

#include <string>

#include "tests/e2e/cluster_fixture.h"

namespace harmony::test {
namespace {

class RowIdentityTest : public ClusterTest, public ::testing::WithParamInterface<int> {
 protected:
  std::string Schema() const override {
    return "CREATE TABLE nk(k TEXT PRIMARY KEY, v);"
           "CREATE TABLE nc(k TEXT COLLATE NOCASE PRIMARY KEY, v);"
           "CREATE TABLE rt(k TEXT COLLATE RTRIM PRIMARY KEY, v);"
           "CREATE TABLE un(k PRIMARY KEY, v);"
           "CREATE TABLE marker(id INTEGER PRIMARY KEY);";
  }
  std::string ExtraConfig(int) const override {
    return "[replication_log]\nshards = " + std::to_string(GetParam()) + "\n";
  }

  // Every row of `table` on `node` with storage classes: "text:A=text:one,...".
  std::string Rows(int node, const std::string& table) {
    return Query(node,
                 "SELECT group_concat(r, ',') FROM (SELECT typeof(k) || ':' || "
                 "coalesce(k, 'NULL') || '=' || typeof(v) || ':' || v AS r FROM " +
                     table + " ORDER BY r)");
  }

  // Both statements run on their node before either node can have applied the other's.
  void Concurrently(int a, const std::string& sql_a, int b, const std::string& sql_b) {
    Exec(a, sql_a);
    Exec(b, sql_b);
  }
};

// The example of the issue: node 1 inserts (NULL, 'a') and updates it to 'b'. The peers used to
// end with both (NULL, 'a') and (NULL, 'b'): the upsert never conflicts on a NULL key.
TEST_P(RowIdentityTest, NullKeyRowIsUpdatedNotDuplicated) {
  Exec(0, "INSERT INTO nk VALUES(NULL, 'a')");
  Exec(0, "UPDATE nk SET v = 'b' WHERE k IS NULL");
  ASSERT_TRUE(WaitForSameData({"nk"}));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Rows(i, "nk"), "null:NULL=text:b") << "node " << i + 1;
}

// Each NULL-key row is its own row: deleting one must not delete the others (the delete used to
// be WHERE k IS NULL, which matches all of them), and identical rows stay as many as they are.
TEST_P(RowIdentityTest, NullKeyRowsStayDistinctThroughUpdatesAndDeletes) {
  Exec(0, "INSERT INTO nk VALUES(NULL, 'a'), (NULL, 'b'), (NULL, 'c'), ('k', 'keyed')");
  ASSERT_TRUE(WaitForSameData({"nk"}));
  // An identical row added after seeing the first is a second copy everywhere. (Identical rows
  // added at once on two nodes are one write each of "this many copies": the later one wins.)
  Exec(1, "INSERT INTO nk VALUES(NULL, 'a')");
  ASSERT_TRUE(WaitForSameData({"nk"}));
  EXPECT_EQ(Query(2, "SELECT count(*) FROM nk WHERE k IS NULL"), "4");

  Exec(2, "DELETE FROM nk WHERE k IS NULL AND v = 'b'");
  Exec(1, "UPDATE nk SET v = 'same' WHERE k IS NULL AND v IN ('a', 'c')");  // three rows
  Exec(0, "UPDATE nk SET k = NULL WHERE k = 'k'");
  ASSERT_TRUE(WaitForSameData({"nk"}));
  Exec(0, "UPDATE nk SET k = 'back' WHERE v = 'keyed'");
  Exec(2, "DELETE FROM nk WHERE rowid = (SELECT min(rowid) FROM nk WHERE v = 'same')");
  ASSERT_TRUE(WaitForSameData({"nk"}));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Rows(i, "nk"), "null:NULL=text:same,null:NULL=text:same,text:back=text:keyed")
        << "node " << i + 1;
  }
}

// 'A' on one node and 'a' on another are one row for a NOCASE key. Before, they hashed to
// different shards and missed each other's pending protection, and the upsert kept the key's
// old spelling: nodes ended with different rows.
TEST_P(RowIdentityTest, ConcurrentNocaseInsertsOfOneKeyConverge) {
  std::string upper, lower;
  for (int i = 0; i < 20; ++i) {
    const std::string n = std::to_string(i);
    upper += std::string(i ? "," : "") + "('KEY" + n + "', 'node 1')";
    lower += std::string(i ? "," : "") + "('key" + n + "', 'node 2')";
  }
  Concurrently(0, "INSERT OR REPLACE INTO nc VALUES" + upper, 1,
               "INSERT OR REPLACE INTO nc VALUES" + lower);
  ASSERT_TRUE(WaitForSameData({"nc"}));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Query(i, "SELECT count(*) FROM nc"), "20");
}

// UPDATE SET k = 'a' WHERE k = 'A' keeps the row for SQLite. It used to be sent as delete 'A' and
// upsert 'a', possibly in different shards: a peer applying the upsert first updated row 'A' and
// then deleted it.
TEST_P(RowIdentityTest, NocaseKeyChangeToAnotherSpellingKeepsTheRow) {
  std::string rows;
  for (int i = 0; i < 20; ++i)
    rows += std::string(i ? "," : "") + "('K" + std::to_string(i) + "', 1)";
  Exec(0, "INSERT INTO nc VALUES" + rows);
  ASSERT_TRUE(WaitForSameData({"nc"}));
  Exec(1, "UPDATE nc SET k = lower(k), v = 2");
  ASSERT_TRUE(WaitForSameData({"nc"}));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Query(i, "SELECT count(*) FROM nc WHERE v = 2 AND k = lower(k) COLLATE BINARY"), "20")
        << "node " << i + 1;
  }
}

TEST_P(RowIdentityTest, RtrimKeysDifferingInTrailingSpacesAreOneRow) {
  std::string rows, spaced;
  for (int i = 0; i < 20; ++i) {
    const std::string n = std::to_string(i);
    rows += std::string(i ? "," : "") + "('x" + n + "', 'node 1')";
    spaced += std::string(i ? "," : "") + "('x" + n + "   ', 'node 2')";
  }
  Concurrently(0, "INSERT OR REPLACE INTO rt VALUES" + rows, 1,
               "INSERT OR REPLACE INTO rt VALUES" + spaced);
  ASSERT_TRUE(WaitForSameData({"rt"}));
  Exec(2, "UPDATE rt SET k = rtrim(k) || ' ', v = 'node 3'");
  ASSERT_TRUE(WaitForSameData({"rt"}));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Query(i, "SELECT count(*) FROM rt WHERE v = 'node 3' AND substr(k, -1) = ' '"), "20")
        << "node " << i + 1;
  }
}

// In an untyped key INTEGER 1 and REAL 1.0 are one key for SQLite.
TEST_P(RowIdentityTest, IntegerAndEqualRealInAnUntypedKeyAreOneRow) {
  std::string ints, reals;
  for (int i = 0; i < 20; ++i) {
    const std::string n = std::to_string(i);
    ints += std::string(i ? "," : "") + "(" + n + ", 'int')";
    reals += std::string(i ? "," : "") + "(" + n + ".0, 'real')";
  }
  Concurrently(0, "INSERT OR REPLACE INTO un VALUES" + ints, 1,
               "INSERT OR REPLACE INTO un VALUES" + reals);
  ASSERT_TRUE(WaitForSameData({"un"}));
  Exec(2,
       "UPDATE un SET k = CASE typeof(k) WHEN 'real' THEN CAST(k AS INTEGER) "
       "ELSE CAST(k AS REAL) END, v = 'flipped'");
  ASSERT_TRUE(WaitForSameData({"un"}));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Query(i, "SELECT count(*) FROM un WHERE v = 'flipped'"), "20") << "node " << i + 1;
  }
}

INSTANTIATE_TEST_SUITE_P(Shards, RowIdentityTest, ::testing::Values(1, 4),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return "Shards" + std::to_string(info.param);
                         });

class CustomCollationTest : public ClusterTest {
 protected:
  // The shape of an app whose key uses a collation it registers itself; harmony cannot load it,
  // so the schema is written with a connection that defines it (see SetUp of the fixture: the
  // schema runs through sqlite3 without it, so this test creates it through writable_schema).
  std::string Schema() const override {
    return "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT);"
           "CREATE TABLE tagged(tag TEXT PRIMARY KEY, v);"
           "PRAGMA writable_schema = ON;"
           "UPDATE sqlite_schema SET sql = 'CREATE TABLE tagged(tag TEXT COLLATE appcoll "
           "PRIMARY KEY, v)' WHERE name = 'tagged';"
           "PRAGMA writable_schema = OFF;";
  }
};

TEST_F(CustomCollationTest, TableWithAnApplicationCollationKeyIsRefusedByName) {
  for (int i = 0; i < 3; ++i) {
    std::string line = LogLine(i, {"\"tagged\"", "\"tag\"", "appcoll"});
    EXPECT_FALSE(line.empty()) << "node " << i + 1 << " did not name the table and column:\n"
                               << nodes_[i].process->Log();
    EXPECT_TRUE(NodeRunning(i)) << "node " << i + 1;
  }
  Exec(0, "INSERT INTO items VALUES(1, 'replicated')");
  ASSERT_TRUE(WaitForSameData({"items"}));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Query(i,
                    "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND "
                    "tbl_name = 'tagged'"),
              "0");
  }
}

}  // namespace
}  // namespace harmony::test
