// scenarios: the chaos suite's fault kinds and one run of one of them. A run starts a fresh
// three-node cluster, starts a writer app on every node, injects its one fault while they write,
// heals it, lets the writers go on for a moment, stops them, and then checks (checks.h) that the
// nodes converge to identical data within a bound, that no committed ledger row is lost, that
// no row of an uncommitted transaction appears, and that no harmony or nats-server process
// crashed or exited uncleanly.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace harmony::chaos {

struct RunOptions {
  std::string harmony_binary;
  std::string nats_binary;
  std::string self_binary;
  std::string out_dir;    // each run gets <out_dir>/<scenario>-seed<seed>, kept if it fails
  bool keep_all = false;  // keep the directories of passing runs too
  std::chrono::seconds converge_timeout{120};
};

struct RunResult {
  std::string scenario;
  uint64_t seed = 0;
  int shards = 1;
  bool converged = false;
  double converge_seconds = -1;  // writers stopped (fault healed) -> identical digests
  int64_t committed_rows = 0;    // ledger rows whose COMMIT returned
  int64_t lost_rows = 0;         // of those, missing on at least one node
  int64_t phantom_rows = 0;      // rows of never-committed transactions found anywhere
  std::string fault;             // what was done, e.g. "kill -9 harmony on node 2, down 3.1 s"
  std::string failure;           // "" when the run passed; otherwise every check that failed
  std::string dir;               // kept run directory, "" when removed
  bool passed() const { return failure.empty(); }
};

struct ScenarioInfo {
  std::string name;
  std::string description;
};
// Every scenario, in the order a full run goes through them.
const std::vector<ScenarioInfo>& Scenarios();
bool IsScenario(const std::string& name);

RunResult RunScenario(const std::string& name, uint64_t seed, const RunOptions& options);

}  // namespace harmony::chaos
