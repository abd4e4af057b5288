// bench_cluster: a real nats-server and real harmony processes on loopback for the benchmark,
// each node with its own SQLite file in a scratch directory.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "nats_server/embedded_server.h"
#include "tests/support/harmony_process.h"

namespace harmony::bench {

struct ClusterOptions {
  std::string harmony_binary;
  std::string nats_binary = "nats-server";
  std::string dir;  // scratch directory (must exist)
  int nodes = 3;
  int shards = 1;
  // Messages each shard stream keeps. The catch-up scenario needs every message since the peer
  // stopped, so the benchmark raises it far above the default.
  int64_t max_entries = 10'000'000;
  std::string extra_config;  // appended to every node's top-level config
};

class BenchCluster {
 public:
  // Starts nats-server and creates every node's database with `schema`; nodes are not started.
  static Result<std::unique_ptr<BenchCluster>> Create(ClusterOptions options,
                                                      const std::string& schema);
  ~BenchCluster();

  // Starts node i (0-based) and waits for "ready" in its log.
  Status StartNode(int i);
  Status StartAll();
  // SIGTERM; an error if it does not exit cleanly.
  Status StopNode(int i);

  const std::string& db_path(int i) const { return nodes_[i].db_path; }
  const std::string& config_path(int i) const { return nodes_[i].config_path; }
  pid_t pid(int i) const { return nodes_[i].process ? nodes_[i].process->pid() : 0; }
  pid_t nats_pid() const { return nats_->pid(); }
  int nodes() const { return static_cast<int>(nodes_.size()); }

 private:
  struct Node {
    std::string db_path, config_path, log_path;
    std::unique_ptr<test::HarmonyProcess> process;
  };
  BenchCluster(ClusterOptions options, std::unique_ptr<nats_server::EmbeddedServer> nats)
      : options_(std::move(options)), nats_(std::move(nats)) {}

  ClusterOptions options_;
  std::unique_ptr<nats_server::EmbeddedServer> nats_;
  std::vector<Node> nodes_;
};

// Resident set size of a process in MiB from /proc/<pid>/status: "VmRSS" (now) or "VmHWM"
// (peak). 0 if the process is gone.
double RssMiB(pid_t pid, const std::string& field = "VmRSS");

// User + system CPU seconds a process has used so far (0 if gone).
double CpuSeconds(pid_t pid);

}  // namespace harmony::bench
