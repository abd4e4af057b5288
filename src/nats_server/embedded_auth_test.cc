// WriteAuthConfig: the config file that makes an embedded nats-server require credentials.
#include "nats_server/embedded_auth.h"

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

class WriteAuthConfigTest : public ::testing::Test {
 protected:
  static std::string Read(const std::string& path) { return test::ReadFileText(path); }
  test::TempDir tmp_{"harmony-auth"};
  const std::string dir_ = tmp_.path();
};

TEST_F(WriteAuthConfigTest, UserAndPasswordGoToTheEnvironmentNotTheFile) {
  {
    std::ofstream old(dir_ + "/harmony-auth.conf");  // an older file, readable by all
    old << "old";
  }
  ::chmod((dir_ + "/harmony-auth.conf").c_str(), 0644);
  auto config = WriteAuthConfig(dir_, {.user = "app", .password = "pw-9f3e"});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->path, dir_ + "/harmony-auth.conf");
  EXPECT_THAT(config->env, ElementsAre("HARMONY_NATS_AUTH_USER=\"app\"",
                                       "HARMONY_NATS_AUTH_PASSWORD=\"pw-9f3e\""));
  const std::string text = Read(config->path);
  EXPECT_THAT(text, HasSubstr("password: $HARMONY_NATS_AUTH_PASSWORD"));
  EXPECT_THAT(text, Not(HasSubstr("pw-9f3e")));
  struct stat st;
  ASSERT_EQ(::stat(config->path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(WriteAuthConfigTest, TokenIsRequiredInsteadOfAUser) {
  auto config = WriteAuthConfig(dir_, {.token = "t0k"});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_THAT(config->env, ElementsAre("HARMONY_NATS_AUTH_TOKEN=\"t0k\""));
  EXPECT_THAT(Read(config->path), HasSubstr("token: $HARMONY_NATS_AUTH_TOKEN"));
}

// NKEY seeds and credentials files need a server_config: refused where the config is mapped
// (node/broker_options.cc), since ClientAuth cannot carry them.
TEST_F(WriteAuthConfigTest, NeitherUserNorTokenIsRefused) {
  EXPECT_EQ(WriteAuthConfig(dir_, {}).status().code(), Status::Code::kInvalidArgument);
}

TEST(QuoteConfigStringTest, EscapesQuotesAndBackslashes) {
  EXPECT_EQ(QuoteConfigString("a b}#$"), "\"a b}#$\"");
  EXPECT_EQ(QuoteConfigString("a\"b\\c"), "\"a\\\"b\\\\c\"");
}

}  // namespace
}  // namespace harmony::nats_server::internal
