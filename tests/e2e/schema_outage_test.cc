// End-to-end: schema changes while harmony runs, table filters, and a broker outage during writes.
#include <gtest/gtest.h>

#include "tests/e2e/cluster_fixture.h"

namespace harmony::test {
namespace {

class LiveSchemaTest : public ClusterTest {
 protected:
  std::string ExtraConfig(int) const override {
    return "ignore_tables = [\"tmp_*\", \"local_cache\"]";
  }
  std::string Schema() const override {
    return "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT, qty INTEGER);"
           "CREATE TABLE tmp_scratch(id INTEGER PRIMARY KEY, v);"
           "CREATE TABLE local_cache(id INTEGER PRIMARY KEY, v);";
  }
};

TEST_F(LiveSchemaTest, ATableCreatedAtRuntimeReplicatesIncludingRowsWrittenAtOnce) {
  for (int i = 1; i < 3; ++i) Exec(i, "CREATE TABLE late(id INTEGER PRIMARY KEY, v TEXT)");
  // Rows in the same transaction as the CREATE: no trigger can exist yet; the backfill takes them.
  Exec(0, "BEGIN; CREATE TABLE late(id INTEGER PRIMARY KEY, v TEXT);"
          "INSERT INTO late VALUES(1, 'at once'); COMMIT;");
  Exec(0, "INSERT INTO late VALUES(2, 'after')");
  for (int i = 1; i < 3; ++i) {
    EXPECT_TRUE(WaitFor(i, "SELECT group_concat(v) FROM (SELECT v FROM late ORDER BY id)",
                        "at once,after"));
  }
}

TEST_F(LiveSchemaTest, AColumnAddedOnTheSenderFirstIsHeldUntilTheReceiverHasIt) {
  Exec(0, "ALTER TABLE items ADD COLUMN color TEXT");
  Exec(2, "ALTER TABLE items ADD COLUMN color TEXT");
  Exec(0, "INSERT INTO items VALUES(1, 'ball', 2, 'red')");
  Exec(0, "UPDATE items SET color = 'blue' WHERE id = 1");
  EXPECT_TRUE(WaitFor(2, "SELECT color FROM items WHERE id = 1", "blue"));
  // Node 2 lacks the column: it keeps running and holds the changes.
  EXPECT_TRUE(nodes_[1].process->WaitForLog("replication paused", std::chrono::seconds(30)))
      << nodes_[1].process->Log();
  EXPECT_TRUE(nodes_[1].process->running());
  EXPECT_EQ(Query(1, "SELECT count(*) FROM items"), "0");
  Exec(1, "ALTER TABLE items ADD COLUMN color TEXT");
  EXPECT_TRUE(WaitFor(1, "SELECT name || ':' || color FROM items WHERE id = 1", "ball:blue"));
  EXPECT_TRUE(WaitFor(1, "SELECT count(*) FROM __harmony_held", "0"));
}

TEST_F(LiveSchemaTest, IgnoredTablesStayLocal) {
  Exec(0, "INSERT INTO tmp_scratch VALUES(1, 'x'); INSERT INTO local_cache VALUES(1, 'y');"
          "INSERT INTO items VALUES(1, 'marker', 1)");
  EXPECT_TRUE(WaitFor(1, "SELECT name FROM items WHERE id = 1", "marker"));
  EXPECT_TRUE(WaitFor(2, "SELECT name FROM items WHERE id = 1", "marker"));
  EXPECT_EQ(Query(1, "SELECT count(*) FROM tmp_scratch"), "0");
  EXPECT_EQ(Query(2, "SELECT count(*) FROM local_cache"), "0");
}

class OutageTest : public ClusterTest {};

TEST_F(OutageTest, WritesDuringABrokerOutageArePublishedInOrderAfterwards) {
  Exec(0, "INSERT INTO items VALUES(1, 'before', 0)");
  ASSERT_TRUE(WaitFor(1, "SELECT name FROM items WHERE id = 1", "before"));
  nats_->Stop();
  for (int t = 0; t < 20; ++t) {
    std::string sql = "BEGIN;";
    for (int r = 0; r < 10; ++r) {
      const int id = 100 + t * 10 + r;
      sql += "INSERT INTO items VALUES(" + std::to_string(id) + ", 'outage', " +
             std::to_string(t) + ");";
    }
    Exec(0, sql + "UPDATE items SET qty = qty + 1 WHERE id = 1; COMMIT;");
  }
  EXPECT_EQ(Query(0, "SELECT count(*) FROM items"), "201");
  ASSERT_TRUE(nats_->Restart().ok());
  for (int i = 1; i < 3; ++i) {
    EXPECT_TRUE(WaitFor(i, "SELECT count(*) || ':' || (SELECT qty FROM items WHERE id = 1) "
                           "FROM items",
                        "201:20", std::chrono::seconds(60)));
  }
  // Once published, the change log is cleaned down to its newest row.
  EXPECT_TRUE(WaitFor(0, "SELECT count(*) <= 1 FROM __harmony_change_log", "1",
                      std::chrono::seconds(30)));
}

}  // namespace
}  // namespace harmony::test
