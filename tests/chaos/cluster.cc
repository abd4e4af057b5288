#include "tests/chaos/cluster.h"

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "nats/connection.h"
#include "nats/jetstream.h"
#include "sqlite/database.h"
#include "tests/chaos/writer.h"
#include "tests/support/free_port.h"

namespace harmony::chaos {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

}  // namespace

Result<std::unique_ptr<ChaosCluster>> ChaosCluster::Create(ClusterOptions options) {
  std::unique_ptr<ChaosCluster> c(new ChaosCluster(std::move(options)));
  const ClusterOptions& o = c->options_;
  const std::vector<int> ports = test::FreePorts(2 * o.brokers);
  std::string routes;
  for (int b = 0; b < o.brokers; ++b) {
    Broker broker;
    broker.port = ports[2 * b];
    broker.cluster_port = ports[2 * b + 1];
    routes +=
        (b > 0 ? "," : "") + std::string("nats://127.0.0.1:") + std::to_string(broker.cluster_port);
    c->brokers_.push_back(std::move(broker));
  }
  for (int b = 0; b < o.brokers; ++b) {
    Broker& broker = c->brokers_[b];
    const std::string name = "chaos-" + std::to_string(b + 1);
    std::vector<std::string> args = {
        "-js", "-a", "127.0.0.1", "-p", std::to_string(broker.port), "-sd", o.dir + "/" + name,
        "-n",  name};
    if (o.brokers > 1) {
      args.insert(args.end(),
                  {"--cluster", "nats://127.0.0.1:" + std::to_string(broker.cluster_port),
                   "--cluster_name", "chaos", "--routes", routes});
    }
    broker.process =
        std::make_unique<Process>(o.nats_binary, std::move(args), o.dir + "/" + name + ".log");
  }
  // A cluster elects its JetStream meta leader only once a quorum runs: start them all first.
  // Now and then (about 1 in 50 starts on a loaded 2-core machine) a server's routes flap at
  // start-up and it learns of no leader within its wait: that is the broker's set-up, not the
  // fault under test, so the whole set is started again once.
  Status started;
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::vector<size_t> from;
    for (int b = 0; b < o.brokers; ++b) {
      from.push_back(c->brokers_[b].process->LogSize());
      if (!c->brokers_[b].process->Start()) return Status::Internal("cannot start nats-server");
    }
    started = Status::Ok();
    for (int b = 0; b < o.brokers && started.ok(); ++b) started = c->WaitForBroker(b, from[b]);
    if (started.ok()) break;
    for (Broker& broker : c->brokers_) broker.process->Terminate(seconds(5));
  }
  HARMONY_RETURN_IF_ERROR(started);

  std::string urls;
  for (int b = 0; b < o.brokers; ++b) urls += (b > 0 ? ", " : "") + Quoted(c->BrokerUrl(b));
  for (int i = 0; i < kNodes; ++i) {
    // Each node in a directory of its own, as on separate machines (harmony watches the
    // database's directory).
    Node n;
    n.dir = o.dir + "/node" + std::to_string(i + 1);
    fs::create_directories(n.dir);
    n.db_path = n.dir + "/app.db";
    n.config_path = n.dir + "/harmony.toml";
    n.log_path = n.dir + "/harmony.log";
    sqlite::OpenOptions open;
    open.create = true;
    HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, sqlite::Database::Open(n.db_path, open));
    HARMONY_RETURN_IF_ERROR(db.Exec(ChaosSchema()));
    std::ofstream config(n.config_path);
    config << "db_path = " << Quoted(n.db_path) << "\n"
           << "node_id = " << (i + 1) << "\n"
           << "cleanup_interval = 1000\n"
           << "[replication_log]\nshards = " << o.shards << "\nmax_entries = " << o.max_entries
           << "\nreplicas = " << o.replicas << "\n"
           << "[nats]\nurls = [" << urls << "]\nconnect_retries = 30\n"
           << "reconnect_wait_seconds = 1\n"
           << "[snapshot]\nenabled = true\n[snapshot.nats]\nreplicas = " << o.replicas << "\n";
    if (!config) return Status::IoError("cannot write " + n.config_path);
    n.harmony = std::make_unique<Process>(
        o.harmony_binary, std::vector<std::string>{"-config", n.config_path}, n.log_path);
    c->nodes_.push_back(std::move(n));
  }
  return c;
}

