// EmbeddedServer failures that need no broker traffic: a missing binary, and a client port that
// another process already holds (this one spawns nats-server; skipped if it is not installed).
#include "nats_server/embedded_server.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "nats_server/embedded_server_process.h"

namespace harmony::nats_server {
namespace {

class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "harmony-nats-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A listening socket on an ephemeral 127.0.0.1 port, held for the test's duration.
class Listener {
 public:
  Listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        ::listen(fd_, 16) == 0) {
      socklen_t len = sizeof(addr);
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
      port_ = ntohs(addr.sin_port);
    }
  }
  ~Listener() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(EmbeddedServerTest, MissingBinaryOnPathSaysHowToFixIt) {
  ScratchDir dir;
  EmbeddedServerOptions options;
  options.binary = "harmony-no-such-nats-server";
  options.store_dir = dir.path();
  auto server = EmbeddedServer::Start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), Status::Code::kNotFound);
  EXPECT_NE(server.status().message().find("not found on PATH"), std::string::npos)
      << server.status().message();
  EXPECT_NE(server.status().message().find("install the nats-server package"), std::string::npos);
}

TEST(EmbeddedServerTest, MissingBinaryPath) {
  ScratchDir dir;
  EmbeddedServerOptions options;
  options.binary = dir.path() + "/bin/nats-server";
  options.store_dir = dir.path();
  auto server = EmbeddedServer::Start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find("not found or not executable"), std::string::npos)
      << server.status().message();
}

TEST(EmbeddedServerTest, RejectsBadOptions) {
  EmbeddedServerOptions options;
  options.store_dir = "";
  EXPECT_EQ(EmbeddedServer::Start(options).status().code(), Status::Code::kInvalidArgument);
  options.store_dir = "/tmp/unused";
  options.port = 0;
  EXPECT_EQ(EmbeddedServer::Start(options).status().code(), Status::Code::kInvalidArgument);
}

TEST(EmbeddedServerTest, PortInUseFailsWithTheChildsExitAndLog) {
  if (!process::ResolveBinary("nats-server").ok()) GTEST_SKIP() << "nats-server not installed";
  ScratchDir dir;
  Listener listener;
  ASSERT_GT(listener.port(), 0);
  EmbeddedServerOptions options;
  options.port = listener.port();
  options.store_dir = dir.path();
  auto server = EmbeddedServer::Start(options);
  ASSERT_FALSE(server.ok());
  const std::string& msg = server.status().message();
  EXPECT_NE(msg.find("exited with status"), std::string::npos) << msg;
  EXPECT_NE(msg.find("address already in use"), std::string::npos) << msg;
}

TEST(EmbeddedServerProcessTest, DescribeExit) {
  EXPECT_EQ(process::DescribeExit(1 << 8), "exited with status 1");
  EXPECT_NE(process::DescribeExit(9).find("killed by signal 9"), std::string::npos);
}

}  // namespace
}  // namespace harmony::nats_server
