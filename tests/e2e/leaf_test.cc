// End-to-end: HarmonyLite's -leaf-servers (issue #11, item 8). A real hub nats-server with
// JetStream (domain "hub") and a leafnodes listener; node 1's embedded nats-server connects to it
// as a leaf node without JetStream (its JetStream API, KV and object-store subjects mapped onto
// the hub's domain), node 2 connects to the hub directly. Writes flow both ways; writes made on
// node 1 while the hub is down wait in its change log and arrive once the hub is back; setups
// that could lose writes are refused at start; leaf credentials show in no file, log or command
// line (SecurityTest's TearDown).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "nats/connection.h"
#include "sqlite/database.h"
#include "tests/e2e/cluster_fixture.h"
#include "tests/e2e/security_fixture.h"
#include "tests/support/free_port.h"

namespace harmony::test {
namespace {

using ::testing::HasSubstr;

class LeafTest : public SecurityTest {
 protected:
  // The hub: JetStream in domain "hub", leaf nodes accepted on leaf_port_ (with `leaf_auth`, an
  // authorization block's body, when given).
  void StartHub(const std::string& leaf_auth = "") {
    StartServer("jetstream { domain: hub }\nleafnodes {\n  listen: \"127.0.0.1:" +
                std::to_string(leaf_port_) + "\"\n" +
                (leaf_auth.empty() ? "" : "  authorization { " + leaf_auth + " }\n") + "}\n");
  }
  std::string LeafUrl(const std::string& user_info = "") const {
    return "nats-leaf://" + user_info + "127.0.0.1:" + std::to_string(leaf_port_);
  }
  // Node 1: the embedded broker as a leaf of the hub. Node 2: a client of the hub.
  void StartLeafAndHubNodes(std::vector<std::string> leaf_args) {
    leaf_args.insert(leaf_args.end(), {"-hub-domain", "hub"});
    StartNode(1, "", leaf_args);
    StartNode(2, "urls = [\"" + ServerUrl() + "\"]\n");
  }
  std::string EmbeddedStore(int i) const { return DbPath(i) + "-harmony-nats"; }
  void Insert(int i, const std::string& sql) {
    sqlite::OpenOptions options;
    auto db = sqlite::Database::Open(DbPath(i), options);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE(db->Exec(sql).ok()) << sql;
  }
  // Every row of node i's table t as "id:v,id:v,...".
  std::string Rows(int i) const {
    return QueryText(DbPath(i),
                     "SELECT group_concat(id || ':' || v, ',') FROM (SELECT * FROM t ORDER BY id)");
  }
  // Runs harmony expecting it to refuse to start; returns its one "harmony: " line.
  std::string Refusal(const std::vector<std::string>& args) {
    std::string output;
    const int code = RunHarmony(args, dir_.Sub("refused" + std::to_string(refusals_++) + ".log"),
                                &output, std::chrono::seconds(30));
    EXPECT_EQ(code, 1) << output;
    std::istringstream lines(output);
    std::string reason;
    int reasons = 0;
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("harmony: ", 0) == 0) {
        reason = line;
        ++reasons;
      }
    }
    EXPECT_EQ(reasons, 1) << output;
    return reason;
  }

  // Distinct: two FreePort() calls in a row may return the same port.
  const std::vector<int> ports_ = FreePorts(2);
  const int leaf_port_ = ports_[0];
  const int client_port_ = ports_[1];  // for a node whose port a test connects to
  int refusals_ = 0;
};

TEST_F(LeafTest, WritesFlowBothWaysBetweenALeafNodeAndTheHub) {
  StartHub();
  StartLeafAndHubNodes({"-leaf-servers", LeafUrl()});
  ExpectReplicates(1, 2, "written on the leaf");
  ExpectReplicates(2, 1, "written beside the hub");
  // Tools beside the leaf node reach the hub's JetStream through its embedded broker: a snapshot
  // lands in the hub's object store, and status reads the hub's streams.
  std::string output;
  EXPECT_EQ(RunHarmony({"-config", dir_.Sub("conf/node1.toml"), "-save-snapshot"},
                       dir_.Sub("save-snapshot.log"), &output),
            0)
      << output;
  // Status reports arrive every few seconds.
  EXPECT_TRUE(Eventually([&] {
    return RunHarmony({"-config", dir_.Sub("conf/node1.toml"), "status"}, dir_.Sub("status.log"),
                      &output) == 0 &&
           output.find("node 2  ") != std::string::npos;
  })) << output;
  // The leaf runs without JetStream: nothing of the streams lives in its store.
  EXPECT_FALSE(std::filesystem::exists(EmbeddedStore(1) + "/jetstream"));
  EXPECT_THAT(QueryText(DbPath(1), "SELECT count(*) FROM t"), "2");
}

TEST_F(LeafTest, WritesMadeWhileTheLinkIsDownReachTheHubWhenItReturns) {
  StartHub();
  StartLeafAndHubNodes({"-leaf-servers", LeafUrl()});
  ExpectReplicates(1, 2, "before the outage");

  server_->Stop();
  for (int i = 0; i < 20; ++i) {
    Insert(1, "INSERT INTO t(id, v) VALUES(" + std::to_string(100 + i) + ", 'down-" +
                  std::to_string(i) + "')");
  }
  // Node 1 tries to send them, fails (nothing answers behind the leaf link) and keeps running.
  EXPECT_TRUE(nodes_[1]->WaitForLog("retrying until it succeeds", std::chrono::seconds(30)))
      << nodes_[1]->Log();
  ASSERT_TRUE(nodes_[1]->running());
  EXPECT_EQ(QueryText(DbPath(2), "SELECT count(*) FROM t WHERE v LIKE 'down-%'"), "0");

  ASSERT_TRUE(server_->Restart().ok());
  EXPECT_TRUE(Eventually(
      [&] { return QueryText(DbPath(2), "SELECT count(*) FROM t WHERE v LIKE 'down-%'") == "20"; },
      std::chrono::seconds(60)))
      << nodes_[1]->Log();
  EXPECT_EQ(Rows(2), Rows(1));
  ExpectReplicates(2, 1, "after the outage");
}

