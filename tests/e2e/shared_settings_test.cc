// End-to-end: the replication-log settings every node must share (issue #11, item 6). A node
// whose shards, max_entries, replicas or compress differ from the existing streams refuses to
// start with one line naming both values, and leaves the streams as they were; with
// update_existing = true it changes max_entries, replicas and compress for everyone; shards never
// changes in place.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "tests/e2e/cluster_fixture.h"

namespace harmony::test {
namespace {

class SharedSettingsTest : public ClusterTest {
 protected:
  std::string ExtraConfig(int) const override {
    return "[replication_log]\nshards = 2\nmax_entries = 140\n";
  }

  // Runs a harmony on a new, empty database against the cluster's broker, with `settings` as its
  // [replication_log] table. Returns its exit code; `output` gets what it printed.
  int RunWith(const std::string& settings, std::string* output) {
    const std::string name = "other" + std::to_string(runs_++);
    const std::string db = dir_.Sub(name + ".db");
    std::ofstream(db).close();  // an empty file is an empty database
    const std::string config = dir_.Sub(name + ".toml");
    std::ofstream(config) << "db_path = \"" << db << "\"\n"
                          << "node_id = " << 100 + runs_ << "\n"
                          << "[replication_log]\n"
                          << settings << "\n"
                          << "[nats]\nurls = [\"" << nats_->url() << "\"]\n"
                          << "connect_retries = 2\nreconnect_wait_seconds = 1\n";
    return RunHarmony({"-config", config}, dir_.Sub(name + ".log"), output,
                      std::chrono::seconds(30));
  }

  // The line harmony exits with ("harmony: ..."), or "" if there is none.
  static std::string ExitLine(const std::string& output) {
    std::istringstream lines(output);
    std::string line, last;
    while (std::getline(lines, line)) {
      if (line.rfind("harmony: ", 0) == 0) last = line;
    }
    return last;
  }

  void ExpectRefused(const std::string& settings, const std::string& named) {
    std::string out;
    EXPECT_EQ(RunWith(settings, &out), 1) << out;
    const std::string line = ExitLine(out);
    EXPECT_NE(line.find(named), std::string::npos) << "settings: " << settings << "\n" << out;
  }

  // The cluster still replicates, in both shards, after a refused node came and went.
  void ExpectClusterReplicates(int first_id) {
    for (int id = first_id; id < first_id + 8; ++id) {
      Exec(id % 3, "INSERT INTO items VALUES(" + std::to_string(id) + ", 'x', 1)");
    }
    EXPECT_TRUE(WaitForSameData());
    EXPECT_EQ(Query(2, "SELECT count(*) FROM items WHERE id >= " + std::to_string(first_id)), "8");
  }

  int runs_ = 0;
};

TEST_F(SharedSettingsTest, DifferentMaxEntriesIsRefusedAndTheStreamKeepsItsLimit) {
  ExpectRefused("shards = 2\nmax_entries = 50",
                "stream 'harmony-changes-1' was made with replication_log.max_entries = 140 "
                "(this node has 50)");
  // The refused node changed nothing: a node with the cluster's values still starts, so the
  // streams still say 140 (a 50 there would refuse it).
  StopNode(0);
  StartNode(0);
  ExpectClusterReplicates(1);
}

TEST_F(SharedSettingsTest, DifferentShardCountIsRefusedEvenWithUpdateExisting) {
  ExpectRefused("shards = 1\nmax_entries = 140", "replication_log.shards = 2 (this node has 1)");
  ExpectRefused("shards = 3\nmax_entries = 140", "replication_log.shards = 2 (this node has 3)");
  ExpectRefused("shards = 1\nmax_entries = 140\nupdate_existing = true",
                "cannot be changed in place");
  ExpectRefused("shards = 4\nmax_entries = 140\nupdate_existing = true",
                "replication_log.shards = 2 (this node has 4)");
  ExpectClusterReplicates(100);
}

TEST_F(SharedSettingsTest, DifferentReplicasOrCompressIsRefused) {
  ExpectRefused("shards = 2\nmax_entries = 140\nreplicas = 3",
                "replication_log.replicas = 1 (this node has 3)");
  ExpectRefused("shards = 2\nmax_entries = 140\ncompress = false",
                "replication_log.compress = true (this node has false)");
  ExpectClusterReplicates(200);
}

TEST_F(SharedSettingsTest, UpdateExistingChangesTheStreamsForEveryNode) {
  const std::string db = dir_.Sub("updater.db");
  std::ofstream(db).close();
  const std::string config = dir_.Sub("updater.toml");
  std::ofstream(config) << "db_path = \"" << db << "\"\nnode_id = 50\n"
                        << "[replication_log]\nshards = 2\nmax_entries = 60\n"
                        << "update_existing = true\n"
                        << "[nats]\nurls = [\"" << nats_->url() << "\"]\n";
  HarmonyProcess updater({"-config", config}, dir_.Sub("updater.log"));
  ASSERT_TRUE(updater.Start());
  ASSERT_TRUE(updater.WaitForLog("ready", std::chrono::seconds(30))) << updater.Log();
  EXPECT_NE(updater.Log().find("stream 'harmony-changes-1' updated: "
                                   "replication_log.max_entries 140 -> 60 "
                                   "(replication_log.update_existing = true)"),
            std::string::npos)
      << updater.Log();
  EXPECT_EQ(updater.Stop(), 0);
  // Now the old value is the odd one out.
  ExpectRefused("shards = 2\nmax_entries = 140",
                "replication_log.max_entries = 60 (this node has 140)");
}

}  // namespace
}  // namespace harmony::test
