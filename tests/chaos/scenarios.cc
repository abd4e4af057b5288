#include "tests/chaos/scenarios.h"

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <thread>

#include "tests/chaos/checks.h"
#include "tests/chaos/cluster.h"

namespace harmony::chaos {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kWarmup{3000};     // writers run this long before the fault
constexpr milliseconds kAfterHeal{2000};  // and this long after it is healed

void Sleep(milliseconds d) { std::this_thread::sleep_for(d); }

std::string Seconds(milliseconds d) {
  std::ostringstream s;
  s.precision(1);
  s << std::fixed << d.count() / 1000.0 << " s";
  return s.str();
}

// What a fault function works with.
struct Fault {
  ChaosCluster& cluster;
  std::mt19937_64& rng;
  std::vector<int>& writer_of_node;  // index of each node's current writer
  int node;                          // the node the fault is aimed at (0-based), seeded
  std::string description;           // filled by the fault: what it did
  std::string problems;              // filled by the fault: checks that failed on the way

  milliseconds Between(int lo_ms, int hi_ms) {
    return milliseconds(lo_ms + static_cast<int>(rng() % (hi_ms - lo_ms + 1)));
  }
};

// The writer each node starts with.
WriterKind NormalWriter() { return {}; }

struct ScenarioDef {
  ScenarioInfo info;
  int brokers = 1;
  int replicas = 1;
  int64_t max_entries = 1'000'000;
  // The writer started on `node` (the fault's target is `target`).
  std::function<WriterKind(int node, int target)> writer = [](int, int) { return NormalWriter(); };
  std::function<Status(Fault&)> inject;  // injects the fault and heals it
};

Status KillSidecar(Fault& f) {
  const milliseconds down = f.Between(2000, 6000);
  f.cluster.node(f.node).Kill();
  Sleep(down);
  f.description =
      "kill -9 harmony on node " + std::to_string(f.node + 1) + ", down " + Seconds(down);
  return f.cluster.StartNode(f.node);
}

Status StopSidecar(Fault& f) {
  const milliseconds stopped = f.Between(3000, 8000);
  f.cluster.node(f.node).Signal(SIGSTOP);
  Sleep(stopped);
  f.cluster.node(f.node).Signal(SIGCONT);
  f.description =
      "SIGSTOP harmony on node " + std::to_string(f.node + 1) + " for " + Seconds(stopped);
  return Status::Ok();
}

Status KillBroker(Fault& f) {
  const int b = static_cast<int>(f.rng() % f.cluster.brokers());
  const milliseconds down = f.Between(2000, 6000);
  f.cluster.broker(b).Kill();
  Sleep(down);
  f.description = "kill -9 nats-server " + std::to_string(b + 1) + " of " +
                  std::to_string(f.cluster.brokers()) + ", down " + Seconds(down);
  return f.cluster.StartBroker(b);
}

Status KillApp(Fault& f) {
  constexpr int kKills = 2;
  std::string killed;
  for (int k = 0; k < kKills; ++k) {
    const int w = f.writer_of_node[f.node];
    // Kill only inside a transaction whose statements ran and whose COMMIT has not started:
    // the writer holds it open hold_ms, far longer than this loop takes to react.
    const auto deadline = Clock::now() + seconds(20);
    std::string line;
    while ((line = f.cluster.LastJournalLine(w)).rfind("begin ", 0) != 0) {
      if (Clock::now() > deadline) {
        return Status::Unavailable("writer on node " + std::to_string(f.node + 1) +
                                   " never seen inside a transaction; journal " +
                                   f.cluster.journal(w));
      }
      Sleep(milliseconds(1));
    }
    f.cluster.writer(w).Kill();
    if (f.cluster.LastJournalLine(w) != line) {
      return Status::Internal("writer went on past '" + line + "' before the kill landed");
    }
    killed += (killed.empty() ? "" : ", ") + line.substr(6, line.find(' ', 6) - 6);
    Sleep(f.Between(300, 1500));
    f.writer_of_node[f.node] = f.cluster.StartWriter(f.node, {.hold_ms = 150});
  }
  f.description = "kill -9 the app on node " + std::to_string(f.node + 1) + " " +
                  std::to_string(kKills) + " times inside a transaction (" + killed + ")";
  return Status::Ok();
}

Status RestartAll(Fault& f) {
  const milliseconds down = f.Between(1000, 4000);
  for (int i = 0; i < ChaosCluster::kNodes; ++i) {
    const int code = f.cluster.node(i).Terminate(seconds(30));
    if (code != 0) {
      f.problems += "harmony on node " + std::to_string(i + 1) + " exited " + std::to_string(code) +
                    " on SIGTERM; ";
    }
  }
  Sleep(down);
  for (int i = 0; i < ChaosCluster::kNodes; ++i) HARMONY_RETURN_IF_ERROR(f.cluster.StartNode(i));
  f.description = "SIGTERM all three sidecars, all down " + Seconds(down) + ", start all";
  return Status::Ok();
}

Status DownPastRetention(Fault& f) {
  HARMONY_ASSIGN_OR_RETURN(std::vector<ChaosCluster::StreamState> before, f.cluster.Streams());
  const bool kill = f.rng() % 2 == 0;
  const auto down_at = Clock::now();
  if (kill) {
    f.cluster.node(f.node).Kill();
  } else if (const int code = f.cluster.node(f.node).Terminate(seconds(30)); code != 0) {
    f.problems += "harmony on node " + std::to_string(f.node + 1) + " exited " +
                  std::to_string(code) + " on SIGTERM; ";
  }
  // Down until every shard stream has dropped messages the node never applied.
  const auto deadline = Clock::now() + seconds(120);
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(std::vector<ChaosCluster::StreamState> now, f.cluster.Streams());
    bool past = true;
    for (size_t s = 0; s < now.size(); ++s)
      past = past && now[s].first_seq > before[s].last_seq + 1;
    if (past) break;
    if (Clock::now() > deadline) {
      return Status::Unavailable(
          "the streams did not drop the node's unapplied messages within "
          "120 s (writers too slow?)");
    }
    Sleep(milliseconds(250));
  }
  Sleep(f.Between(1000, 3000));
  const auto down = std::chrono::duration_cast<milliseconds>(Clock::now() - down_at);
  // The documented limit (docs/operations.md, "Recovering a node"): writes made *during* the
  // restore are overwritten, so the app on the recovering node pauses while it restarts.
  const int w = f.writer_of_node[f.node];
  HARMONY_RETURN_IF_ERROR(f.cluster.PauseWriter(w));
  const size_t from = f.cluster.node(f.node).LogSize();
  Status started = f.cluster.StartNode(f.node, seconds(150));
  f.cluster.ResumeWriter(w);
  HARMONY_RETURN_IF_ERROR(started);
  const std::string log = ReadFile(f.cluster.node(f.node).log_path());
  const bool restored = log.find("restored snapshot", from) != std::string::npos;
  f.description = std::string(kill ? "kill -9" : "SIGTERM") + " harmony on node " +
                  std::to_string(f.node + 1) + ", down " + Seconds(down) +
                  " (past retention), restart with its app paused" +
                  (restored ? ", restored a snapshot" : "");
  if (!restored) f.problems += "node did not restore a snapshot (the scenario missed its point); ";
  return Status::Ok();
}

