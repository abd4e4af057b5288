// End-to-end: three real harmony processes on one real nats-server.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "tests/e2e/cluster_fixture.h"

namespace harmony::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

class ReplicationTest : public ClusterTest {
 protected:
  std::string Schema() const override {
    return "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT, qty INTEGER);"
           "CREATE TABLE audit(id INTEGER PRIMARY KEY, item INTEGER);"
           "CREATE TRIGGER items_audit AFTER INSERT ON items BEGIN"
           "  INSERT INTO audit(item) VALUES(NEW.id); END;";
  }
};

TEST_F(ReplicationTest, InsertUpdateDeleteReachBothPeers) {
  Exec(0, "INSERT INTO items VALUES(1, 'apple', 3)");
  EXPECT_TRUE(WaitFor(1, "SELECT name || ':' || qty FROM items WHERE id = 1", "apple:3"));
  EXPECT_TRUE(WaitFor(2, "SELECT name || ':' || qty FROM items WHERE id = 1", "apple:3"));

  Exec(1, "UPDATE items SET qty = 4 WHERE id = 1");
  EXPECT_TRUE(WaitFor(0, "SELECT qty FROM items WHERE id = 1", "4"));
  EXPECT_TRUE(WaitFor(2, "SELECT qty FROM items WHERE id = 1", "4"));

  Exec(2, "DELETE FROM items WHERE id = 1");
  EXPECT_TRUE(WaitFor(0, "SELECT count(*) FROM items", "0"));
  EXPECT_TRUE(WaitFor(1, "SELECT count(*) FROM items", "0"));
}

TEST_F(ReplicationTest, AppTriggerEffectsArriveOnceAndNothingEchoes) {
  Exec(0, "INSERT INTO items VALUES(7, 'pear', 1)");
  for (int i = 1; i < 3; ++i) {
    EXPECT_TRUE(WaitFor(i, "SELECT count(*) FROM items", "1"));
    EXPECT_TRUE(WaitFor(i, "SELECT group_concat(item) FROM audit", "7"));
  }
  // Applying on peers captured nothing new: every node's log only holds its own local writes.
  EXPECT_TRUE(WaitFor(1, "SELECT count(*) FROM __harmony_change_log WHERE seq > "
                         "coalesce((SELECT value FROM __harmony_state WHERE key='published_seq'),0)",
                      "0"));
  EXPECT_EQ(Query(1, "SELECT count(*) FROM __harmony_change_log"), "0");
  EXPECT_EQ(Query(0, "SELECT count(*) FROM audit"), "1");
}

TEST_F(ReplicationTest, StoppedNodeCatchesUpAndPublishesWhatItMissed) {
  StopNode(2);
  Exec(0,
       "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)"
       " INSERT INTO items SELECT i, 'row' || i, i FROM n");
  // Written while harmony is down on node 3: captured by the triggers, published at restart.
  Exec(2, "INSERT INTO items VALUES(1000, 'offline', 1)");
  EXPECT_TRUE(WaitFor(1, "SELECT count(*) FROM items", "300"));
  StartNode(2);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(WaitFor(i, "SELECT count(*) || ':' || sum(qty) FROM items", "301:45151"));
  }
}

TEST_F(ReplicationTest, CleanupLeavesOnlyAppData) {
  Exec(0, "INSERT INTO items VALUES(1, 'kept', 1)");
  EXPECT_TRUE(WaitFor(1, "SELECT count(*) FROM items", "1"));
  for (int i = 0; i < 3; ++i) StopNode(i);
  for (int run = 0; run < 2; ++run) {  // a second cleanup finds nothing and still succeeds
    std::string out;
    int code = RunHarmony({"-config", nodes_[1].config_path, "-cleanup"},
                          dir_.path() + "/cleanup" + std::to_string(run) + ".log", &out);
    EXPECT_EQ(code, 0) << out;
  }
  EXPECT_EQ(Query(1, "SELECT count(*) FROM sqlite_schema WHERE name LIKE '%harmony%'"), "0");
  EXPECT_EQ(Query(1, "SELECT group_concat(name) FROM (SELECT name FROM sqlite_schema ORDER BY name)"),
            "audit,items,items_audit");
  EXPECT_EQ(Query(1, "SELECT name FROM items WHERE id = 1"), "kept");
}

TEST_F(ReplicationTest, ReplicationLatencyIsMeasured) {
  // Not a speed assertion (those live in bench/): prints commit-to-visible times for the record.
  std::vector<double> ms;
  for (int k = 0; k < 20; ++k) {
    const int id = 100 + k;
    auto start = steady_clock::now();
    Exec(0, "INSERT INTO items VALUES(" + std::to_string(id) + ", 'lat', 0)");
    ASSERT_TRUE(Eventually(
        [&] { return Query(1, "SELECT count(*) FROM items WHERE id = " + std::to_string(id)) == "1"; },
        std::chrono::seconds(10)));
    ms.push_back(std::chrono::duration<double, std::milli>(steady_clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("commit on node 1 -> visible on node 2: median %.1f ms, max %.1f ms (n=%zu)\n",
              ms[ms.size() / 2], ms.back(), ms.size());
  EXPECT_TRUE(WaitFor(2, "SELECT count(*) FROM items", "20"));
}

class PrimaryReplicaTest : public ClusterTest {
 protected:
  // Node 1 publishes only, node 2 replicates only, node 3 does both.
  std::string ExtraConfig(int node) const override {
    if (node == 0) return "replicate = false";
    if (node == 1) return "publish = false";
    return "";
  }
};

TEST_F(PrimaryReplicaTest, PublishOnlyAndReplicateOnlyNodesDoOnlyThat) {
  Exec(0, "INSERT INTO items VALUES(1, 'from primary', 1)");
  EXPECT_TRUE(WaitFor(1, "SELECT count(*) FROM items", "1"));
  EXPECT_TRUE(WaitFor(2, "SELECT count(*) FROM items", "1"));
  Exec(1, "INSERT INTO items VALUES(2, 'replica local', 1)");  // never published
  Exec(2, "INSERT INTO items VALUES(3, 'from node 3', 1)");     // reaches node 2, not node 1
  EXPECT_TRUE(WaitFor(1, "SELECT count(*) FROM items WHERE id = 3", "1"));
  // Node 3's change has reached node 2, so it was published long before now; node 1 must still
  // not have it, and node 2's local row must not have left node 2.
  EXPECT_EQ(Query(0, "SELECT count(*) FROM items WHERE id = 3"), "0");
  EXPECT_EQ(Query(0, "SELECT count(*) FROM items WHERE id = 2"), "0");
  EXPECT_EQ(Query(2, "SELECT count(*) FROM items WHERE id = 2"), "0");
  EXPECT_EQ(Query(1, "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND "
                     "name LIKE '__harmony%'"),
            "0");
}

}  // namespace
}  // namespace harmony::test
