// End-to-end (issue #10, item 3): tables without a PRIMARY KEY replicate. A link table is keyed by
// its UNIQUE index over NOT NULL columns; a log table with no usable UNIQUE index is keyed by the
// content of its rows (rowids are never sent: each node assigns its own). Written on several
// nodes at once, with updates and deletes, all nodes end identical, with one shard and with four.
#include <gtest/gtest.h>

#include <string>

#include "tests/e2e/cluster_fixture.h"

namespace harmony::test {
namespace {

class NoPrimaryKeyTest : public ClusterTest, public ::testing::WithParamInterface<int> {
 protected:
  std::string Schema() const override {
    return "CREATE TABLE link(user_id INTEGER NOT NULL, group_id INTEGER NOT NULL, role TEXT,"
           "  UNIQUE(user_id, group_id));"
           "CREATE TABLE log(at INTEGER, level TEXT, msg TEXT);"
           "CREATE TABLE tag(name TEXT NOT NULL, uses INTEGER);"
           "CREATE UNIQUE INDEX tag_name ON tag(name COLLATE NOCASE);";
  }
  std::string ExtraConfig(int) const override {
    return "[replication_log]\nshards = " + std::to_string(GetParam()) + "\n";
  }
};

TEST_P(NoPrimaryKeyTest, LinkTableKeyedByItsUniqueIndexConverges) {
  Exec(0, "INSERT INTO link VALUES(1, 10, 'member'), (2, 10, 'member')");
  Exec(1, "INSERT INTO link VALUES(3, 10, 'owner'), (1, 11, 'member')");
  ASSERT_TRUE(WaitForSameData({"link"}));
  EXPECT_EQ(Query(2, "SELECT count(*) FROM link"), "4");
  // The same pair written on two nodes at once is one row: the later write in stream order wins.
  Exec(0, "UPDATE link SET role = 'admin' WHERE user_id = 1 AND group_id = 10");
  Exec(2, "UPDATE link SET role = 'guest' WHERE user_id = 1 AND group_id = 10");
  Exec(1, "DELETE FROM link WHERE user_id = 2");
  Exec(2, "UPDATE link SET group_id = 12 WHERE user_id = 3");  // the key moves
  ASSERT_TRUE(WaitForSameData({"link"})) << DataDifference(0, 2, {"link"});
  EXPECT_EQ(Query(0, "SELECT count(*) FROM link WHERE user_id = 1 AND group_id = 10"), "1");
  EXPECT_EQ(Query(1, "SELECT count(*) FROM link WHERE user_id = 2"), "0");
  EXPECT_EQ(Query(0, "SELECT group_concat(group_id) FROM link WHERE user_id = 3"), "12");
}

TEST_P(NoPrimaryKeyTest, KeyIndexCollationMakesOneRowOfEqualNames) {
  Exec(0, "INSERT INTO tag VALUES('Blue', 1)");
  ASSERT_TRUE(WaitForSameData({"tag"}));
  Exec(1, "INSERT OR REPLACE INTO tag VALUES('BLUE', 2)");
  ASSERT_TRUE(WaitForSameData({"tag"})) << DataDifference(0, 1, {"tag"});
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Query(i, "SELECT name || '=' || uses FROM tag"), "BLUE=2") << "node " << i + 1;
  }
}

TEST_P(NoPrimaryKeyTest, LogTableWithoutAnyKeyConvergesThroughConcurrentWrites) {
  // Each node appends its own lines, some identical to another node's.
  for (int i = 0; i < 3; ++i) {
    std::string sql = "BEGIN;";
    for (int r = 0; r < 20; ++r) {
      sql += "INSERT INTO log VALUES(" + std::to_string(r) + ", 'info', 'node " +
             std::to_string(i + 1) + " line " + std::to_string(r) + "');";
    }
    sql += "INSERT INTO log VALUES(0, 'warn', 'same everywhere'); COMMIT;";
    Exec(i, sql);
  }
  ASSERT_TRUE(WaitForSameData({"log"})) << DataDifference(0, 1, {"log"});
  EXPECT_EQ(Query(0, "SELECT count(*) FROM log WHERE level = 'info'"), "60");
  // Update and delete by content; rowids differ between nodes and are never sent.
  Exec(1, "UPDATE log SET level = 'debug' WHERE msg LIKE 'node 1 %' AND at < 5");
  Exec(2, "DELETE FROM log WHERE msg LIKE 'node 2 %' AND at >= 10");
  Exec(0, "INSERT INTO log VALUES(99, 'info', 'dup'), (99, 'info', 'dup')");
  ASSERT_TRUE(WaitForSameData({"log"})) << DataDifference(0, 2, {"log"});
  EXPECT_EQ(Query(2, "SELECT count(*) FROM log WHERE level = 'debug'"), "5");
  EXPECT_EQ(Query(0, "SELECT count(*) FROM log WHERE msg LIKE 'node 2 %'"), "10");
  EXPECT_EQ(Query(1, "SELECT count(*) FROM log WHERE msg = 'dup'"), "2");
  Exec(1, "DELETE FROM log WHERE rowid = (SELECT min(rowid) FROM log WHERE msg = 'dup')");
  ASSERT_TRUE(WaitForSameData({"log"})) << DataDifference(0, 1, {"log"});
  EXPECT_EQ(Query(2, "SELECT count(*) FROM log WHERE msg = 'dup'"), "1");
  // Nothing was refused or set aside.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(LogLine(i, {"is not replicated"}), "") << "node " << i + 1;
    EXPECT_EQ(Query(i, "SELECT count(*) FROM __harmony_dead_letters"), "0") << "node " << i + 1;
  }
}

INSTANTIATE_TEST_SUITE_P(Shards, NoPrimaryKeyTest, ::testing::Values(1, 4),
                         [](const auto& info) { return "Shards" + std::to_string(info.param); });

}  // namespace
}  // namespace harmony::test
