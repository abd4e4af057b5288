// EmbeddedServer as a real process: start, connect, stop, supervised restart, a 2-node cluster.
#include <gtest/gtest.h>
#include <signal.h>

#include <cerrno>

#include "bus/jetstream_bus.h"
#include "nats/connection.h"
#include "nats_server/embedded_server.h"
#include "tests/support/await.h"
#include "tests/support/free_port.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace harmony::nats {
namespace {

using harmony::test::IsOk;
using nats_server::EmbeddedServer;
using nats_server::EmbeddedServerOptions;
using nats_server::RunningServerUrl;
using std::chrono::milliseconds;
using std::chrono::seconds;

bool ProcessGone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

Result<std::shared_ptr<Connection>> ConnectTo(const std::string& url) {
  ConnectionOptions options;
  options.urls = {url};
  options.connect_retries = 0;
  return Connection::Connect(options);
}

TEST(EmbeddedServerIntegrationTest, StartsAcceptsClientsAndStopsOnDestruction) {
  harmony::test::TempDir dir;
  const int port = harmony::test::FreePort();
  EmbeddedServerOptions options;
  options.port = port;
  options.store_dir = dir.Sub("store");
  auto server = EmbeddedServer::Start(options);
  ASSERT_TRUE(IsOk(server));
  const pid_t pid = server.value()->pid();
  ASSERT_GT(pid, 0);
  EXPECT_EQ(server.value()->ClientUrl(), "nats://127.0.0.1:" + std::to_string(port));

  {
    auto conn = ConnectTo(server.value()->ClientUrl());
    ASSERT_TRUE(IsOk(conn));
    EXPECT_TRUE(conn.value()->IsConnected());
    EXPECT_TRUE(IsOk(conn.value()->Flush(seconds(2))));
  }
  server.value().reset();
  EXPECT_TRUE(ProcessGone(pid));
  EXPECT_FALSE(ConnectTo("nats://127.0.0.1:" + std::to_string(port)).ok());
}

TEST(ConnectionIntegrationTest, ConnectGivesUpAfterItsRetries) {
  const int port = harmony::test::FreePort();  // nobody listens there
  ConnectionOptions options;
  options.urls = {"nats://127.0.0.1:" + std::to_string(port)};
  options.connect_retries = 1;
  options.reconnect_wait_seconds = 0;
  auto conn = Connection::Connect(options);
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(conn.status().message().find("after 2 attempts"), std::string::npos)
      << conn.status().message();
}

TEST(ConnectionIntegrationTest, DrainClosesTheConnection) {
  harmony::test::TempDir dir;
  const int port = harmony::test::FreePort();
  EmbeddedServerOptions options;
  options.port = port;
  options.store_dir = dir.Sub("store");
  auto server = EmbeddedServer::Start(options);
  ASSERT_TRUE(IsOk(server));
  auto conn = ConnectTo(server.value()->ClientUrl());
  ASSERT_TRUE(IsOk(conn));
  EXPECT_TRUE(IsOk(conn.value()->Drain(seconds(5))));
  EXPECT_FALSE(conn.value()->IsConnected());
  EXPECT_EQ(conn.value()->ConnectedUrl(), "");
}

TEST(EmbeddedServerIntegrationTest, SupervisorRestartsAServerThatDied) {
  harmony::test::TempDir dir;
  const int port = harmony::test::FreePort();
  EmbeddedServerOptions options;
  options.port = port;
  options.store_dir = dir.Sub("store");
  auto started = EmbeddedServer::Start(options);
  ASSERT_TRUE(IsOk(started));
  EmbeddedServer& server = *started.value();
  const pid_t first = server.pid();
  ASSERT_EQ(::kill(first, SIGKILL), 0);

  ASSERT_TRUE(harmony::test::PollUntil(
      [&] { return server.restarts() == 1 && server.pid() != 0 && server.pid() != first; },
      seconds(5)));
  // The replacement serves clients on the same port.
  ASSERT_TRUE(harmony::test::PollUntil([&] { return ConnectTo(server.ClientUrl()).ok(); },
                                       seconds(5), milliseconds(100)));
}

TEST(EmbeddedServerIntegrationTest, TwoServersFormAClusterThatAcceptsStreams) {
  const auto began = std::chrono::steady_clock::now();
  harmony::test::TempDir dir;
  const std::vector<int> p = harmony::test::FreePorts(4);
  const std::vector<std::string> routes = {"nats://127.0.0.1:" + std::to_string(p[2]),
                                           "nats://127.0.0.1:" + std::to_string(p[3])};
  std::vector<std::unique_ptr<EmbeddedServer>> servers;
  for (int i = 0; i < 2; ++i) {
    EmbeddedServerOptions options;
    options.port = p[i];
    options.store_dir = dir.Sub("store-" + std::to_string(i));
    options.server_name = "node-" + std::to_string(i);
    options.cluster_name = "harmony-test";
    options.cluster_addr = "127.0.0.1:" + std::to_string(p[2 + i]);
    options.cluster_peers = routes;  // our own route is ignored by nats-server
    auto server = EmbeddedServer::Start(options);
    ASSERT_TRUE(IsOk(server));
    servers.push_back(std::move(server).value());
  }

  // Each node creates its own stream (replicas = 1) once the JetStream meta leader is elected,
  // and sees the other's: they share one JetStream domain.
  std::vector<std::unique_ptr<bus::JetStreamBus>> buses;
  for (int i = 0; i < 2; ++i) {
    bus::ConnectOptions connect;
    connect.urls = {servers[i]->ClientUrl()};
    connect.connect_retries = 0;
    bus::StreamOptions streams;
    streams.stream_prefix = "node" + std::to_string(i);
    streams.subject_prefix = "node" + std::to_string(i) + ".changes";
    streams.replicas = 1;
    auto bus = bus::JetStreamBus::Connect(connect, streams);
    ASSERT_TRUE(IsOk(bus));
    ASSERT_TRUE(IsOk(bus.value()->EnsureStreams(seconds(15))));
    buses.push_back(std::move(bus).value());
  }
  auto publisher = buses[0]->NewPublisher();
  ASSERT_TRUE(IsOk(publisher->PublishAsync(1, "a", "hello")));
  ASSERT_TRUE(IsOk(publisher->WaitForAcks(seconds(5))));

  bus::ConnectOptions connect;
  connect.urls = {servers[1]->ClientUrl()};
  connect.connect_retries = 0;
  bus::StreamOptions node0_streams;
  node0_streams.stream_prefix = "node0";
  node0_streams.subject_prefix = "node0.changes";
  auto via_node1 = bus::JetStreamBus::Connect(connect, node0_streams);
  ASSERT_TRUE(IsOk(via_node1));
  auto state = via_node1.value()->State(1);
  ASSERT_TRUE(IsOk(state));
  EXPECT_EQ(state->messages, 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - began, seconds(15));
}

// Port -1 (HarmonyLite's default bind_address ":-1"): the kernel picks the port, Start() learns
// it from nats-server's ports file, a restart keeps it, and RunningServerUrl finds it.
TEST(EmbeddedServerIntegrationTest, PortMinusOneListensOnAFreePortThatRestartsKeep) {
  harmony::test::TempDir dir;
  EmbeddedServerOptions options;
  options.port = -1;
  options.store_dir = dir.Sub("store");
  auto started = EmbeddedServer::Start(options);
  ASSERT_TRUE(IsOk(started));
  EmbeddedServer& server = *started.value();
  ASSERT_GT(server.port(), 0);
  const std::string url = "nats://127.0.0.1:" + std::to_string(server.port());
  EXPECT_EQ(server.ClientUrl(), url);
  EXPECT_TRUE(ConnectTo(url).ok());
  auto running = RunningServerUrl(options.store_dir);
  ASSERT_TRUE(IsOk(running));
  EXPECT_EQ(running.value(), url);

  const pid_t first = server.pid();
  ASSERT_EQ(::kill(first, SIGKILL), 0);
  ASSERT_TRUE(harmony::test::PollUntil(
      [&] { return server.restarts() == 1 && server.pid() != 0 && server.pid() != first; },
      seconds(5)));
  EXPECT_EQ(server.ClientUrl(), url);
  ASSERT_TRUE(harmony::test::PollUntil([&] { return ConnectTo(url).ok(); }, seconds(5),
                                       milliseconds(100)));
}

// An IPv6 listen address, given with or without brackets ("[::1]:4222" in a config).
TEST(EmbeddedServerIntegrationTest, Ipv6LoopbackServesClients) {
  harmony::test::TempDir dir;
  EmbeddedServerOptions options;
  options.host = "[::1]";
  options.port = -1;
  options.store_dir = dir.Sub("store");
  auto started = EmbeddedServer::Start(options);
  ASSERT_TRUE(IsOk(started));
  const std::string url = started.value()->ClientUrl();
  EXPECT_EQ(url, "nats://[::1]:" + std::to_string(started.value()->port()));
  auto conn = ConnectTo(url);
  ASSERT_TRUE(IsOk(conn));
  EXPECT_TRUE(conn.value()->IsConnected());
}

TEST(EmbeddedServerIntegrationTest, RunningServerUrlWithoutAServerSaysSo) {
  harmony::test::TempDir dir;
  auto url = RunningServerUrl(dir.path());
  ASSERT_FALSE(url.ok());
  EXPECT_EQ(url.status().code(), Status::Code::kNotFound);
  EXPECT_NE(url.status().message().find(dir.path()), std::string::npos);
}

}  // namespace
}  // namespace harmony::nats