ChaosCluster::~ChaosCluster() {
  // Writers first, then the sidecars, then the brokers: nobody loses its broker while stopping.
  for (Writer& w : writers_) w.process->Kill();
  for (Node& n : nodes_) n.harmony->Terminate(seconds(10));
  for (Broker& b : brokers_) b.process->Terminate(seconds(5));
}

std::string ChaosCluster::BrokerUrl(int b) const {
  return "nats://127.0.0.1:" + std::to_string(brokers_[b].port);
}

Status ChaosCluster::StartBroker(int b) {
  Process& p = *brokers_[b].process;
  const size_t from = p.Running() ? 0 : p.LogSize();
  if (!p.Start()) return Status::Internal("cannot start nats-server " + std::to_string(b + 1));
  return WaitForBroker(b, from);
}

Status ChaosCluster::WaitForBroker(int b, size_t from) {
  Process& p = *brokers_[b].process;
  if (!p.WaitForLog("Server is ready", seconds(20), from)) {
    return Status::Unavailable("nats-server " + std::to_string(b + 1) + " not ready; log " +
                               p.log_path());
  }
  if (brokers_.size() > 1 && !p.WaitForLog("metadata leader", seconds(30), from)) {
    return Status::Unavailable("nats-server " + std::to_string(b + 1) +
                               " sees no JetStream meta leader; log " + p.log_path());
  }
  return Status::Ok();
}

Status ChaosCluster::StartNode(int i, std::chrono::seconds timeout) {
  Process& p = *nodes_[i].harmony;
  const size_t from = p.LogSize();
  if (!p.Start()) return Status::Internal("cannot start harmony on node " + std::to_string(i + 1));
  if (!p.WaitForLog("node " + std::to_string(i + 1) + " ready", timeout, from)) {
    return Status::Unavailable(
        "node " + std::to_string(i + 1) + " did not become ready within " +
        std::to_string(timeout.count()) + " s" +
        (p.Running() ? "" : " (exited " + std::to_string(p.last_status()) + ")") + "; log " +
        p.log_path());
  }
  return Status::Ok();
}

int ChaosCluster::StartWriter(int i, const WriterKind& kind) {
  const int generation = generation_++;
  Writer w;
  w.node = i;
  w.journal = nodes_[i].dir + "/writer" + std::to_string(generation) + ".journal";
  std::vector<std::string> args = {"writer",
                                   "--db",
                                   nodes_[i].db_path,
                                   "--journal",
                                   w.journal,
                                   "--node",
                                   std::to_string(i + 1),
                                   "--generation",
                                   std::to_string(generation),
                                   "--seed",
                                   std::to_string(options_.seed * 1000 + generation),
                                   "--hold-ms",
                                   std::to_string(kind.hold_ms),
                                   "--min-pause-ms",
                                   std::to_string(kind.min_pause_ms),
                                   "--max-pause-ms",
                                   std::to_string(kind.max_pause_ms)};
  if (kind.lock_holder) args.push_back("--lock-holder");
  w.process =
      std::make_unique<Process>(options_.self_binary, std::move(args),
                                nodes_[i].dir + "/writer" + std::to_string(generation) + ".log");
  w.process->Start();
  writers_.push_back(std::move(w));
  return static_cast<int>(writers_.size()) - 1;
}

std::string ChaosCluster::LastJournalLine(int w) const {
  // Only the tail: the driver polls this every millisecond while waiting to kill the app.
  std::ifstream in(writers_[w].journal, std::ios::binary | std::ios::ate);
  const std::streamoff size = in ? static_cast<std::streamoff>(in.tellg()) : 0;
  const std::streamoff from = std::max<std::streamoff>(0, size - 512);
  std::string text(static_cast<size_t>(size - from), '\0');
  in.seekg(from);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  while (!text.empty() && text.back() == '\n') text.pop_back();
  const size_t start = text.rfind('\n');
  return start == std::string::npos ? text : text.substr(start + 1);
}

