// Leaf-node mode: what CheckLeafSetup refuses and what WriteLeafConfig writes (no secret in it).
#include "nats_server/leaf_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/temp_dir.h"

namespace harmony::nats_server::internal {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class LeafConfigTest : public ::testing::Test {
 protected:
  void SetUp() override { std::filesystem::create_directories(dir_ + "/store"); }
  static std::string Read(const std::string& path) { return test::ReadFileText(path); }
  EmbeddedServerOptions Leaf() const {
    EmbeddedServerOptions o;
    o.store_dir = dir_ + "/store";
    o.leaf = {.remotes = {"nats-leaf://u:pw-7c1@127.0.0.1:7422"}, .hub_domain = "hub"};
    return o;
  }
  std::string WriteServerConfig(const std::string& text) {
    std::ofstream(dir_ + "/server.conf") << text;
    return dir_ + "/server.conf";
  }
  test::TempDir tmp_{"harmony-leaf"};
  const std::string dir_ = tmp_.path();
};

TEST_F(LeafConfigTest, HubDomainIsRequiredAndPlain) {
  EmbeddedServerOptions o = Leaf();
  EXPECT_TRUE(CheckLeafSetup(o).ok());
  o.leaf.hub_domain = "";
  EXPECT_THAT(CheckLeafSetup(o).message(), HasSubstr("hub's JetStream domain"));
  o.leaf.hub_domain = "a.b";
  EXPECT_EQ(CheckLeafSetup(o).code(), Status::Code::kInvalidArgument);
}

TEST_F(LeafConfigTest, ClusterOfEmbeddedLeavesIsRefused) {
  EmbeddedServerOptions o = Leaf();
  o.cluster_addr = "127.0.0.1:6222";
  EXPECT_THAT(CheckLeafSetup(o).message(), HasSubstr("cluster"));
}

TEST_F(LeafConfigTest, ServerConfigEnablingJetStreamIsRefusedNamingTheRisk) {
  EmbeddedServerOptions o = Leaf();
  o.config_file =
      WriteServerConfig("# jetstream in a comment is fine\nauthorization { token: x }\n");
  EXPECT_TRUE(CheckLeafSetup(o).ok()) << CheckLeafSetup(o).ToString();
  o.config_file = WriteServerConfig("  JetStream {\n  domain: leaf\n}\n");
  const Status s = CheckLeafSetup(o);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("while the link to the hub is down"));
  o.config_file = WriteServerConfig("leafnodes: { remotes: [] }\n");
  EXPECT_THAT(CheckLeafSetup(o).message(), HasSubstr("`leafnodes`"));
}

TEST_F(LeafConfigTest, UrlsGoToTheEnvironmentNotTheFile) {
  const std::string user_conf = WriteServerConfig("authorization { token: x }\n");
  auto config = WriteLeafConfig(
      dir_ + "/store",
      {.remotes = {"nats-leaf://u:pw-7c1@127.0.0.1:7422", "tls://h:1"}, .hub_domain = "hub"},
      ClientAuth{}, user_conf);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->path, dir_ + "/store/harmony-leaf.conf");
  EXPECT_THAT(config->env, ElementsAre("HARMONY_LEAF_URL_1=\"nats-leaf://u:pw-7c1@127.0.0.1:7422\"",
                                       "HARMONY_LEAF_URL_2=\"tls://h:1\""));
  const std::string text = Read(config->path);
  EXPECT_THAT(text, Not(HasSubstr("pw-7c1")));
  EXPECT_THAT(text, HasSubstr("include \"../server.conf\""));
  EXPECT_THAT(text, HasSubstr("{ url: $HARMONY_LEAF_URL_2 }"));
  EXPECT_THAT(text, HasSubstr("\"$KV.>\": \"$JS.hub.API.$KV.>\""));
  EXPECT_THAT(text, Not(HasSubstr("authorization")));
  struct stat st;
  ASSERT_EQ(::stat(config->path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(LeafConfigTest, ClientAuthIsWrittenBesideTheRemotes) {
  auto config = WriteLeafConfig(dir_ + "/store", Leaf().leaf,
                                {.user = "app", .password = "pw", .token = ""}, "");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_THAT(config->env,
              ElementsAre("HARMONY_NATS_AUTH_USER=\"app\"", "HARMONY_NATS_AUTH_PASSWORD=\"pw\"",
                          "HARMONY_LEAF_URL_1=\"nats-leaf://u:pw-7c1@127.0.0.1:7422\""));
  EXPECT_THAT(Read(config->path), HasSubstr("password: $HARMONY_NATS_AUTH_PASSWORD"));
}

}  // namespace
}  // namespace harmony::nats_server::internal
