// End-to-end: harmony against a nats-server that requires credentials or TLS, one test per
// mode: two nodes connect and replicate, a wrong secret fails the start with one line saying
// what to check, and no secret reaches a log, an error or a file harmony writes (SecurityTest).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/e2e/nats_jwt.h"
#include "tests/e2e/security_fixture.h"

namespace harmony::test {
namespace {

namespace fs = std::filesystem;

using ::testing::AllOf;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// "harmony: connect to NATS at <url>: <nats.c's words> ... (<hint>)"
::testing::Matcher<std::string> RefusedWith(const std::string& url, const std::string& hint) {
  return AllOf(StartsWith("harmony: connect to NATS at " + url + ": "),
               HasSubstr("Authorization Violation"), EndsWith(" (" + hint + ")"));
}

TEST_F(SecurityTest, UserAndPasswordConnectAndAWrongPasswordFailsWithOneLine) {
  const std::string password = Secret("pw-Alice-7d1f");
  StartServer("authorization { user: alice, password: \"" + password + "\" }\n");
  const std::string urls = "urls = [\"" + ServerUrl() + "\"]\n";
  for (int i : {1, 2}) {
    StartNode(i, urls + "user_name = \"alice\"\nuser_password = \"" + password + "\"\n");
  }
  ExpectReplicates(1, 2, "via user/password");

  const std::string wrong = Secret("pw-Wrong-93ac");
  EXPECT_THAT(FailingStart(3, urls + "user_name = \"alice\"\nuser_password = \"" + wrong + "\"\n"),
              RefusedWith(ServerUrl(), "check [nats] user_name/user_password"));
  EXPECT_THAT(FailingStart(3, urls),
              HasSubstr("(the server requires credentials: set [nats] user_name/user_password"));
}

TEST_F(SecurityTest, CredentialsInTheUrlAreRedactedEverywhere) {
  const std::string password = Secret("pw-InUrl-51be");
  StartServer("authorization { user: bob, password: \"" + password + "\" }\n");
  const std::string host = ServerUrl().substr(std::string("nats://").size());
  for (int i : {1, 2}) {
    StartNode(i, "urls = [\"nats://bob:" + password + "@" + host + "\"]\n");
  }
  ExpectReplicates(2, 1, "via url credentials");
  EXPECT_THAT(nodes_[1]->Log(), HasSubstr("connected to nats://bob:***@" + host));

  const std::string wrong = Secret("pw-UrlWrong-0c4e");
  EXPECT_THAT(FailingStart(3, "urls = [\"nats://bob:" + wrong + "@" + host + "\"]\n"),
              RefusedWith("nats://bob:***@" + host, "check the credentials in [nats] urls"));
}

TEST_F(SecurityTest, TokenConnectsAndAWrongTokenFails) {
  const std::string token = Secret("tok-Secret-88d2");
  StartServer("authorization { token: \"" + token + "\" }\n");
  const std::string host = ServerUrl().substr(std::string("nats://").size());
  StartNode(1, "urls = [\"" + ServerUrl() + "\"]\ntoken = \"" + token + "\"\n");
  // A token inside the URL works too and is hidden whole.
  StartNode(2, "urls = [\"nats://" + token + "@" + host + "\"]\n");
  ExpectReplicates(1, 2, "via token");
  EXPECT_THAT(nodes_[2]->Log(), HasSubstr("connected to nats://***@" + host));

  const std::string wrong = Secret("tok-Wrong-11f0");
  EXPECT_THAT(FailingStart(3, "urls = [\"" + ServerUrl() + "\"]\ntoken = \"" + wrong + "\"\n"),
              RefusedWith(ServerUrl(), "check [nats] token"));
}

TEST_F(SecurityTest, NKeySeedFileConnectsAndABrokenSeedFailsNamingTheFile) {
  Secret(kTestNKeySeed);
  StartServer(std::string("authorization { users: [ { nkey: ") + kTestNKeyPublic + " } ] }\n");
  const std::string seed_file = dir_.Sub("user.nk");
  std::ofstream(seed_file) << kTestNKeySeed << "\n";
  const std::string nats = "urls = [\"" + ServerUrl() + "\"]\nseed_file = \"" + seed_file + "\"\n";
  for (int i : {1, 2}) StartNode(i, nats);
  ExpectReplicates(1, 2, "via nkey");

  std::string broken = kTestNKeySeed;
  broken[30] = broken[30] == 'A' ? 'B' : 'A';
  Secret(broken);
  const std::string broken_file = dir_.Sub("broken.nk");
  std::ofstream(broken_file) << broken << "\n";
  EXPECT_EQ(
      FailingStart(3, "urls = [\"" + ServerUrl() + "\"]\nseed_file = \"" + broken_file + "\"\n"),
      "harmony: connect to NATS at " + ServerUrl() + ": NKEY seed file " + broken_file +
          " holds no valid user seed (a 58-character word starting 'SU')");
}

// A .creds file (user JWT and seed, as `nsc` writes it) against a server in operator mode (JWT
// auth, memory resolver). The chain operator -> account (JetStream on) -> user is made by the
// test (nats_jwt.h). A user whose account the server does not know is refused at start.
TEST_F(SecurityTest, CredsFileConnectsAndAUserOfAnUnknownAccountFails) {
  const NKeyPair op = MakeNKeyPair(NKeyType::kOperator);
  const NKeyPair account = MakeNKeyPair(NKeyType::kAccount);
  const NKeyPair user = MakeNKeyPair(NKeyType::kUser);
  ASSERT_FALSE(op.seed.empty() || account.seed.empty() || user.seed.empty());
  // JetStream in operator mode needs a system account.
  const NKeyPair system = MakeNKeyPair(NKeyType::kAccount);
  nlohmann::json system_claims = {{"type", "account"}, {"version", 2}};
  StartServer("operator: " + MakeJwt(op, op.public_key, "test-operator", OperatorClaims()) +
              "\nsystem_account: " + system.public_key +
              "\nresolver: MEMORY\nresolver_preload: {\n  " + account.public_key + ": " +
              MakeJwt(op, account.public_key, "harmony", AccountClaimsWithJetStream()) + "\n  " +
              system.public_key + ": " + MakeJwt(op, system.public_key, "SYS", system_claims) +
              "\n}\n");

  auto write_creds = [&](const std::string& name, const NKeyPair& issuer, const NKeyPair& holder) {
    const std::string jwt = Secret(MakeJwt(issuer, holder.public_key, name, UserClaims()));
    Secret(holder.seed);
    const std::string path = dir_.Sub("creds-" + name);
    std::ofstream(path) << CredsFileText(jwt, holder.seed);
    fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
    return path;
  };
  const std::string urls = "urls = [\"" + ServerUrl() + "\"]\n";
  const std::string creds = write_creds("node", account, user);
  for (int i : {1, 2}) StartNode(i, urls + "creds_file = \"" + creds + "\"\n");
  ExpectReplicates(1, 2, "via creds file");

  const NKeyPair stranger_account = MakeNKeyPair(NKeyType::kAccount);
  const std::string stranger =
      write_creds("stranger", stranger_account, MakeNKeyPair(NKeyType::kUser));
  EXPECT_THAT(FailingStart(3, urls + "creds_file = \"" + stranger + "\"\n"),
              RefusedWith(ServerUrl(), "check [nats] creds_file"));
}

TEST_F(SecurityTest, MissingSecurityFilesFailTheStartNamingKeyAndPath) {
  StartServer("");
  const std::string urls = "urls = [\"" + ServerUrl() + "\"]\n";
  const std::string absent = dir_.Sub("absent");
  for (const char* key : {"creds_file", "seed_file", "ca_file", "server_config"}) {
    EXPECT_EQ(FailingStart(1, urls + key + " = \"" + absent + "\"\n"),
              std::string("harmony: [nats] ") + key + ": cannot read " + absent +
                  ": No such file or directory");
  }
}

TEST_F(TlsTest, ServerCertificateFromAPrivateCaIsVerified) {
  StartServer(ServerTls());
  const std::string urls = "urls = [\"" + ServerUrl() + "\"]\n";
  StartNode(1, urls + "ca_file = \"" + pki_.ca + "\"\n");
  StartNode(2, urls + "ca_file = \"" + pki_.ca + "\"\ntls_server_name = \"localhost\"\n");
  ExpectReplicates(1, 2, "via tls");

  // Not trusted without the CA; a name the certificate does not carry is refused.
  EXPECT_THAT(FailingStart(3, urls + "tls_server_name = \"localhost\"\n"),
              AllOf(StartsWith("harmony: connect to NATS at " + ServerUrl() + ": "),
                    HasSubstr("unable to get local issuer certificate")));
  EXPECT_THAT(FailingStart(
                  3, urls + "ca_file = \"" + pki_.ca + "\"\ntls_server_name = \"other.example\"\n"),
              AllOf(StartsWith("harmony: connect to NATS at " + ServerUrl() + ": "),
                    HasSubstr("hostname mismatch:expected=other.example")));
}

TEST_F(TlsTest, MutualTlsSendsTheClientCertificate) {
  StartServer(ServerTls(", ca_file: \"" + pki_.ca + "\", verify: true"));
  const std::string nats = "urls = [\"" + ServerUrl() + "\"]\nca_file = \"" + pki_.ca +
                           "\"\ncert_file = \"" + pki_.client_cert + "\"\nkey_file = \"" +
                           pki_.client_key + "\"\n";
  for (int i : {1, 2}) StartNode(i, nats);
  ExpectReplicates(2, 1, "via mutual tls");

  // Without a client certificate the server closes the connection; the error says why.
  EXPECT_THAT(FailingStart(3, "urls = [\"" + ServerUrl() + "\"]\nca_file = \"" + pki_.ca + "\"\n"),
              AllOf(StartsWith("harmony: connect to NATS at " + ServerUrl() + ": "),
                    EndsWith("(the server closed the TLS connection: does it require a client "
                             "certificate? set [nats] cert_file/key_file)")));
}

}  // namespace
}  // namespace harmony::test
