// End-to-end: what harmony refuses to run with (a node id already in use, a database another
// harmony serves, a corrupt database), what stops a running node (corruption found later), and
// what it warns about (an application holding the database with locking_mode=EXCLUSIVE).
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/e2e/cluster_fixture.h"
#include "tests/support/database_file.h"

namespace harmony::test {
namespace {

using std::chrono::seconds;

class GuardsTest : public ClusterTest {
 protected:
  // `scratch` is ignored, so it is not captured: writing it changes the file (and wakes the
  // publish loop) without a change of harmony's own.
  std::string Schema() const override {
    return "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT, qty INTEGER);"
           "CREATE TABLE scratch(x);";
  }
  std::string ExtraConfig(int) const override { return "ignore_tables = [\"scratch\"]\n"; }

  // A config for another database on the same broker.
  std::string WriteConfig(const std::string& name, const std::string& db_path, int node_id) {
    const std::string path = dir_.Sub(name + ".toml");
    std::ofstream(path) << "db_path = \"" << db_path << "\"\n"
                        << "node_id = " << node_id << "\n"
                        << "[nats]\nurls = [\"" << nats_->url() << "\"]\n"
                        << "connect_retries = 10\nreconnect_wait_seconds = 1\n";
    return path;
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

  int Run(const std::vector<std::string>& args, std::string* output) {
    return RunHarmony(args, dir_.Sub("run" + std::to_string(runs_++) + ".log"), output);
  }

  // The page size and the root page of `table` in node i's database.
  std::pair<int, int64_t> RootPage(int i, const std::string& table) {
    return {
        std::stoi(Query(i, "PRAGMA page_size")),
        std::stoll(Query(i, "SELECT rootpage FROM sqlite_schema WHERE name = '" + table + "'"))};
  }

  // Starts node i again with a fresh log, so that "ready" is this run's and not the last one's.
  void Restart(int i) {
    std::filesystem::remove(nodes_[i].log_path);
    StartNode(i);
  }

  int runs_ = 0;
};

TEST_F(GuardsTest, SecondNodeWithTheSameNodeIdIsRefusedNamingTheRunningOne) {
  const std::string db = dir_.Sub("twin.db");
  std::ofstream(db).close();  // an empty file is an empty database
  std::string out;
  EXPECT_EQ(Run({"-config", WriteConfig("twin", db, 1)}, &out), 1) << out;
  const std::string line = ExitLine(out);
  EXPECT_NE(line.find("node_id 1 is already used by a running node (host "), std::string::npos)
      << out;
  EXPECT_NE(line.find("pid " + std::to_string(nodes_[0].process->pid()) + ", up since "),
            std::string::npos)
      << out;
  EXPECT_NE(line.find("give every node its own node_id"), std::string::npos) << out;
  EXPECT_TRUE(NodeRunning(0));
}

TEST_F(GuardsTest, NodeKilledWithSigkillRestartsOnceItsClaimExpires) {
  ASSERT_EQ(kill(nodes_[0].process->pid(), SIGKILL), 0);
  ASSERT_EQ(nodes_[0].process->WaitForExit(seconds(10)), 128 + SIGKILL);
  const auto restarted = std::chrono::steady_clock::now();
  Restart(0);  // waits for "ready"
  // The claim of the killed process expires 10 s after its last renewal at most.
  EXPECT_LT(std::chrono::steady_clock::now() - restarted, seconds(20));
  EXPECT_NE(LogLine(0, {"node_id 1 was not renewed by its holder: taken over"}), "");
  Exec(1, "INSERT INTO items VALUES(1, 'after the restart', 1)");
  EXPECT_TRUE(WaitFor(0, "SELECT name FROM items WHERE id = 1", "after the restart"));
}

TEST_F(GuardsTest, CleanlyStoppedNodeRestartsAtOnce) {
  StopNode(0);
  const auto restarted = std::chrono::steady_clock::now();
  Restart(0);
  EXPECT_LT(std::chrono::steady_clock::now() - restarted, seconds(8));
  EXPECT_EQ(LogLine(0, {"claimed by another process"}), "");
}

TEST_F(GuardsTest, SecondHarmonyOnOneDatabaseIsRefusedNamingDatabaseAndPid) {
  std::string out;
  // Another node id, so that only the database lock can refuse it.
  EXPECT_EQ(Run({"-config", nodes_[0].config_path, "-node-id", "9"}, &out), 1) << out;
  const std::string line = ExitLine(out);
  EXPECT_NE(line.find("database " + nodes_[0].db_path +
                      " is already used by a running harmony "
                      "(pid " +
                      std::to_string(nodes_[0].process->pid())),
            std::string::npos)
      << out;
  EXPECT_TRUE(NodeRunning(0));
}

// A db_path with a typo, in a cluster with nothing to fill a new database from (its own streams,
// subjects and snapshot bucket, so nothing the running nodes have applies), is refused instead of
// served as an empty database; the file harmony made for it is removed (issue #11, item 6).
TEST_F(GuardsTest, TypoedDbPathWithNothingToFillItIsRefusedAndTheFileRemoved) {
  const std::string db = dir_.Sub("typo.db");
  const std::string config = dir_.Sub("typo.toml");
  std::ofstream(config) << "db_path = \"" << db << "\"\nnode_id = 77\n"
                        << "[nats]\nurls = [\"" << nats_->url() << "\"]\n"
                        << "stream_prefix = \"fresh\"\nsubject_prefix = \"fresh-log\"\n"
                        << "[snapshot.nats]\nbucket = \"fresh-snapshots\"\n";
  std::string out;
  EXPECT_EQ(Run({"-config", config}, &out), 1) << out;
  const std::string line = ExitLine(out);
  EXPECT_NE(line.find("database " + db + " did not exist, and the cluster has nothing to fill it "
                      "from"),
            std::string::npos)
      << out;
  EXPECT_NE(line.find("check db_path for a typo"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(db));
  // An existing empty file is the application's: the first node of a new cluster starts on it.
  std::ofstream(db).close();
  HarmonyProcess first({"-config", config}, dir_.Sub("typo-first.log"));
  ASSERT_TRUE(first.Start());
  EXPECT_TRUE(first.WaitForLog("node 77 ready", seconds(30))) << first.Log();
  EXPECT_EQ(first.Stop(), 0);
}

TEST_F(GuardsTest, CleanupOfADatabaseInUseIsRefused) {
  std::string out;
  EXPECT_EQ(Run({"-config", nodes_[0].config_path, "-cleanup"}, &out), 1) << out;
  const std::string line = ExitLine(out);
  EXPECT_NE(line.find("-cleanup refused"), std::string::npos) << out;
  EXPECT_NE(line.find("pid " + std::to_string(nodes_[0].process->pid())), std::string::npos) << out;
  EXPECT_EQ(Query(0, "SELECT count(*) > 0 FROM sqlite_schema WHERE name = '__harmony_change_log'"),
            "1");
  // Once the node is stopped, cleanup runs.
  StopNode(0);
  EXPECT_EQ(Run({"-config", nodes_[0].config_path, "-cleanup"}, &out), 0) << out;
  EXPECT_EQ(Query(0,
                  "SELECT count(*) FROM sqlite_schema WHERE name LIKE '\\_\\_harmony%' "
                  "ESCAPE '\\'"),
            "0");
}

TEST_F(GuardsTest, LostLockFileStopsTheNode) {
  // With the file gone, a second harmony could lock a new one and run beside this node.
  ASSERT_TRUE(std::filesystem::remove(nodes_[0].db_path + "-harmony.lock"));
  const int code = nodes_[0].process->WaitForExit(seconds(10));
  const std::string out = nodes_[0].process->Log();
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(ExitLine(out).find("lock file " + nodes_[0].db_path + "-harmony.lock of database " +
                               nodes_[0].db_path + " was deleted or replaced"),
            std::string::npos)
      << out;
}

TEST_F(GuardsTest, CorruptDatabaseIsRefusedBeforeAnythingIsInstalled) {
  const std::string db = dir_.Sub("corrupt.db");
  {
    sqlite::OpenOptions options;
    options.create = true;
    auto app = sqlite::Database::Open(db, options);
    ASSERT_TRUE(app.ok());
    ASSERT_TRUE(app->Exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);"
                          "INSERT INTO t(v) VALUES('a'), ('b')")
                    .ok());
  }  // closing the last connection checkpoints every page into the file
  sqlite::OpenOptions read;
  read.wal = false;
  int64_t root = 0;
  int page_size = 0;
  {
    auto probe = sqlite::Database::Open(db, read);
    ASSERT_TRUE(probe.ok());
    root = *probe->QueryInt("SELECT rootpage FROM sqlite_schema WHERE name = 't'");
    page_size = static_cast<int>(*probe->QueryInt("PRAGMA page_size"));
  }
  ASSERT_TRUE(CorruptPage(db, root, page_size));

