// The harmony binary's start-up contract: one clear line and a non-zero exit for every bad input.
#include <gtest/gtest.h>

#include <fstream>

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

}  // namespace
}  // namespace harmony::test