Status ChaosCluster::PauseWriter(int w) {
  writers_[w].process->Signal(SIGUSR1);
  const auto deadline = std::chrono::steady_clock::now() + seconds(30);
  while (LastJournalLine(w) != "paused") {
    if (!writers_[w].process->Running() || std::chrono::steady_clock::now() > deadline) {
      return Status::Unavailable("writer " + std::to_string(w) + " did not pause; journal " +
                                 writers_[w].journal);
    }
    std::this_thread::sleep_for(milliseconds(5));
  }
  return Status::Ok();
}

void ChaosCluster::ResumeWriter(int w) { writers_[w].process->Signal(SIGUSR2); }

Status ChaosCluster::StopWriters() {
  std::vector<bool> asked(writers_.size(), false);
  for (size_t k = 0; k < writers_.size(); ++k) {
    Process& p = *writers_[k].process;
    if (p.Running()) {
      p.ExpectExit();
      p.Signal(SIGTERM);
      asked[k] = true;
    }
  }
  std::string failed;
  for (size_t k = 0; k < writers_.size(); ++k) {
    Process& p = *writers_[k].process;
    // Those not asked now ended earlier: killed on purpose, or on their own (a failure).
    const int code = asked[k] ? p.Terminate(seconds(30)) : 0;
    const int status = asked[k] && code == -1 ? p.last_status() : code;
    if (status != 0 || p.unexpected_exits() > 0) {
      failed += " writer " + std::to_string(k) + " on node " +
                std::to_string(writers_[k].node + 1) + " exited " +
                std::to_string(p.last_status()) + " (log " + p.log_path() + ")";
    }
  }
  if (!failed.empty()) return Status::Internal("writers failed:" + failed);
  return Status::Ok();
}

Result<std::vector<ChaosCluster::StreamState>> ChaosCluster::Streams() {
  nats::ConnectionOptions options;
  for (int b = 0; b < brokers(); ++b) {
    if (brokers_[b].process->Running()) options.urls.push_back(BrokerUrl(b));
  }
  options.name = "harmony-chaos";
  options.connect_retries = 2;
  options.reconnect_wait_seconds = 1;
  HARMONY_ASSIGN_OR_RETURN(auto conn, nats::Connection::Connect(options));
  HARMONY_ASSIGN_OR_RETURN(auto js, nats::JetStream::Create(conn));
  std::vector<StreamState> streams;
  for (int shard = 1; shard <= options_.shards; ++shard) {
    HARMONY_ASSIGN_OR_RETURN(
        nats::StreamInfo info,
        js->GetStreamInfo("harmony-changes-" + std::to_string(shard), milliseconds(5000)));
    streams.push_back({info.first_seq, info.last_seq});
  }
  return streams;
}

std::string ChaosCluster::UnexpectedExits() {
  std::string out;
  for (int b = 0; b < brokers(); ++b) {
    Process& p = *brokers_[b].process;
    p.Running();
    if (p.unexpected_exits() > 0) {
      out += "nats-server " + std::to_string(b + 1) + " exited " + std::to_string(p.last_status()) +
             "; ";
    }
  }
  for (int i = 0; i < kNodes; ++i) {
    Process& p = *nodes_[i].harmony;
    p.Running();
    if (p.unexpected_exits() > 0) {
      out += "harmony on node " + std::to_string(i + 1) + " exited " +
             std::to_string(p.last_status()) + "; ";
    }
  }
  return out;
}

std::string ChaosCluster::StopNodes() {
  std::string out;
  for (int i = 0; i < kNodes; ++i) {
    Process& p = *nodes_[i].harmony;
    if (!p.Running()) continue;
    const int code = p.Terminate(seconds(30));
    if (code != 0) {
      out += "harmony on node " + std::to_string(i + 1) + " exited " + std::to_string(code) +
             " on SIGTERM; ";
    }
  }
  return out;
}

}  // namespace harmony::chaos
