// cluster: one chaos run's processes on 127.0.0.1 free ports in one directory: one nats-server
// (or a 3-server NATS cluster), three harmony sidecars each beside its own SQLite file, and the
// writer "apps" (this binary re-executed in writer mode). Everything the run leaves behind
// (logs, journals, databases) is under dir. Not thread-safe: the driver's one thread owns it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/status.h"
#include "tests/chaos/process.h"

namespace harmony::chaos {

struct ClusterOptions {
  std::string harmony_binary;
  std::string nats_binary;
  std::string self_binary;  // this driver, re-executed as `writer`
  std::string dir;          // the run's directory (must exist)
  int brokers = 1;          // 1, or 3 for a NATS cluster
  int shards = 1;
  int replicas = 1;  // [replication_log] and [snapshot.nats] replicas
  int64_t max_entries = 1'000'000;
  uint64_t seed = 1;
};

// How a writer behaves (see writer.h).
struct WriterKind {
  bool lock_holder = false;
  int hold_ms = 0;
  int min_pause_ms = 5;
  int max_pause_ms = 30;
};

class ChaosCluster {
 public:
  static constexpr int kNodes = 3;

  // Starts the broker(s) and creates each node's database (the chaos schema) and config. No
  // harmony process runs yet.
  static Result<std::unique_ptr<ChaosCluster>> Create(ClusterOptions options);
  ~ChaosCluster();

  // Starts broker b and waits until it accepts clients (for a cluster, until JetStream has a
  // meta leader).
  Status StartBroker(int b);
  // Waits until broker b, started when its log was `from` bytes long, is ready (and, in a
  // cluster, knows its JetStream meta leader).
  Status WaitForBroker(int b, size_t from);
  Process& broker(int b) { return *brokers_[b].process; }
  int brokers() const { return static_cast<int>(brokers_.size()); }
  std::string BrokerUrl(int b) const;

  // Starts harmony on node i and waits for "ready" (restores included) up to `timeout`.
  Status StartNode(int i, std::chrono::seconds timeout = std::chrono::seconds(60));
  Process& node(int i) { return *nodes_[i].harmony; }
  const std::string& db_path(int i) const { return nodes_[i].db_path; }

  // Starts a writer app on node i (a new generation, ids never reused); returns its index.
  int StartWriter(int i, const WriterKind& kind);
  Process& writer(int w) { return *writers_[w].process; }
  int writer_node(int w) const { return writers_[w].node; }
  const std::string& journal(int w) const { return writers_[w].journal; }
  int writers() const { return static_cast<int>(writers_.size()); }
  // The last line of writer w's journal ("" if none).
  std::string LastJournalLine(int w) const;
  // SIGUSR1 and wait until the writer has logged `paused` (between transactions).
  Status PauseWriter(int w);
  void ResumeWriter(int w);
  // SIGTERM every writer still running; an error names those that did not exit with 0.
  Status StopWriters();

  // The last sequence of every shard stream, and the first one it still holds (0 on error).
  struct StreamState {
    uint64_t first_seq = 0;
    uint64_t last_seq = 0;
  };
  Result<std::vector<StreamState>> Streams();

  // Every process that ended on its own (crashed or exited) since it was started: "" if none.
  std::string UnexpectedExits();
  // SIGTERM every harmony; names those that did not exit with 0.
  std::string StopNodes();

  const ClusterOptions& options() const { return options_; }

 private:
  struct Broker {
    int port = 0;
    int cluster_port = 0;
    std::unique_ptr<Process> process;
  };
  struct Node {
    std::string dir, db_path, config_path, log_path;
    std::unique_ptr<Process> harmony;
  };
  struct Writer {
    int node = 0;
    std::string journal;
    std::unique_ptr<Process> process;
  };
  explicit ChaosCluster(ClusterOptions options) : options_(std::move(options)) {}

  ClusterOptions options_;
  std::vector<Broker> brokers_;
  std::vector<Node> nodes_;
  std::vector<Writer> writers_;  // last: stopped first
  int generation_ = 0;
};

}  // namespace harmony::chaos
