// The [nats] security keys: decoding, pairs checked at load, secrets never quoted, files checked
// at start (CheckNatsFiles).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "config/config.h"

namespace harmony::config {
namespace {

using ::testing::IsEmpty;
using ::testing::StartsWith;

Config WithDbPath() {
  Config c;
  c.db_path = "x.db";
  return c;
}

TEST(LoadString, NatsSecurityKeysAreRead) {
  Result<Loaded> r = LoadString(
      "db_path = \"x.db\"\n[nats]\nuser_name = \"u\"\nuser_password = \"p\"\n"
      "token = \"t\"\nseed_file = \"s.nk\"\ncreds_file = \"u.creds\"\nca_file = \"ca.pem\"\n"
      "cert_file = \"c.pem\"\nkey_file = \"k.pem\"\ntls_server_name = \"nats.internal\"\n"
      "server_config = \"nats.conf\"\n",
      "s.toml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(r->warnings, IsEmpty());
  const NatsConfig& n = r->config.nats;
  EXPECT_EQ(n.user_name, "u");
  EXPECT_EQ(n.user_password, "p");
  EXPECT_EQ(n.token, "t");
  EXPECT_EQ(n.seed_file, "s.nk");
  EXPECT_EQ(n.creds_file, "u.creds");
  EXPECT_EQ(n.ca_file, "ca.pem");
  EXPECT_EQ(n.cert_file, "c.pem");
  EXPECT_EQ(n.key_file, "k.pem");
  EXPECT_EQ(n.tls_server_name, "nats.internal");
  EXPECT_EQ(n.server_config, "nats.conf");
}

TEST(LoadString, CertFileWithoutKeyFileNamesBothKeys) {
  for (const char* key : {"cert_file", "key_file"}) {
    Result<Loaded> r =
        LoadString(std::string("db_path = \"x.db\"\n[nats]\n") + key + " = \"a.pem\"\n", "t.toml");
    ASSERT_FALSE(r.ok()) << key;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
    EXPECT_THAT(r.status().message(), StartsWith("t.toml: nats.cert_file and nats.key_file "));
  }
}

TEST(LoadString, ASecretOfTheWrongTypeIsNotQuoted) {
  Result<Loaded> r =
      LoadString("db_path = \"x.db\"\n[nats]\nuser_name = \"u\"\nuser_password = 918273\n", "t");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "t:4:17: nats.user_password: expected a string (quoted), got an integer");
}

TEST(Validate, PasswordWithoutUserIsAnError) {
  Config c = WithDbPath();
  c.nats.user_password = "p";
  EXPECT_EQ(Validate(c).message(), "nats.user_password is set without nats.user_name");
}

TEST(Validate, SecretsWithQuotesOrBackslashesAreRejectedWithoutQuotingThem) {
  Config c = WithDbPath();
  c.nats.user_name = "u";
  c.nats.user_password = "a\"b";
  EXPECT_EQ(Validate(c).message(),
            "nats.user_password: must not contain '\"' or '\\' (nats.c sends it unescaped)");
  c.nats.user_password = "ok";
  c.nats.token = "t\\x";
  EXPECT_EQ(Validate(c).message(),
            "nats.token: must not contain '\"' or '\\' (nats.c sends it unescaped)");
}

TEST(CheckNatsFiles, AMissingFileNamesTheKeyAndThePath) {
  NatsConfig nats;
  EXPECT_TRUE(CheckNatsFiles(nats).ok());
  nats.ca_file = "/nonexistent/harmony-test/ca.pem";
  Status s = CheckNatsFiles(nats);
  EXPECT_EQ(s.code(), Status::Code::kNotFound);
  EXPECT_EQ(s.message(),
            "[nats] ca_file: cannot read /nonexistent/harmony-test/ca.pem: No such file or "
            "directory");
  nats.ca_file.clear();
  nats.seed_file = "/";
  EXPECT_EQ(CheckNatsFiles(nats).message(), "[nats] seed_file: cannot read /: Is a directory");
}

}  // namespace
}  // namespace harmony::config
