// End-to-end: nodes with no [nats] urls run their own nats-server children, joined into one NATS
// cluster with -cluster-addr / -cluster-peers, as examples/run-cluster.sh does.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "sqlite/database.h"
#include "tests/e2e/cluster_fixture.h"
#include "tests/support/harmony_process.h"
#include "tests/support/free_port.h"
#include "tests/support/temp_dir.h"

namespace harmony::test {
namespace {

TEST(EmbeddedBrokerTest, ThreeNodesWithTheirOwnClusteredServersReplicate) {
  TempDir dir;
  std::vector<int> client = FreePorts(3), route = FreePorts(3);
  std::vector<std::unique_ptr<HarmonyProcess>> nodes;
  std::vector<std::string> dbs;
  for (int i = 0; i < 3; ++i) {
    const std::string n = std::to_string(i + 1);
    dbs.push_back(dir.path() + "/n" + n + ".db");
    {
      sqlite::OpenOptions options;
      options.create = true;
      auto db = sqlite::Database::Open(dbs[i], options);
      ASSERT_TRUE(db.ok());
      ASSERT_TRUE(db->Exec("CREATE TABLE Books(id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT)").ok());
    }
    std::string config = dir.path() + "/n" + n + ".toml";
    std::ofstream(config) << "db_path = \"" << dbs[i] << "\"\nnode_id = " << n
                          << "\n[nats]\nbind_address = \"127.0.0.1:" << client[i] << "\"\n";
    std::string peers;
    for (int j = 0; j < 3; ++j) {
      if (j == i) continue;
      peers += (peers.empty() ? "" : ",") + std::string("nats://127.0.0.1:") +
               std::to_string(route[j]);
    }
    nodes.push_back(std::make_unique<HarmonyProcess>(
        std::vector<std::string>{"-config", config, "-cluster-addr",
                                 "127.0.0.1:" + std::to_string(route[i]), "-cluster-peers", peers},
        dir.path() + "/n" + n + ".log"));
    ASSERT_TRUE(nodes.back()->Start());
  }
  for (int i = 0; i < 3; ++i) {
    // Not just "ready": the embedded nats-server's own "ready at" line comes first.
    ASSERT_TRUE(nodes[i]->WaitForLog("node " + std::to_string(i + 1) + " ready",
                                     std::chrono::seconds(60)))
        << nodes[i]->Log();
  }
  {
    sqlite::OpenOptions options;
    auto db = sqlite::Database::Open(dbs[0], options);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("INSERT INTO Books(title) VALUES('Pride and Prejudice')").ok());
  }
  for (int i = 1; i < 3; ++i) {
    EXPECT_TRUE(Eventually([&] { return QueryText(dbs[i], "SELECT title FROM Books") ==
                                        "Pride and Prejudice"; }))
        << nodes[i]->Log();
  }
  // Each node stops its own nats-server child when it exits.
  for (auto& node : nodes) EXPECT_EQ(node->Stop(), 0) << node->Log();
  EXPECT_TRUE(std::filesystem::exists(dbs[0] + "-harmony-nats"));
  std::string out;
  EXPECT_EQ(RunHarmony({"-config", dir.path() + "/n1.toml", "-cleanup"}, dir.path() + "/c.log", &out),
            0)
      << out;
  EXPECT_FALSE(std::filesystem::exists(dbs[0] + "-harmony-nats"));
}

}  // namespace
}  // namespace harmony::test
