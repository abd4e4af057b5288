#include "tests/e2e/security_fixture.h"

#include <dirent.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sqlite/database.h"
#include "tests/e2e/cluster_fixture.h"

namespace harmony::test {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool RunQuiet(const std::string& command, const std::string& dir) {
  const std::string line = "cd '" + dir + "' && " + command + " >>openssl.log 2>&1";
  if (std::system(line.c_str()) == 0) return true;
  ADD_FAILURE() << "failed: " << command << "\n" << ReadAll(dir + "/openssl.log");
  return false;
}

}  // namespace

bool MakeTestPki(const std::string& dir, TestPki* pki) {
  fs::create_directories(dir);
  const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  std::ofstream(dir + "/server.ext") << "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                     << "extendedKeyUsage=serverAuth,clientAuth\n";  // routes too
  std::ofstream(dir + "/client.ext") << "extendedKeyUsage=clientAuth\n";
  const bool ok =
      RunQuiet("openssl req -x509 " + key +
                   " -keyout ca.key -out ca.pem -days 2 -subj /CN=harmony-test-ca",
               dir) &&
      RunQuiet("openssl req " + key + " -keyout server.key -out server.csr -subj /CN=localhost",
               dir) &&
      RunQuiet(
          "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
          "-out server.pem -days 2 -extfile server.ext",
          dir) &&
      RunQuiet("openssl req " + key + " -keyout client.key -out client.csr -subj /CN=harmony",
               dir) &&
      RunQuiet(
          "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
          "-out client.pem -days 2 -extfile client.ext",
          dir);
  *pki = {dir + "/ca.pem", dir + "/server.pem", dir + "/server.key", dir + "/client.pem",
          dir + "/client.key"};
  return ok;
}

std::string SecurityTest::Secret(std::string value) {
  secrets_.push_back(value);
  return value;
}

void SecurityTest::StartServer(const std::string& conf) {
  fs::create_directories(dir_.Sub("server"));
  const std::string conf_path = dir_.Sub("server/nats.conf");
  std::ofstream(conf_path) << conf;
  nats_server::EmbeddedServerOptions options = TestServerOptions();
  options.store_dir = dir_.Sub("server/store");
  options.config_file = conf_path;
  auto server = NatsServerProcess::Start(options);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  server_ = std::move(server).value();
}

std::string SecurityTest::WriteConfig(int i, const std::string& nats) {
  fs::create_directories(NodeDir(i));
  fs::create_directories(dir_.Sub("conf"));
  if (!fs::exists(DbPath(i))) {
    sqlite::OpenOptions options;
    options.create = true;
    auto db = sqlite::Database::Open(DbPath(i), options);
    EXPECT_TRUE(db.ok() && db->Exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)").ok());
  }
  const std::string path = dir_.Sub("conf/node" + std::to_string(i) + ".toml");
  std::ofstream(path) << "db_path = \"" << DbPath(i) << "\"\nnode_id = " << i
                      << "\n[nats]\nconnect_retries = 0\n"
                      << nats << "\n[logging]\nverbose = true\n";
  return path;
}

void SecurityTest::StartNode(int i, const std::string& nats, std::vector<std::string> extra_args) {
  LaunchNode(i, nats, std::move(extra_args));
  AwaitReady(i);
}

void SecurityTest::LaunchNode(int i, const std::string& nats, std::vector<std::string> extra_args) {
  std::vector<std::string> args = {"-config", WriteConfig(i, nats)};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  if (nodes_.size() <= static_cast<size_t>(i)) nodes_.resize(i + 1);
  nodes_[i] = std::make_unique<HarmonyProcess>(args, NodeDir(i) + "/harmony.log");
  ASSERT_TRUE(nodes_[i]->Start());
}

void SecurityTest::AwaitReady(int i) {
  ASSERT_TRUE(
      nodes_[i]->WaitForLog("node " + std::to_string(i) + " ready", std::chrono::seconds(60)))
      << nodes_[i]->Log();
}

std::string SecurityTest::FailingStart(int i, const std::string& nats) {
  std::string output;
  const int code = RunHarmony({"-config", WriteConfig(i, nats)}, NodeDir(i) + "/failed.log",
                              &output, std::chrono::seconds(30));
  EXPECT_EQ(code, 1) << output;
  // The reason is the last line, and the only one starting "harmony: ".
  std::istringstream lines(output);
  std::string line, reason;
  int reasons = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("harmony: ", 0) == 0) {
      reason = line;
      ++reasons;
    }
  }
  EXPECT_EQ(reasons, 1) << output;
  return reason;
}

void SecurityTest::ExpectReplicates(int from, int to, const std::string& value) {
  {
    sqlite::OpenOptions options;
    auto db = sqlite::Database::Open(DbPath(from), options);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("INSERT INTO t(v) VALUES('" + value + "')").ok());
  }
  EXPECT_TRUE(Eventually([&] {
    return QueryText(DbPath(to), "SELECT count(*) FROM t WHERE v = '" + value + "'") == "1";
  })) << nodes_[to]->Log();
}

void SecurityTest::TearDown() {
  for (auto& node : nodes_) {
    if (node && node->running()) {
      EXPECT_EQ(node->Stop(), 0) << node->Log();
    }
  }
  nodes_.clear();
  // Every file harmony wrote: databases, logs, the embedded broker's store and its config.
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir_.path())) {
    if (entry.path().filename().string().rfind("node", 0) != 0) continue;
    for (const auto& file : fs::recursive_directory_iterator(entry.path())) {
      if (!file.is_regular_file()) continue;
      ++files;
      const std::string text = ReadAll(file.path().string());
      for (const std::string& secret : secrets_) {
        EXPECT_EQ(text.find(secret), std::string::npos)
            << "secret '" << secret << "' found in " << file.path();
      }
    }
  }
  if (!secrets_.empty()) {
    EXPECT_GT(files, 0);
  }
  // No process shows a secret on its command line (ps): the embedded nats-server included.
  for (const auto& proc : fs::directory_iterator("/proc")) {
    const std::string cmdline = ReadAll(proc.path().string() + "/cmdline");
    for (const std::string& secret : secrets_) {
      EXPECT_EQ(cmdline.find(secret), std::string::npos) << "secret in " << proc.path();
    }
  }
}

}  // namespace harmony::test
