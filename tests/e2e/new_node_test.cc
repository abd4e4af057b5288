// End-to-end: a new node (no database file, or an empty one) joining a young cluster that has
// never saved a snapshot (issue #10, item 2). It asks the running nodes for one over NATS,
// restores it and only then says ready; with no node to answer it waits (and says why) instead
// of claiming ready with no tables, and a stop signal ends the wait.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/e2e/cluster_fixture.h"
#include "tests/support/await.h"

namespace harmony::test {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

// store = "nats" (JetStream object store) or "file" (a directory shared by the nodes). The default
// max_entries: a few transactions never make a node save a snapshot on its own.
class NewNodeTest : public ClusterTest, public ::testing::WithParamInterface<std::string> {
 protected:
  std::string ExtraConfig(int) const override {
    if (GetParam() != "file") return "";
    return "[snapshot]\nstore = \"file\"\n[snapshot.file]\ndir = \"" + dir_.path() +
           "/snapshots\"\n";
  }

  // Stops node `i` and leaves it a new node: no database file (nats) or an empty one (file).
  void MakeNew(int i) {
    StopNode(i);
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(nodes_[i].db_path + suffix);
    if (GetParam() == "file") std::ofstream(nodes_[i].db_path).close();
  }

  bool NoSnapshotSaved() {
    for (int i = 0; i < 3; ++i) {
      if (!LogLine(i, {"snapshot", "saved in"}).empty()) return false;
    }
    return true;
  }
};

TEST_P(NewNodeTest, NewNodeInAClusterThatNeverSavedASnapshotGetsTablesAndRows) {
  MakeNew(2);
  Exec(0, "INSERT INTO items VALUES(1, 'one', 1); INSERT INTO items VALUES(2, 'two', 2)");
  // Schema changes are not replicated yet: every node migrates by hand (docs/operations.md).
  for (int i = 0; i < 2; ++i) Exec(i, "CREATE INDEX items_by_qty ON items(qty)");
  Exec(1, "INSERT INTO items VALUES(3, 'three', 3)");
  ASSERT_TRUE(WaitFor(0, "SELECT count(*) FROM items", "3"));
  ASSERT_TRUE(NoSnapshotSaved()) << "the test needs a cluster with no snapshot yet";

  StartNode(2);  // returns once node 3 says ready
  // Ready means it already holds the cluster's rows, not "will get them some day".
  EXPECT_EQ(Query(2, "SELECT count(*) FROM items"), "3");
  EXPECT_FALSE(LogLine(2, {"asked the running nodes for a snapshot", "saves one now"}).empty());
  EXPECT_FALSE(LogLine(2, {"restored snapshot"}).empty());
  EXPECT_EQ(Query(2, "SELECT count(*) FROM sqlite_schema WHERE name = 'items_by_qty'"), "1");

  Exec(2, "INSERT INTO items VALUES(4, 'from the new node', 4)");
  Exec(0, "UPDATE items SET name = 'live' WHERE id = 1");
  ASSERT_TRUE(WaitForSameData());
  EXPECT_EQ(Query(2, "SELECT name FROM items WHERE id = 1"), "live");
  EXPECT_EQ(Query(1, "SELECT name FROM items WHERE id = 4"), "from the new node");
}

TEST_P(NewNodeTest, NewNodeWithNoOneToAnswerWaitsSaysWhyAndJoinsOnceANodeIsBack) {
  Exec(0, "INSERT INTO items VALUES(1, 'one', 1)");
  ASSERT_TRUE(WaitForSameData());
  MakeNew(2);
  StopNode(0);
  StopNode(1);

  nodes_[2].process = std::make_unique<HarmonyProcess>(
      std::vector<std::string>{"-config", nodes_[2].config_path}, nodes_[2].log_path);
  ASSERT_TRUE(nodes_[2].process->Start());
  ASSERT_TRUE(nodes_[2].process->WaitForLog("no answer", seconds(30))) << nodes_[2].process->Log();
  EXPECT_TRUE(NodeRunning(2));
  EXPECT_EQ(nodes_[2].process->LogSinceStart().find("node 3 ready"), std::string::npos)
      << nodes_[2].process->LogSinceStart();

  StartNode(0);
  // The new node keeps asking; node 1 answers and saves a snapshot, node 3 restores it.
  ASSERT_TRUE(nodes_[2].process->WaitForLog("node 3 ready", seconds(60)))
      << nodes_[2].process->Log();
  EXPECT_EQ(Query(2, "SELECT name FROM items WHERE id = 1"), "one");
}

TEST_P(NewNodeTest, StopSignalEndsTheWaitForASnapshot) {
  Exec(0, "INSERT INTO items VALUES(1, 'one', 1)");
  ASSERT_TRUE(WaitForSameData());
  MakeNew(2);
  StopNode(0);
  StopNode(1);
  nodes_[2].process = std::make_unique<HarmonyProcess>(
      std::vector<std::string>{"-config", nodes_[2].config_path}, nodes_[2].log_path);
  ASSERT_TRUE(nodes_[2].process->Start());
  ASSERT_TRUE(nodes_[2].process->WaitForLog("no answer", seconds(30))) << nodes_[2].process->Log();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(nodes_[2].process->Stop(), 0) << nodes_[2].process->Log();
  // Issue #11, item 7: within 2 s in every phase.
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  EXPECT_LT(took, std::chrono::milliseconds(2000)) << "stopping took " << took.count() << " ms";
  EXPECT_NE(nodes_[2].process->LogSinceStart().find("stopped before start-up completed"),
            std::string::npos)
      << nodes_[2].process->LogSinceStart();
}

INSTANTIATE_TEST_SUITE_P(Stores, NewNodeTest, ::testing::Values("nats", "file"),
                         [](const auto& info) { return info.param; });

// Nodes whose databases were seeded alike before harmony first started: capture backfills
// nothing at its first install, so the streams are empty while the nodes hold rows. A new node
// must still ask for them, not conclude there is nothing to get (found in review).
class SeededClusterTest : public NewNodeTest {
 protected:
  std::string NodeSchema(int node) const override {
    return Schema() + (node < 2 ? "INSERT INTO items VALUES(1, 'seeded', 1), (2, 'seeded', 2);"
                                : "");
  }
};

TEST_P(SeededClusterTest, NewNodeGetsRowsThatWereNeverSent) {
  MakeNew(2);
  StartNode(2);
  EXPECT_EQ(Query(2, "SELECT count(*) FROM items"), "2");
  EXPECT_FALSE(LogLine(2, {"restored snapshot"}).empty());
}

INSTANTIATE_TEST_SUITE_P(Stores, SeededClusterTest, ::testing::Values("nats"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace harmony::test
