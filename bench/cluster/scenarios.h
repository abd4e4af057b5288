// scenarios: the end-to-end measurements of `harmony-bench`, each returning its figures as JSON.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"

namespace harmony::bench {

class BenchCluster;

struct Settings {
  std::string harmony_binary;
  std::string nats_binary = "nats-server";
  std::string work_dir;  // scratch space, must exist
  int shards = 1;
  int64_t capture_single_txns = 20'000;  // 1-row transactions per capture run
  int64_t capture_batch_txns = 2'000;    // 100-row transactions per capture run
  int capture_rounds = 3;                 // runs of each writer mode; the median counts
  int64_t throughput_rows = 500'000;
  double latency_seconds = 20;
  double latency_rate = 200;  // single-row commits per second
  int64_t catchup_rows = 1'000'000;
  int64_t bootstrap_rows = 880'000;  // about 100 MB of database for the bootstrap scenario
  int schema_tables = 1'000;          // tables of the schema-size scenario
  double schema_seconds = 10;         // of single-row commits (at latency_rate) over them
  int schema_rounds = 10;             // transactions touching every table

  static Settings Quick();  // small sizes: proves the tool works in well under a minute
};

// App commit throughput and latency on an untracked database, with harmony running on it, and
// with only its triggers installed (harmony stopped), for 1-row and 100-row transactions; the
// three modes take turns for `capture_rounds` rounds and the median rate of each is reported.
Result<nlohmann::json> MeasureCapture(const Settings& settings);

// On a running 3-node cluster whose bench table is empty; each returns its own section.
// Peak RSS of every process so far is read at the end of MeasureThroughput.
Result<nlohmann::json> MeasureLatency(const Settings& settings, BenchCluster& cluster,
                                      int64_t first_id);
Result<nlohmann::json> MeasureThroughput(const Settings& settings, BenchCluster& cluster,
                                         int64_t first_id);
Result<nlohmann::json> MeasureCatchUp(const Settings& settings, BenchCluster& cluster,
                                      int64_t first_id);

// A cluster of `nodes` harmony nodes (not started) and a broker in work_dir/<name>, every
// database holding the bench table.
Result<std::unique_ptr<BenchCluster>> NewCluster(const Settings& settings, const std::string& name,
                                                int nodes);

// A 2-node cluster: node 1's database holds bootstrap_rows rows; `-save-snapshot` saves one, and
// node 2 starts with no database file. Reports both times and checks node 2's row count.
Result<nlohmann::json> MeasureBootstrap(const Settings& settings);

// Issue #10, item 5, on a 2-node cluster whose schema has schema_tables tables: single-row
// commits rotating over them at latency_rate from the moment the nodes are ready (commit to
// visible on the peer), then schema_rounds transactions touching every table.
Result<nlohmann::json> MeasureSchemaSize(const Settings& settings);

// Runs every cluster scenario on a fresh 3-node cluster, idle memory included.
Result<nlohmann::json> MeasureCluster(const Settings& settings);

}  // namespace harmony::bench
