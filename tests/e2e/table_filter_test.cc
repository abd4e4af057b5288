// End-to-end: ignore_tables keeps matching tables local; every other table replicates.
#include <gtest/gtest.h>

#include <string>

#include "tests/e2e/cluster_fixture.h"

namespace harmony::test {
namespace {

class TableFilterTest : public ClusterTest {
 protected:
  std::string ExtraConfig(int) const override {
    return "ignore_tables = [\"tmp_*\", \"local_cache\"]\n";
  }
  // local_cache2 and tmpx match neither pattern (patterns match the whole name).
  std::string Schema() const override {
    return "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT);"
           "CREATE TABLE tmp_a(id INTEGER PRIMARY KEY, v);"
           "CREATE TABLE tmp_b(k TEXT PRIMARY KEY, v);"
           "CREATE TABLE local_cache(id INTEGER PRIMARY KEY, v);"
           "CREATE TABLE local_cache2(id INTEGER PRIMARY KEY, v);"
           "CREATE TABLE tmpx(id INTEGER PRIMARY KEY, v);";
  }
};

TEST_F(TableFilterTest, IgnoredTablesStayLocalAndOthersReplicate) {
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(LogLine(i, {"tmp_a", "ignore_tables"}).empty())
        << "node " << i + 1 << " does not say why tmp_a is not replicated:\n"
        << nodes_[i].process->Log();
    EXPECT_FALSE(LogLine(i, {"\"local_cache\"", "ignore_tables"}).empty()) << "node " << i + 1;
    EXPECT_EQ(Query(i,
                    "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND "
                    "tbl_name IN ('tmp_a', 'tmp_b', 'local_cache')"),
              "0")
        << "node " << i + 1;
  }
  // Ignored tables first: when the later rows have arrived, these would have too.
  Exec(0,
       "INSERT INTO tmp_a VALUES(1, 'n1'); INSERT INTO tmp_b VALUES('k', 'n1');"
       "INSERT INTO local_cache VALUES(1, 'n1');");
  Exec(1, "INSERT INTO tmp_a VALUES(2, 'n2'); INSERT INTO local_cache VALUES(2, 'n2');");
  Exec(0,
       "INSERT INTO local_cache2 VALUES(1, 'kept'); INSERT INTO tmpx VALUES(1, 'kept');"
       "INSERT INTO items VALUES(1, 'kept');");
  Exec(1, "INSERT INTO items VALUES(2, 'kept')");
  ASSERT_TRUE(WaitForSameData({"items", "local_cache2", "tmpx"}));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Query(i, "SELECT count(*) FROM items"), "2") << "node " << i + 1;
    EXPECT_EQ(Query(i, "SELECT count(*) FROM local_cache2"), "1") << "node " << i + 1;
    EXPECT_EQ(Query(i, "SELECT count(*) FROM tmpx"), "1") << "node " << i + 1;
  }
  EXPECT_EQ(Query(0, "SELECT group_concat(v) FROM tmp_a"), "n1");
  EXPECT_EQ(Query(1, "SELECT group_concat(v) FROM tmp_a"), "n2");
  EXPECT_EQ(Query(2, "SELECT count(*) FROM tmp_a"), "0");
  EXPECT_EQ(Query(1, "SELECT count(*) FROM tmp_b"), "0");
  EXPECT_EQ(Query(2, "SELECT count(*) FROM tmp_b"), "0");
  EXPECT_EQ(Query(0, "SELECT group_concat(v) FROM local_cache"), "n1");
  EXPECT_EQ(Query(1, "SELECT group_concat(v) FROM local_cache"), "n2");
  EXPECT_EQ(Query(2, "SELECT count(*) FROM local_cache"), "0");
}

TEST_F(TableFilterTest, TablesCreatedAtRuntimeFollowThePatterns) {
  for (int i = 0; i < 3; ++i) {
    Exec(i,
         "CREATE TABLE tmp_late(id INTEGER PRIMARY KEY, v);"
         "CREATE TABLE kept_late(id INTEGER PRIMARY KEY, v);");
  }
  Exec(0, "INSERT INTO tmp_late VALUES(1, 'local')");
  Exec(0, "INSERT INTO kept_late VALUES(1, 'shared')");
  ASSERT_TRUE(WaitForSameData({"kept_late"}));
  for (int i = 1; i < 3; ++i) {
    EXPECT_EQ(Query(i, "SELECT v FROM kept_late WHERE id = 1"), "shared") << "node " << i + 1;
    EXPECT_EQ(Query(i, "SELECT count(*) FROM tmp_late"), "0") << "node " << i + 1;
  }
}

}  // namespace
}  // namespace harmony::test