// With the hub down at start the node waits for JetStream behind the leaf link (as for an
// unreachable broker) and still stops promptly on SIGTERM.
TEST_F(LeafTest, NodeWaitsForAHubThatIsDownAtStartAndStopsPromptly) {
  LaunchNode(1, "", {"-leaf-servers", LeafUrl(), "-hub-domain", "hub"});
  ASSERT_TRUE(nodes_[1]->WaitForLog("waiting for JetStream", std::chrono::seconds(30)))
      << nodes_[1]->Log();
  const auto stop_at = std::chrono::steady_clock::now();
  EXPECT_EQ(nodes_[1]->Stop(), 0) << nodes_[1]->Log();
  EXPECT_LT(std::chrono::steady_clock::now() - stop_at, std::chrono::seconds(2));
}

TEST_F(LeafTest, LeafServersNeedTheEmbeddedBrokerAndTheHubDomain) {
  const std::string with_urls = WriteConfig(1, "urls = [\"nats://127.0.0.1:4222\"]\n");
  EXPECT_THAT(Refusal({"-config", with_urls, "-leaf-servers", LeafUrl(), "-hub-domain", "hub"}),
              HasSubstr("[nats] urls is set: there is no embedded nats-server"));
  const std::string embedded = WriteConfig(2, "");
  EXPECT_THAT(Refusal({"-config", embedded, "-leaf-servers", LeafUrl()}),
              HasSubstr("needs -hub-domain NAME"));
  EXPECT_THAT(Refusal({"-config", embedded, "-leaf-servers", LeafUrl(), "-hub-domain", "hub",
                       "-cluster-addr", "127.0.0.1:" + std::to_string(client_port_)}),
              HasSubstr("cannot be combined with -cluster-addr"));
}

TEST_F(LeafTest, ServerConfigGivingTheLeafItsOwnJetStreamIsRefused) {
  const std::string conf = dir_.Sub("conf/leaf-js.conf");
  std::filesystem::create_directories(dir_.Sub("conf"));
  std::ofstream(conf) << "jetstream {\n  domain: leaf\n}\n";
  const std::string config = WriteConfig(1, "server_config = \"" + conf + "\"\n");
  const std::string reason =
      Refusal({"-config", config, "-leaf-servers", LeafUrl(), "-hub-domain", "hub"});
  EXPECT_THAT(reason, HasSubstr("enables JetStream on a leaf node"));
  EXPECT_THAT(reason, HasSubstr("while the link to the hub is down"));
}

// A server_config without jetstream is kept: the generated config includes it (here: the
// token the embedded broker requires of its clients).
TEST_F(LeafTest, ServerConfigIsIncludedBesideTheLeafRemotes) {
  const std::string token = Secret("tok-LeafFile-2d7e");
  const std::string conf = dir_.Sub("conf/leaf.conf");
  std::filesystem::create_directories(dir_.Sub("conf"));
  std::ofstream(conf) << "authorization { token: \"" << token << "\" }\n";
  StartHub();
  const int port = client_port_;
  StartNode(1,
            "bind_address = \"127.0.0.1:" + std::to_string(port) + "\"\nserver_config = \"" + conf +
                "\"\ntoken = \"" + token + "\"\n",
            {"-leaf-servers", LeafUrl(), "-hub-domain", "hub"});
  StartNode(2, "urls = [\"" + ServerUrl() + "\"]\n");
  ExpectReplicates(1, 2, "from a leaf with its own server_config");
  nats::ConnectionOptions plain;
  plain.urls = {"nats://127.0.0.1:" + std::to_string(port)};
  plain.connect_retries = 0;
  EXPECT_THAT(nats::Connection::Connect(plain).status().message(),
              HasSubstr("Authorization Violation"));
}

TEST_F(LeafTest, LeafCredentialsStayOutOfFilesLogsAndCommandLines) {
  const std::string password = Secret("pw-Leaf-93fa1c");
  StartHub("user: leafy, password: \"" + password + "\"");
  // From the environment: on the command line every local user would see it (ps).
  ::setenv("HARMONY_LEAF_SERVERS", LeafUrl("leafy:" + password + "@").c_str(), 1);
  LaunchNode(1, "", {"-hub-domain", "hub"});
  ::unsetenv("HARMONY_LEAF_SERVERS");  // node 2 connects to the hub itself
  AwaitReady(1);
  StartNode(2, "urls = [\"" + ServerUrl() + "\"]\n");
  ExpectReplicates(1, 2, "through an authenticated leaf link");
  EXPECT_THAT(nodes_[1]->Log(), HasSubstr("leaf node of nats-leaf://leafy:***@127.0.0.1"));
  // TearDown: the password is in no file under the nodes' directories (harmony's log, the leaf's
  // log, its generated config, its ports file) and on no process's command line.
}

}  // namespace
}  // namespace harmony::test
