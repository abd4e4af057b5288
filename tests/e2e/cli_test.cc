// The harmony binary's start-up contract: one clear line and a non-zero exit for every bad input.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "tests/support/harmony_process.h"
#include "tests/support/free_port.h"
#include "tests/support/temp_dir.h"

namespace harmony::test {
namespace {

class CliTest : public ::testing::Test {
 protected:
  // Runs harmony with `args`; returns the exit code and fills out_.
  int Run(std::vector<std::string> args) {
    return RunHarmony(args, dir_.path() + "/run" + std::to_string(runs_++) + ".log", &out_);
  }
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_.path() + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  TempDir dir_;
  std::string out_;
  int runs_ = 0;
};

TEST_F(CliTest, VersionAndHelpExitZeroInBothSpellings) {
  EXPECT_EQ(Run({"-version"}), 0);
  EXPECT_NE(out_.find("harmony "), std::string::npos);
  EXPECT_EQ(Run({"--version"}), 0);
  EXPECT_EQ(Run({"-help"}), 0);
  EXPECT_NE(out_.find("-config"), std::string::npos) << out_;
}

TEST_F(CliTest, UnknownFlagIsAUsageError) {
  EXPECT_EQ(Run({"-no-such-flag"}), 2);
  EXPECT_NE(out_.find("no-such-flag"), std::string::npos) << out_;
}

TEST_F(CliTest, MissingConfigFileNamesThePath) {
  EXPECT_EQ(Run({"-config", dir_.path() + "/absent.toml"}), 1);
  EXPECT_NE(out_.find("absent.toml"), std::string::npos) << out_;
}

TEST_F(CliTest, BadConfigValueNamesFileLineAndKey) {
  std::string cfg = Write("bad.toml", "db_path = \"/tmp/x.db\"\n[replication_log]\nshards = \"two\"\n");
  EXPECT_EQ(Run({"-config", cfg}), 1);
  EXPECT_NE(out_.find("bad.toml:3"), std::string::npos) << out_;
  EXPECT_NE(out_.find("replication_log.shards"), std::string::npos) << out_;
}

TEST_F(CliTest, MissingDatabaseNamesThePath) {
  // A missing file in an existing directory is a new node (filled from a snapshot); a missing
  // directory is a mistake, and so is a missing file when snapshots are off.
  std::string cfg = Write("c.toml", "db_path = \"" + dir_.path() + "/absent/nope.db\"\n");
  EXPECT_EQ(Run({"-config", cfg}), 1);
  EXPECT_NE(out_.find("absent/nope.db"), std::string::npos) << out_;
  EXPECT_NE(out_.find("does not exist"), std::string::npos) << out_;
  cfg = Write("d.toml", "db_path = \"" + dir_.path() + "/nope.db\"\n[snapshot]\nenabled = false\n");
  EXPECT_EQ(Run({"-config", cfg}), 1);
  EXPECT_NE(out_.find("nope.db"), std::string::npos) << out_;
  EXPECT_NE(out_.find("does not exist"), std::string::npos) << out_;
}

TEST_F(CliTest, UnreachableBrokerFailsWithTheUrl) {
  std::string db = dir_.path() + "/ok.db";
  std::ofstream(db).close();  // an empty file is a valid empty SQLite database
  const int port = FreePort();
  std::string cfg = Write("c.toml", "db_path = \"" + db + "\"\n[nats]\nurls = [\"nats://127.0.0.1:" +
                                        std::to_string(port) +
                                        "\"]\nconnect_retries = 1\nreconnect_wait_seconds = 0\n");
  EXPECT_EQ(Run({"-config", cfg}), 1);
  EXPECT_NE(out_.find(std::to_string(port)), std::string::npos) << out_;
}

// HarmonyLite's flags (issue #11, item 8): -pprof is accepted with a warning; -leaf-servers with
// [nats] urls (no embedded broker to link to the hub) is refused at start with one line saying
// why (leaf_test.cc runs the leaf setups that work); the JSON log uses HarmonyLite's field names
// and ends with the fatal line as JSON too.
TEST_F(CliTest, HarmonyLiteFlagsPprofWarnsLeafServersWithUrlsIsRefusedInJson) {
  std::string db = dir_.path() + "/ok.db";
  std::ofstream(db).close();
  std::string cfg = Write("j.toml", "db_path = \"" + db +
                                        "\"\nnode_id = 9\n[nats]\nurls = [\"nats://127.0.0.1:" +
                                        std::to_string(FreePort()) +
                                        "\"]\n[logging]\nformat = \"json\"\n");
  EXPECT_EQ(Run({"-config", cfg, "-pprof", ":6060", "-leaf-servers", "nats://127.0.0.1:7422",
                 "-hub-domain", "hub"}),
            1);
  EXPECT_NE(out_.find(R"("level":"warn","node_id":9,"message":"-pprof :6060 ignored)"),
            std::string::npos)
      << out_;
  EXPECT_NE(out_.find(R"("level":"fatal","node_id":9,"message":"-leaf-servers nats://127.0.0.1:7422 needs the embedded broker, but [nats] urls is set)"),
            std::string::npos)
      << out_;
  // Every line is one JSON object with time, level, node_id and message.
  std::istringstream lines(out_);
  int count = 0;
  for (std::string line; std::getline(lines, line);) {
    ++count;
    EXPECT_EQ(line.rfind(R"({"time":")", 0), 0u) << line;
    EXPECT_NE(line.find(R"(,"message":")"), std::string::npos) << line;
    EXPECT_EQ(line.back(), '}') << line;
  }
  EXPECT_GE(count, 2);
}

TEST_F(CliTest, SchemaStatusPrintsTheHashOfTheReplicatedTables) {
  std::string db = dir_.path() + "/s.db";
  ASSERT_EQ(std::system(("sqlite3 " + db + " 'CREATE TABLE Books(id INTEGER PRIMARY KEY, t TEXT)'")
                            .c_str()),
            0);
  std::string cfg = Write("s.toml", "db_path = \"" + db + "\"\nnode_id = 4\n");
  ASSERT_EQ(Run({"-config", cfg, "-schema-status"}), 0) << out_;
  EXPECT_NE(out_.find("node 4"), std::string::npos) << out_;
  EXPECT_NE(out_.find("replicated tables (1): Books"), std::string::npos) << out_;
  const size_t at = out_.find("schema hash: ");
  ASSERT_NE(at, std::string::npos) << out_;
  const std::string first = out_.substr(at, 29);
  // A schema change changes the hash.
  ASSERT_EQ(std::system(("sqlite3 " + db + " 'ALTER TABLE Books ADD COLUMN isbn TEXT'").c_str()), 0);
  ASSERT_EQ(Run({"-config", cfg, "-schema-status"}), 0) << out_;
  EXPECT_EQ(out_.find(first), std::string::npos) << first << " unchanged:\n" << out_;
}

}  // namespace
}  // namespace harmony::test
