// End-to-end: `harmony status` and `harmony wait` across three real nodes (issue #11, item 5).
// Every node reports into the status bucket; status lists them; wait returns only once the
// other nodes have taken in the changes committed before it was called, and times out, naming
// the node, when one of them is stopped (SIGSTOP: it looks alive but applies nothing).
#include <gtest/gtest.h>
#include <signal.h>

#include <sstream>
#include <string>

#include "tests/e2e/cluster_fixture.h"
#include "tests/support/await.h"

namespace harmony::test {
namespace {

using std::chrono::seconds;

class StatusWaitTest : public ClusterTest {
 protected:
  std::string ExtraConfig(int) const override { return "[replication_log]\nshards = 2\n"; }

  int Tool(const std::vector<std::string>& extra, std::string* out) {
    std::vector<std::string> args = {"-config", nodes_[0].config_path};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunHarmony(args, dir_.Sub("tool" + std::to_string(runs_++) + ".log"), out,
                      seconds(60));
  }

  // Waits until `status --json` lists all three nodes.
  bool AllReported() {
    return PollUntil(
        [&] {
          std::string out;
          if (Tool({"status", "--json"}, &out) != 0) return false;
          return out.find("\"node_id\":1") != std::string::npos &&
                 out.find("\"node_id\":2") != std::string::npos &&
                 out.find("\"node_id\":3") != std::string::npos;
        },
        seconds(30), std::chrono::milliseconds(200));
  }

  int runs_ = 0;
};

TEST_F(StatusWaitTest, StatusListsEveryNodeWithItsShards) {
  ASSERT_TRUE(AllReported());
  Exec(1, "INSERT INTO items VALUES(1, 'x', 1)");
  ASSERT_TRUE(WaitForSameData());
  std::string out;
  ASSERT_EQ(Tool({"status"}, &out), 0) << out;
  for (const char* part : {"node 1 ", "node 2 ", "node 3 ", "publish=true replicate=true",
                           "applied", "stream last", "lag msgs"}) {
    EXPECT_NE(out.find(part), std::string::npos) << part << "\n" << out;
  }
  ASSERT_EQ(Tool({"status", "--json"}, &out), 0) << out;
  EXPECT_EQ(out.find("\"shard\":3"), std::string::npos) << out;
  EXPECT_NE(out.find("\"shard\":2"), std::string::npos) << out;
}

TEST_F(StatusWaitTest, WaitReturnsOnlyOnceThePeersHaveTheRows) {
  ASSERT_TRUE(AllReported());
  for (int round = 0; round < 3; ++round) {
    for (int id = round * 10; id < round * 10 + 10; ++id) {
      Exec(0, "INSERT INTO items VALUES(" + std::to_string(id) + ", 'w', 1)");
    }
    std::string out;
    ASSERT_EQ(Tool({"wait", "--timeout", "30"}, &out), 0) << out;
    EXPECT_NE(out.find("replicated to 2 node(s): 2, 3"), std::string::npos) << out;
    // No waiting here: wait promised the peers have them.
    const std::string want = std::to_string(round * 10 + 10);
    EXPECT_EQ(Query(1, "SELECT count(*) FROM items"), want) << "round " << round;
    EXPECT_EQ(Query(2, "SELECT count(*) FROM items"), want) << "round " << round;
  }
}

TEST_F(StatusWaitTest, WaitTimesOutNamingAStoppedPeerAndCountsTheOthers) {
  ASSERT_TRUE(AllReported());
  ASSERT_EQ(kill(nodes_[2].process->pid(), SIGSTOP), 0);
  Exec(0, "INSERT INTO items VALUES(1, 'while node 3 is stopped', 1)");
  std::string out;
  EXPECT_EQ(Tool({"wait", "--timeout", "3"}, &out), 1) << out;
  EXPECT_NE(out.find("timed out after 3.0 s"), std::string::npos) << out;
  EXPECT_NE(out.find("not yet: node 3 (shard"), std::string::npos) << out;
  // One other node is enough when asked for one.
  EXPECT_EQ(Tool({"wait", "--timeout", "30", "--nodes", "1"}, &out), 0) << out;
  EXPECT_EQ(Query(1, "SELECT count(*) FROM items"), "1");
  EXPECT_EQ(Tool({"wait", "--nodes", "zero"}, &out), 1) << out;
  EXPECT_NE(out.find("--nodes: expected a positive number or 'all', got 'zero'"),
            std::string::npos)
      << out;
  ASSERT_EQ(kill(nodes_[2].process->pid(), SIGCONT), 0);
  EXPECT_EQ(Tool({"wait", "--timeout", "30"}, &out), 0) << out;
  EXPECT_EQ(Query(2, "SELECT count(*) FROM items"), "1");
}

// A node stopped with SIGTERM withdraws its report as it stops: status no longer lists it and
// wait no longer waits for it, at once rather than kStatusLiveFor (10 s) later.
TEST_F(StatusWaitTest, ANodeStoppedCleanlyDropsOutOfStatusAndWaitAtOnce) {
  ASSERT_TRUE(AllReported());
  StopNode(2);
  std::string out;
  ASSERT_EQ(Tool({"status", "--json"}, &out), 0) << out;
  EXPECT_EQ(out.find("\"node_id\":3"), std::string::npos) << out;
  EXPECT_NE(out.find("\"node_id\":2"), std::string::npos) << out;
  Exec(0, "INSERT INTO items VALUES(1, 'after node 3 stopped', 1)");
  ASSERT_EQ(Tool({"wait", "--timeout", "30"}, &out), 0) << out;
  EXPECT_NE(out.find("replicated to 1 node(s): 2"), std::string::npos) << out;
  EXPECT_EQ(Query(1, "SELECT count(*) FROM items"), "1");
}

}  // namespace
}  // namespace harmony::test