Status HoldWriteLock(Fault& f) {
  // Long enough for one of the holds past harmony's busy timeout (writer.h).
  const milliseconds held = f.Between(20000, 24000);
  const int w = f.cluster.StartWriter(f.node, {.lock_holder = true});
  Sleep(held);
  Process& p = f.cluster.writer(w);
  const int code = p.Terminate(seconds(30));
  if (code != 0) f.problems += "lock-holding app exited " + std::to_string(code) + "; ";
  f.description = "an app on node " + std::to_string(f.node + 1) +
                  " holding the write lock alternately 1.5-3.5 s and 10.5-12.5 s per transaction "
                  "for " +
                  Seconds(held);
  return Status::Ok();
}

const std::vector<ScenarioDef>& Definitions() {
  static const auto* defs = new std::vector<ScenarioDef>{
      {.info = {"kill-sidecar", "kill -9 of one harmony sidecar, restarted 2-6 s later"},
       .inject = KillSidecar},
      {.info = {"stop-sidecar", "SIGSTOP of one harmony sidecar for 3-8 s, then SIGCONT"},
       .inject = StopSidecar},
      {.info = {"kill-broker", "kill -9 of the only nats-server, restarted 2-6 s later"},
       .inject = KillBroker},
      {.info = {"kill-cluster-server",
                "kill -9 of one server of a 3-server NATS cluster (replicas = 3), restarted "
                "3-8 s later"},
       .brokers = 3,
       .replicas = 3,
       .inject = KillBroker},
      {.info = {"kill-app",
                "kill -9 of one node's app inside an open transaction (twice), app restarted"},
       .writer =
           [](int node, int target) {
             return node == target ? WriterKind{.hold_ms = 150} : NormalWriter();
           },
       .inject = KillApp},
      {.info = {"restart-all", "SIGTERM of all three sidecars, all started again 1-4 s later"},
       .inject = RestartAll},
      {.info = {"down-past-retention",
                "one sidecar down (kill -9 or SIGTERM) until the streams (max_entries = 300) "
                "dropped what it missed; it restarts from a snapshot while the others write"},
       .max_entries = 300,
       // Fast: the streams pass retention within seconds, and snapshots age quickly.
       .writer = [](int, int) { return WriterKind{.min_pause_ms = 1, .max_pause_ms = 8}; },
       .inject = DownPastRetention},
      {.info = {"lock-holder",
                "an app holding the write lock alternately 1.5-3.5 s and 10.5-12.5 s (past "
                "harmony's 10 s busy timeout) per transaction for 20-24 s, while remote changes "
                "arrive"},
       .inject = HoldWriteLock},
  };
  return *defs;
}

