// End-to-end: writes made while the broker is down are published, in order, once it is back.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/e2e/cluster_fixture.h"

namespace harmony::test {
namespace {

class BrokerOutageTest : public ClusterTest {};

TEST_F(BrokerOutageTest, WritesDuringOutageArriveInOrderAndTheLogIsCleanedUp) {
  Exec(0, "INSERT INTO items VALUES(1, 'before', 0)");
  ASSERT_TRUE(WaitForSameData({"items"}));

  nats_->Stop();
  // 200 new rows in 10 transactions; each transaction also rewrites rows written earlier, so the
  // peers end right only if the transactions are applied in their order.
  for (int t = 0; t < 10; ++t) {
    std::string sql = "BEGIN;";
    if (t > 0) sql += "UPDATE items SET qty = qty + 1 WHERE id >= 1000;";
    for (int r = 0; r < 20; ++r) {
      sql += "INSERT INTO items VALUES(" + std::to_string(1000 + t * 20 + r) + ", 'v', " +
             std::to_string(t * 100) + ");";
    }
    sql += "UPDATE items SET name = 'txn " + std::to_string(t) + "', qty = qty + 1 WHERE id = 1;";
    if (t == 5) sql += "DELETE FROM items WHERE id = 1005;";
    if (t == 7) sql += "INSERT INTO items VALUES(1005, 'reborn', -1);";
    Exec(0, sql + "COMMIT;");
  }
  Exec(1, "INSERT INTO items VALUES(2, 'node 2 during the outage', 0)");
  EXPECT_TRUE(NodeRunning(0)) << nodes_[0].process->Log();
  EXPECT_EQ(Query(0, "SELECT count(*) FROM items"), "201");
  // Nothing can have left node 1 yet.
  EXPECT_EQ(Query(1, "SELECT count(*) FROM items WHERE id >= 1000"), "0");

  Status restarted = nats_->Restart();
  ASSERT_TRUE(restarted.ok()) << restarted.ToString();
  ASSERT_TRUE(WaitForSameData({"items"}, std::chrono::seconds(60)));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Query(i, "SELECT count(*) FROM items"), "202") << "node " << i + 1;
    EXPECT_EQ(Query(i, "SELECT name || ':' || qty FROM items WHERE id = 1"), "txn 9:10")
        << "node " << i + 1;
    // Inserted in transaction 7 after its delete in 5, then raised by transactions 8 and 9.
    EXPECT_EQ(Query(i, "SELECT name || ':' || qty FROM items WHERE id = 1005"), "reborn:1")
        << "node " << i + 1;
    // The first row of transaction 0 was raised by the nine transactions after it.
    EXPECT_EQ(Query(i, "SELECT qty FROM items WHERE id = 1000"), "9") << "node " << i + 1;
  }

  // Once everything is published, the change log is cleaned down to (at most) its newest row.
  EXPECT_TRUE(
      WaitFor(0, "SELECT count(*) <= 1 FROM __harmony_change_log", "1", std::chrono::seconds(30)))
      << "change log still holds " << Query(0, "SELECT count(*) FROM __harmony_change_log")
      << " rows";
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(NodeRunning(i)) << "node " << i + 1;
}

// Regression: a broker whose JetStream store is lost (wiped, a fresh volume) comes back with empty
// streams that count from sequence 1 again. Nodes used to keep their old positions and skip the
// new stream's first messages as already applied: those rows never arrived anywhere, silently.
TEST_F(BrokerOutageTest, AStreamCreatedAgainIsAppliedFromItsFirstMessage) {
  for (int i = 1; i <= 30; ++i) {
    Exec(i % 2, "INSERT INTO items VALUES(" + std::to_string(i) + ", 'old', 0)");
  }
  ASSERT_TRUE(WaitForSameData({"items"}));
  for (int i = 0; i < 3; ++i) StopNode(i);
  nats_->Stop();
  std::error_code ec;
  std::filesystem::remove_all(nats_->store_dir(), ec);
  ASSERT_FALSE(ec) << ec.message();
  Status restarted = nats_->Restart();
  ASSERT_TRUE(restarted.ok()) << restarted.ToString();
  for (int i = 0; i < 3; ++i) StartNode(i);
  for (int i = 1; i <= 5; ++i) {
    Exec(0, "INSERT INTO items VALUES(" + std::to_string(100 + i) + ", 'new', 0)");
    Exec(1, "INSERT INTO items VALUES(" + std::to_string(200 + i) + ", 'new', 0)");
  }
  ASSERT_TRUE(WaitForSameData({"items"}, std::chrono::seconds(30)));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Query(i, "SELECT count(*) FROM items"), "40") << "node " << i + 1;
    EXPECT_NE(nodes_[i].process->LogSinceStart().find("was deleted and created again"),
              std::string::npos)
        << nodes_[i].process->LogSinceStart();
  }
}

}  // namespace
}  // namespace harmony::test
