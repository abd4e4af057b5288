#include "bench/cluster/bench_cluster.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "bench/cluster/workload.h"
#include "tests/support/free_port.h"

namespace harmony::bench {

Result<std::unique_ptr<BenchCluster>> BenchCluster::Create(ClusterOptions options,
                                                           const std::string& schema) {
  nats_server::EmbeddedServerOptions nats_options;
  nats_options.binary = options.nats_binary;
  nats_options.port = test::FreePort();
  nats_options.store_dir = options.dir + "/nats";
  nats_options.server_name = "bench";
  HARMONY_ASSIGN_OR_RETURN(std::unique_ptr<nats_server::EmbeddedServer> nats,
                           nats_server::EmbeddedServer::Start(nats_options));
  const std::string url = nats->ClientUrl();
  std::unique_ptr<BenchCluster> cluster(new BenchCluster(std::move(options), std::move(nats)));
  const ClusterOptions& o = cluster->options_;
  for (int i = 0; i < o.nodes; ++i) {
    // Each node in a directory of its own, as on separate machines (harmony watches the
    // database's directory for writes).
    const std::string dir = o.dir + "/node" + std::to_string(i + 1);
    std::filesystem::create_directories(dir);
    Node node{dir + "/app.db", dir + "/harmony.toml", dir + "/harmony.log", nullptr};
    HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, OpenAppConnection(node.db_path, true));
    HARMONY_RETURN_IF_ERROR(db.Exec(schema));
    std::ofstream config(node.config_path);
    config << "db_path = \"" << node.db_path << "\"\n"
           << "node_id = " << (i + 1) << "\n"
           << o.extra_config << "\n"
           << "[replication_log]\nshards = " << o.shards << "\nmax_entries = " << o.max_entries
           << "\n"
           << "[nats]\nurls = [\"" << url << "\"]\n";
    if (!config) return Status::IoError("cannot write " + node.config_path);
    cluster->nodes_.push_back(std::move(node));
  }
  return cluster;
}

BenchCluster::~BenchCluster() {
  for (int i = 0; i < nodes(); ++i) (void)StopNode(i);
}

Status BenchCluster::StartNode(int i) {
  Node& n = nodes_[i];
  n.process = std::make_unique<test::HarmonyProcess>(
      std::vector<std::string>{"-config", n.config_path}, n.log_path, options_.harmony_binary);
  if (!n.process->Start()) return Status::Internal("cannot start " + options_.harmony_binary);
  if (!n.process->WaitForLog("ready", std::chrono::seconds(60))) {
    return Status::Unavailable("node " + std::to_string(i + 1) + " did not become ready; log " +
                               n.log_path);
  }
  return Status::Ok();
}

Status BenchCluster::StartAll() {
  for (int i = 0; i < nodes(); ++i) HARMONY_RETURN_IF_ERROR(StartNode(i));
  return Status::Ok();
}

Status BenchCluster::StopNode(int i) {
  Node& n = nodes_[i];
  if (!n.process || !n.process->running()) return Status::Ok();
  const int code = n.process->Stop();
  n.process.reset();
  if (code != 0) {
    return Status::Internal("node " + std::to_string(i + 1) + " exited with " +
                            std::to_string(code) + "; log " + n.log_path);
  }
  return Status::Ok();
}

double RssMiB(pid_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      std::istringstream in(line.substr(field.size() + 1));
      double kib = 0;
      in >> kib;
      return kib / 1024.0;
    }
  }
  return 0;
}

double CpuSeconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const size_t close = content.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream in(content.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int k = 3; k <= 15 && in >> field; ++k) {
    if (k == 14) utime = std::stoull(field);
    if (k == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / sysconf(_SC_CLK_TCK);
}

}  // namespace harmony::bench