const ScenarioDef* Find(const std::string& name) {
  for (const ScenarioDef& d : Definitions()) {
    if (d.info.name == name) return &d;
  }
  return nullptr;
}

std::string Join(const std::vector<int64_t>& values) {
  std::string out;
  for (int64_t v : values) out += (out.empty() ? "" : "/") + std::to_string(v);
  return out;
}

// Reads the three databases; "" and fills `tables` when all could be read.
std::string ReadAll(ChaosCluster& c, std::vector<TableRows>* tables) {
  tables->clear();
  for (int i = 0; i < ChaosCluster::kNodes; ++i) {
    Result<TableRows> t = ReadTables(c.db_path(i));
    if (!t.ok()) return "node " + std::to_string(i + 1) + ": " + t.status().ToString();
    tables->push_back(std::move(t).value());
  }
  return "";
}

std::string Differences(const std::vector<TableRows>& t) {
  std::string diff = Difference(t[0], t[1], "node 1", "node 2");
  const std::string d13 = Difference(t[0], t[2], "node 1", "node 3");
  if (!d13.empty()) diff += (diff.empty() ? "" : "\n  ") + d13;
  return diff;
}

void Check(RunResult& r, ChaosCluster& cluster, const RunOptions& options, std::string* details) {
  // Converge: identical data on all three nodes, within the bound.
  const auto quiet = Clock::now();
  const auto deadline = quiet + options.converge_timeout;
  std::vector<TableRows> tables;
  std::string last_error;
  while (true) {
    last_error = ReadAll(cluster, &tables);
    if (last_error.empty() && tables[0] == tables[1] && tables[0] == tables[2]) {
      r.converged = true;
      r.converge_seconds = std::chrono::duration<double>(Clock::now() - quiet).count();
      break;
    }
    // A sidecar that died will not converge anything: no point waiting the whole bound.
    if (Clock::now() > deadline || !cluster.UnexpectedExits().empty()) break;
    Sleep(milliseconds(250));
  }
  if (!r.converged) {
    std::string why = !last_error.empty() ? last_error : Differences(tables);
    r.failure += "not identical after " +
                 std::to_string(std::chrono::duration_cast<seconds>(Clock::now() - quiet).count()) +
                 " s: " + why + "; ";
  }
  if (last_error.empty()) {
    for (int i = 0; i < ChaosCluster::kNodes; ++i) {
      *details += "node " + std::to_string(i + 1) + ": " + Digest(tables[i]) + "\n";
    }
  }

  // Every committed ledger row on every node; no row of an uncommitted transaction anywhere.
  JournalSummary journal;
  for (int w = 0; w < cluster.writers(); ++w) {
    if (Status s = ReadJournal(cluster.journal(w), &journal); !s.ok()) {
      r.failure += "driver: " + s.ToString() + "; ";
    }
  }
  std::vector<Ledger> ledgers;
  for (int i = 0; i < ChaosCluster::kNodes; ++i) {
    Result<Ledger> l = ReadLedger(cluster.db_path(i));
    if (!l.ok()) {
      r.failure += "node " + std::to_string(i + 1) + " ledger: " + l.status().ToString() + "; ";
      return;
    }
    ledgers.push_back(std::move(l).value());
  }
  const LedgerCheck ledger = CheckLedger(journal, ledgers);
  r.committed_rows = ledger.committed_rows;
  r.lost_rows = ledger.lost_rows;
  r.phantom_rows = ledger.phantom_rows;
  *details += "journals: " + std::to_string(journal.committed.size()) + " committed, " +
              std::to_string(journal.never_committed.size()) + " never committed (" +
              std::to_string(journal.aborted) + " aborts), " + std::to_string(journal.unknown) +
              " killed while committing\n";
  for (const std::string& reason : journal.abort_reasons) *details += "  " + reason + "\n";
  if (ledger.lost_rows > 0) {
    r.failure +=
        "lost " + std::to_string(ledger.lost_rows) + " of " +
        std::to_string(ledger.committed_rows) +
        " committed ledger rows (missing on nodes 1/2/3: " + Join(ledger.missing_per_node) + "); ";
  }
  if (ledger.phantom_rows > 0) {
    r.failure += std::to_string(ledger.phantom_rows) + " rows of uncommitted transactions; ";
  }
  if (ledger.bad_payload_rows > 0) {
    r.failure += std::to_string(ledger.bad_payload_rows) + " ledger rows with a wrong payload; ";
  }
  if (!ledger.example.empty() && !r.passed()) *details += "e.g. " + ledger.example + "\n";

  for (int i = 0; i < ChaosCluster::kNodes; ++i) {
    Result<int64_t> dead = DeadLetters(cluster.db_path(i));
    if (dead.ok() && *dead > 0) {
      r.failure +=
          "node " + std::to_string(i + 1) + " has " + std::to_string(*dead) + " dead letters; ";
    }
  }
}

}  // namespace

