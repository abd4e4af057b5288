// End-to-end: harmony as a service (issue #11, item 7c). `cmake --install` lays out the binary,
// the example config, the docs and the systemd template unit; under a Type=notify unit harmony
// sends READY=1 once it is ready and STOPPING=1 when it stops (the test plays systemd: it binds
// the NOTIFY_SOCKET datagram socket itself).
#include <gtest/gtest.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "sqlite/database.h"
#include "tests/support/free_port.h"
#include "tests/support/harmony_process.h"
#include "tests/support/temp_dir.h"

namespace harmony::test {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(InstallTest, CmakeInstallLaysOutBinaryConfigDocsAndSystemdUnit) {
  TempDir dir;
  const std::string prefix = dir.Sub("prefix");
  std::string out;
  const std::string command = std::string("\"") + CMAKE_COMMAND_PATH + "\" --install \"" +
                              HARMONY_BUILD_DIR + "\" --prefix \"" + prefix + "\" > \"" +
                              dir.Sub("install.log") + "\" 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << ReadFile(dir.Sub("install.log"));
  EXPECT_EQ(::access((prefix + "/bin/harmony").c_str(), X_OK), 0) << "no executable bin/harmony";
  EXPECT_TRUE(fs::is_regular_file(prefix + "/share/doc/harmony/config.example.toml"));
  EXPECT_TRUE(fs::is_regular_file(prefix + "/share/doc/harmony/README.md"));
  EXPECT_TRUE(fs::is_regular_file(prefix + "/share/doc/harmony/docs/operations.md"));
  const std::string unit_path = prefix + "/lib/systemd/system/harmony@.service";
  ASSERT_TRUE(fs::is_regular_file(unit_path)) << ReadFile(dir.Sub("install.log"));
  const std::string unit = ReadFile(unit_path);
  EXPECT_NE(unit.find("Type=notify"), std::string::npos) << unit;
  EXPECT_NE(unit.find("/bin/harmony -config /etc/harmony/%i.toml"), std::string::npos) << unit;
  EXPECT_NE(unit.find("Restart=on-failure"), std::string::npos) << unit;
  // The installed binary runs.
  ASSERT_EQ(RunHarmony({"-version"}, dir.Sub("version.log"), &out, seconds(30),
                       prefix + "/bin/harmony"),
            0)
      << out;
}

// A bound AF_UNIX datagram socket standing in for systemd's notification socket.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path.copy(addr.sun_path, sizeof addr.sun_path - 1);
    bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~NotifySocket() {
    if (fd_ >= 0) ::close(fd_);
    ::unlink(path_.c_str());
  }
  bool bound() const { return bound_; }
  // The next datagram, or "" after `timeout`.
  std::string Receive(std::chrono::milliseconds timeout) {
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(timeout.count())) != 1) return "";
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
};

TEST(NotifyTest, ReadyIsSentAfterTheNodeIsReadyAndStoppingWhenItStops) {
  TempDir dir;
  const std::string db = dir.Sub("app.db");
  {
    sqlite::OpenOptions options;
    options.create = true;
    auto opened = sqlite::Database::Open(db, options);
    ASSERT_TRUE(opened.ok());
    ASSERT_TRUE(opened->Exec("CREATE TABLE t(id INTEGER PRIMARY KEY)").ok());
  }
  const std::string config = dir.Sub("n.toml");
  std::ofstream(config) << "db_path = \"" << db << "\"\nnode_id = 5\n[nats]\nbind_address = "
                        << "\"127.0.0.1:" << FreePort() << "\"\n";
  NotifySocket socket(dir.Sub("notify.sock"));
  ASSERT_TRUE(socket.bound());
  // The child inherits the environment; no other test in this binary starts harmony meanwhile.
  ::setenv("NOTIFY_SOCKET", dir.Sub("notify.sock").c_str(), 1);
  HarmonyProcess node({"-config", config}, dir.Sub("n.log"));
  const bool started = node.Start();
  ::unsetenv("NOTIFY_SOCKET");
  ASSERT_TRUE(started);

  const std::string ready = socket.Receive(std::chrono::seconds(30));
  // Sent only once the node said so in its log, i.e. after start-up completed.
  EXPECT_NE(node.LogSinceStart().find("node 5 ready"), std::string::npos)
      << "READY came before the node was ready:\n"
      << node.LogSinceStart();
  EXPECT_NE(ready.find("READY=1"), std::string::npos) << "got '" << ready << "'\n" << node.Log();
  EXPECT_NE(ready.find("STATUS=node 5 ready"), std::string::npos) << ready;

  EXPECT_EQ(node.Stop(), 0) << node.Log();
  const std::string stopping = socket.Receive(std::chrono::seconds(5));
  EXPECT_NE(stopping.find("STOPPING=1"), std::string::npos) << "got '" << stopping << "'";
}

TEST(NotifyTest, WithoutNotifySocketNothingIsSentAndTheNodeRuns) {
  TempDir dir;
  const std::string db = dir.Sub("app.db");
  std::ofstream(db).close();
  const std::string config = dir.Sub("n.toml");
  std::ofstream(config) << "db_path = \"" << db << "\"\nnode_id = 6\n[nats]\nbind_address = "
                        << "\"127.0.0.1:" << FreePort() << "\"\n";
  ASSERT_EQ(::getenv("NOTIFY_SOCKET"), nullptr);
  HarmonyProcess node({"-config", config}, dir.Sub("n.log"));
  ASSERT_TRUE(node.Start());
  ASSERT_TRUE(node.WaitForLog("node 6 ready", seconds(30))) << node.Log();
  EXPECT_EQ(node.Stop(), 0) << node.Log();
}

}  // namespace
}  // namespace harmony::test