  std::string out;
  EXPECT_EQ(Run({"-config", WriteConfig("corrupt", db, 7)}, &out), 1) << out;
  const std::string line = ExitLine(out);
  EXPECT_NE(line.find("database " + db + " is corrupt (PRAGMA quick_check: "), std::string::npos)
      << out;
  EXPECT_NE(line.find("Page " + std::to_string(root)), std::string::npos) << out;
  EXPECT_EQ(out.find("ready"), std::string::npos) << out;
  // Nothing of harmony's was written into the file.
  auto after = sqlite::Database::Open(db, read);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after->QueryInt("SELECT count(*) FROM sqlite_schema WHERE name LIKE '\\_\\_harmony%' "
                             "ESCAPE '\\'"),
            0);
}

TEST_F(GuardsTest, CorruptionFoundWhileRunningStopsTheNodeWithOneLine) {
  Exec(0, "INSERT INTO items VALUES(1, 'published', 1)");
  ASSERT_TRUE(WaitFor(1, "SELECT name FROM items WHERE id = 1", "published"));
  const auto [page_size, root] = RootPage(0, "__harmony_change_log");
  // Every page into the file, so that the corrupt page is the one read next.
  ASSERT_TRUE(
      Eventually([&] { return Query(0, "PRAGMA wal_checkpoint(TRUNCATE)") == "0"; }, seconds(10)));
  ASSERT_TRUE(CorruptPage(nodes_[0].db_path, root, page_size));
  // A commit that does not touch the change log: harmony's next round reads the bad page.
  Exec(0, "INSERT INTO scratch VALUES(1)");

  const int code = nodes_[0].process->WaitForExit(seconds(30));
  const std::string out = nodes_[0].process->Log();
  EXPECT_EQ(code, 1) << out;
  const std::string line = ExitLine(out);
  EXPECT_NE(line.find("malformed"), std::string::npos) << out;
  EXPECT_NE(line.find(nodes_[0].db_path), std::string::npos) << out;
}

TEST_F(GuardsTest, ExclusiveLockingModeIsNamedAndReplicationGoesOnOnceItEnds) {
  StopNode(0);
  // An application connection that takes the database in exclusive mode while harmony is away.
  sqlite::OpenOptions app_options;
  app_options.wal = false;
  auto opened = Connect(0, app_options);
  ASSERT_TRUE(opened.ok());
  auto app = std::make_unique<sqlite::Database>(std::move(opened).value());
  ASSERT_TRUE(
      app->Exec("PRAGMA locking_mode=EXCLUSIVE; INSERT INTO items VALUES(5, 'held', 1)").ok());

  Node& n = nodes_[0];
  std::filesystem::remove(n.log_path);
  n.process = std::make_unique<HarmonyProcess>(std::vector<std::string>{"-config", n.config_path},
                                               n.log_path);
  ASSERT_TRUE(n.process->Start());
  // Harmony's reads wait out their busy timeout (10 s) and more before it says why.
  EXPECT_TRUE(
      Eventually([&] { return !LogLine(0, {"locking_mode=EXCLUSIVE"}).empty(); }, seconds(40)))
      << n.process->Log();
  EXPECT_NE(LogLine(0, {"locking_mode=EXCLUSIVE", n.db_path, "retrying"}), "");
  EXPECT_TRUE(NodeRunning(0));

  app.reset();  // the application closes its connection
  ASSERT_TRUE(n.process->WaitForLog("node 1 ready", seconds(30))) << n.process->Log();
  EXPECT_TRUE(WaitFor(1, "SELECT name FROM items WHERE id = 5", "held"));
}

}  // namespace
}  // namespace harmony::test
