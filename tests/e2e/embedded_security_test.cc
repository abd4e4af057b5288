// End-to-end: a secured embedded broker ([nats] urls empty). With user_name/user_password (or
// token) and no server_config, each node's nats-server requires those credentials from every
// client, the secrets reaching it through a 0600 config file that refers to its environment;
// with server_config, the file configures it. Clients without credentials are refused, and no
// secret shows in a file, a log or a command line (SecurityTest's TearDown).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "nats/connection.h"
#include "tests/e2e/security_fixture.h"
#include "tests/support/free_port.h"

namespace harmony::test {
namespace {

using ::testing::HasSubstr;

Status ConnectPlain(int port, nats::Credentials credentials = {}) {
  nats::ConnectionOptions options;
  options.urls = {"nats://127.0.0.1:" + std::to_string(port)};
  options.connect_retries = 0;
  options.credentials = std::move(credentials);
  return nats::Connection::Connect(options).status();
}

TEST_F(SecurityTest, ClusteredEmbeddedBrokersRequireTheConfiguredUserAndPassword) {
  // A brace, a '#' and a space: the generated config must quote them for nats-server.
  const std::string password = Secret("pw-Emb}ed d#d-4e");
  const std::string toml_password = password;
  const std::vector<int> client = FreePorts(2), route = FreePorts(2);
  for (int i : {0, 1}) {
    LaunchNode(i + 1,
               "bind_address = \"127.0.0.1:" + std::to_string(client[i]) +
                   "\"\nuser_name = \"app\"\nuser_password = \"" + toml_password + "\"\n",
               {"-cluster-addr", "127.0.0.1:" + std::to_string(route[i]), "-cluster-peers",
                "nats://127.0.0.1:" + std::to_string(route[1 - i])});
  }
  AwaitReady(1);
  AwaitReady(2);
  ExpectReplicates(1, 2, "through secured embedded brokers");

  for (int port : client) {
    Status refused = ConnectPlain(port);
    EXPECT_THAT(refused.message(), HasSubstr("Authorization Violation")) << refused.ToString();
    Status wrong = ConnectPlain(port, {.user = "app", .password = Secret("pw-NotIt-2b")});
    EXPECT_THAT(wrong.message(), HasSubstr("Authorization Violation")) << wrong.ToString();
    EXPECT_TRUE(ConnectPlain(port, {.user = "app", .password = password}).ok());
  }
  struct stat st;
  const std::string auth_file = DbPath(1) + "-harmony-nats/harmony-auth.conf";
  ASSERT_EQ(::stat(auth_file.c_str(), &st), 0) << auth_file;
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(SecurityTest, ServerConfigConfiguresTheEmbeddedBroker) {
  const std::string token = Secret("tok-FromFile-6c3a");
  const std::string conf = dir_.Sub("conf/embedded.conf");
  std::filesystem::create_directories(dir_.Sub("conf"));
  // server_name and port in the file lose to harmony's own flags (readiness keeps working).
  std::ofstream(conf) << "server_name: from-file\nport: 1\nauthorization { token: \"" << token
                      << "\" }\n";
  const int port = FreePort();
  StartNode(1, "bind_address = \"127.0.0.1:" + std::to_string(port) + "\"\nserver_config = \"" +
                   conf + "\"\ntoken = \"" + token + "\"\n");
  EXPECT_THAT(ConnectPlain(port).message(), HasSubstr("Authorization Violation"));
  EXPECT_TRUE(ConnectPlain(port, {.token = token}).ok());
}

// The secure cluster of docs/operations.md ("A secure three-node embedded cluster"), with two
// nodes: clients need TLS and a password, routes their own password and mutual TLS, all from
// server_config files; no -cluster-* flags.
TEST_F(TlsTest, ServerConfigSecuresClientsAndRoutesOfAnEmbeddedCluster) {
  const std::string client_password = Secret("pw-Client-a71c");
  const std::string route_password = Secret("pw-Route-5e09");
  const std::vector<int> client = FreePorts(2), route = FreePorts(2);
  std::filesystem::create_directories(dir_.Sub("conf"));
  for (int i : {0, 1}) {
    const std::string conf = dir_.Sub("conf/nats-server" + std::to_string(i + 1) + ".conf");
    std::ofstream(conf) << "authorization { user: app, password: \"" << client_password << "\" }\n"
                        << ServerTls(", ca_file: \"" + pki_.ca + "\"") << "cluster {\n"
                        << "  name: harmony\n  listen: 127.0.0.1:" << route[i] << "\n"
                        << "  authorization { user: route, password: \"" << route_password
                        << "\" }\n  " << ServerTls(", ca_file: \"" + pki_.ca + "\", verify: true")
                        << "  routes: [ \"nats-route://route:" << route_password
                        << "@127.0.0.1:" << route[1 - i] << "\" ]\n}\n";
    LaunchNode(i + 1, "bind_address = \"127.0.0.1:" + std::to_string(client[i]) +
                          "\"\nserver_config = \"" + conf +
                          "\"\nuser_name = \"app\"\nuser_password = \"" + client_password +
                          "\"\nca_file = \"" + pki_.ca + "\"\ntls_server_name = \"localhost\"\n");
  }
  AwaitReady(1);
  AwaitReady(2);
  ExpectReplicates(2, 1, "through a secure embedded cluster");
  // Without TLS and credentials, a client gets nowhere.
  EXPECT_FALSE(ConnectPlain(client[0]).ok());
}

TEST_F(SecurityTest, TlsForTheEmbeddedBrokerNeedsServerConfig) {
  const std::string ca = dir_.Sub("conf/ca.pem");
  std::filesystem::create_directories(dir_.Sub("conf"));
  std::ofstream(ca) << "not used\n";
  EXPECT_EQ(FailingStart(1, "bind_address = \"127.0.0.1:" + std::to_string(FreePort()) +
                                "\"\nca_file = \"" + ca + "\"\n"),
            "harmony: [nats] ca_file/cert_file/tls_server_name with the embedded broker (urls "
            "empty) need [nats] server_config with a tls block: harmony does not set up TLS for "
            "it by itself");
}

}  // namespace
}  // namespace harmony::test