const std::vector<ScenarioInfo>& Scenarios() {
  static const auto* infos = [] {
    auto* v = new std::vector<ScenarioInfo>;
    for (const ScenarioDef& d : Definitions()) v->push_back(d.info);
    return v;
  }();
  return *infos;
}

bool IsScenario(const std::string& name) { return Find(name) != nullptr; }

RunResult RunScenario(const std::string& name, uint64_t seed, const RunOptions& options) {
  const ScenarioDef& def = *Find(name);
  RunResult r;
  r.scenario = name;
  r.seed = seed;
  r.shards = seed % 2 == 1 ? 1 : 2;  // both the single-stream and the sharded paths
  r.dir = options.out_dir + "/" + name + "-seed" + std::to_string(seed);
  std::error_code ec;
  fs::remove_all(r.dir, ec);
  fs::create_directories(r.dir, ec);
  std::mt19937_64 rng(seed * 7919 + std::hash<std::string>{}(name));
  const int target = static_cast<int>(rng() % ChaosCluster::kNodes);
  std::string details;

  {
    ClusterOptions co;
    co.harmony_binary = options.harmony_binary;
    co.nats_binary = options.nats_binary;
    co.self_binary = options.self_binary;
    co.dir = r.dir;
    co.brokers = def.brokers;
    co.shards = r.shards;
    co.replicas = def.replicas;
    co.max_entries = def.max_entries;
    co.seed = seed;
    Result<std::unique_ptr<ChaosCluster>> created = ChaosCluster::Create(co);
    Status setup = created.status();
    std::unique_ptr<ChaosCluster> cluster;
    if (setup.ok()) {
      cluster = std::move(created).value();
      for (int i = 0; setup.ok() && i < ChaosCluster::kNodes; ++i) setup = cluster->StartNode(i);
    }
    if (!setup.ok()) {
      r.failure = "setup: " + setup.ToString();
    } else {
      std::vector<int> writer_of_node;
      for (int i = 0; i < ChaosCluster::kNodes; ++i) {
        writer_of_node.push_back(cluster->StartWriter(i, def.writer(i, target)));
      }
      Sleep(kWarmup);
      Fault fault{*cluster, rng, writer_of_node, target, "", ""};
      Status injected = def.inject(fault);
      r.fault = fault.description;
      if (!injected.ok()) r.failure += "fault: " + injected.ToString() + "; ";
      r.failure += fault.problems;
      Sleep(kAfterHeal);
      if (Status s = cluster->StopWriters(); !s.ok()) r.failure += s.ToString() + "; ";
      if (injected.ok()) Check(r, *cluster, options, &details);
      const std::string crashed = cluster->UnexpectedExits();
      if (!crashed.empty()) r.failure += "crashed: " + crashed;
      r.failure += cluster->StopNodes();
    }
  }  // every process is gone here

  if (!r.passed() || options.keep_all) {
    std::ofstream(r.dir + "/result.txt")
        << "scenario " << name << ", seed " << seed << ", shards " << r.shards << "\n"
        << "fault: " << r.fault << "\n"
        << "failure: " << (r.passed() ? "none" : r.failure) << "\n"
        << details;
  } else {
    fs::remove_all(r.dir, ec);
    r.dir.clear();
  }
  return r;
}

}  // namespace harmony::chaos
