#include "bench/cluster/scenarios.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <future>
#include <thread>

#include "bench/cluster/bench_cluster.h"
#include "bench/cluster/workload.h"

namespace harmony::bench {
namespace {

using nlohmann::json;

double Round(double v, int digits = 1) {
  double scale = 1;
  for (int i = 0; i < digits; ++i) scale *= 10;
  return std::llround(v * scale) / scale;
}

// One writer mode's runs: per transaction size, the rows/s of each run and every commit latency.
struct ModeRuns {
  std::vector<double> rates[2];
  std::vector<double> commit_us[2];
  uint64_t rows[2] = {0, 0};
  double harmony_cpu_s = 0;
};

// Runs the 1-row then the 100-row writer on `db`, ids from *next_id on.
Status WriterPair(sqlite::Database& db, const Settings& s, int64_t* next_id, ModeRuns* runs) {
  const int64_t txns[2] = {s.capture_single_txns, s.capture_batch_txns};
  const int sizes[2] = {1, 100};
  for (int k = 0; k < 2; ++k) {
    HARMONY_ASSIGN_OR_RETURN(WriteResult w, WriteBatches(db, *next_id, txns[k], sizes[k]));
    *next_id += w.rows;
    runs->rates[k].push_back(w.RowsPerSecond());
    runs->commit_us[k].insert(runs->commit_us[k].end(), w.commit_us.begin(), w.commit_us.end());
    runs->rows[k] += w.rows;
  }
  return Status::Ok();
}

// Waits until harmony has published every change in the log of `db` (so that the writer does
// not compete with the backlog of the previous round).
Status AwaitPublished(sqlite::Database& db, std::chrono::seconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(
        int64_t pending,
        db.QueryInt("SELECT coalesce((SELECT max(seq) FROM __harmony_change_log), 0) - "
                    "coalesce((SELECT value FROM __harmony_state WHERE key = 'published_seq'), 0)"));
    if (pending <= 0) return Status::Ok();
    if (Clock::now() > deadline) return Status::Unavailable("harmony did not publish its backlog");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// Median rows/s over the runs, with the commit latency percentiles over all of them.
json ModeFigures(const ModeRuns& runs) {
  json out;
  const char* names[2] = {"txn_1_row", "txn_100_rows"};
  const int sizes[2] = {1, 100};
  for (int k = 0; k < 2; ++k) {
    const double rate = Percentile(runs.rates[k], 50);
    out[names[k]] = {{"runs", runs.rates[k].size()},
                     {"rows", runs.rows[k]},
                     {"rows_per_s", Round(rate, 0)},
                     {"txn_per_s", Round(rate / sizes[k], 0)},
                     {"rows_per_s_each_run", runs.rates[k]},
                     {"commit_p50_us", Round(Percentile(runs.commit_us[k], 50))},
                     {"commit_p99_us", Round(Percentile(runs.commit_us[k], 99))}};
  }
  return out;
}

// Waits until the bench table of every database in `paths` holds every id up to `last_id`
// (and `expected_rows` rows); returns the seconds waited, or an error after `timeout`.
Result<double> AwaitRows(const std::vector<std::string>& paths, int64_t last_id,
                         int64_t expected_rows, std::chrono::seconds timeout) {
  sqlite::OpenOptions options;
  options.wal = false;
  options.read_only = true;
  std::vector<sqlite::Database> dbs;
  for (const std::string& p : paths) {
    HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, sqlite::Database::Open(p, options));
    dbs.push_back(std::move(db));
  }
  const Clock::time_point start = Clock::now();
  std::vector<bool> done(dbs.size(), false);
  while (true) {
    bool all = true;
    for (size_t i = 0; i < dbs.size(); ++i) {
      if (done[i]) continue;
      HARMONY_ASSIGN_OR_RETURN(int64_t max_id, MaxId(dbs[i]));
      if (max_id >= last_id) {
        HARMONY_ASSIGN_OR_RETURN(int64_t rows, RowCount(dbs[i]));
        done[i] = rows >= expected_rows;
      }
      all = all && done[i];
    }
    const double waited = std::chrono::duration<double>(Clock::now() - start).count();
    if (all) return waited;
    if (Clock::now() - start > timeout) {
      return Status::Unavailable("peers did not receive row " + std::to_string(last_id) +
                                 " within " + std::to_string(timeout.count()) + " s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

json ProcessUsage(BenchCluster& cluster, const std::string& rss_field) {
  json nodes = json::array();
  for (int i = 0; i < cluster.nodes(); ++i) {
    nodes.push_back({{"node", i + 1},
                     {"rss_mib", Round(RssMiB(cluster.pid(i), rss_field))},
                     {"cpu_s", Round(CpuSeconds(cluster.pid(i)), 2)}});
  }
  return {{"harmony", nodes},
          {"nats_server", {{"rss_mib", Round(RssMiB(cluster.nats_pid(), rss_field))},
                           {"cpu_s", Round(CpuSeconds(cluster.nats_pid()), 2)}}}};
}

}  // namespace

Result<std::unique_ptr<BenchCluster>> NewCluster(const Settings& s, const std::string& name,
                                                int nodes) {
  ClusterOptions options;
  options.harmony_binary = s.harmony_binary;
  options.nats_binary = s.nats_binary;
  options.dir = s.work_dir + "/" + name;
  options.nodes = nodes;
  options.shards = s.shards;
  std::filesystem::create_directories(options.dir);
  return BenchCluster::Create(options, BenchSchema());
}

Settings Settings::Quick() {
  Settings s;
  s.capture_single_txns = 1'000;
  s.capture_batch_txns = 100;
  s.capture_rounds = 1;
  s.throughput_rows = 20'000;
  s.latency_seconds = 2;
  s.catchup_rows = 20'000;
  s.bootstrap_rows = 20'000;
  s.schema_tables = 100;
  s.schema_seconds = 1;
  s.schema_rounds = 3;
  return s;
}

Result<json> MeasureCapture(const Settings& s) {
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database untracked,
                           OpenAppConnection(s.work_dir + "/untracked.db", true));
  HARMONY_RETURN_IF_ERROR(untracked.Exec(BenchSchema()));
  HARMONY_ASSIGN_OR_RETURN(std::unique_ptr<BenchCluster> cluster, NewCluster(s, "capture", 1));
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database tracked,
                           OpenAppConnection(cluster->db_path(0), false));
  // The modes take turns, so that a disturbance of the machine does not favour one of them.
  ModeRuns base, running, triggers;
  int64_t untracked_id = 1, tracked_id = 1;
  for (int round = 1; round <= s.capture_rounds; ++round) {
    spdlog::info("capture round {}/{}: untracked, harmony running, triggers only", round,
                 s.capture_rounds);
    HARMONY_RETURN_IF_ERROR(WriterPair(untracked, s, &untracked_id, &base));
    HARMONY_RETURN_IF_ERROR(cluster->StartNode(0));
    HARMONY_RETURN_IF_ERROR(AwaitPublished(tracked, std::chrono::seconds(60)));
    const double cpu_before = CpuSeconds(cluster->pid(0));
    HARMONY_RETURN_IF_ERROR(WriterPair(tracked, s, &tracked_id, &running));
    running.harmony_cpu_s += CpuSeconds(cluster->pid(0)) - cpu_before;
    HARMONY_RETURN_IF_ERROR(cluster->StopNode(0));
    HARMONY_RETURN_IF_ERROR(WriterPair(tracked, s, &tracked_id, &triggers));
  }
  json out{{"untracked", ModeFigures(base)},
           {"harmony_running", ModeFigures(running)},
           {"triggers_only", ModeFigures(triggers)}};
  out["harmony_running"]["harmony_cpu_s"] = Round(running.harmony_cpu_s, 2);
  for (const char* size : {"txn_1_row", "txn_100_rows"}) {
    const double rate = out["untracked"][size]["rows_per_s"].get<double>();
    for (const char* mode : {"harmony_running", "triggers_only"}) {
      const double r = out[mode][size]["rows_per_s"].get<double>();
      out["overhead"][size][mode] = r > 0 ? Round(rate / r, 2) : 0.0;
    }
  }
  return out;
}

Result<json> MeasureLatency(const Settings& s, BenchCluster& cluster, int64_t first_id) {
  const int64_t count = static_cast<int64_t>(s.latency_rate * s.latency_seconds);
  std::vector<std::atomic<int64_t>> committed(count);
  std::vector<std::vector<std::atomic<int64_t>>> seen;
  for (int p = 1; p < cluster.nodes(); ++p) seen.emplace_back(count);
  std::atomic<bool> stop{false};
  std::vector<std::future<Status>> watchers;
  for (int p = 1; p < cluster.nodes(); ++p) {
    watchers.push_back(std::async(std::launch::async, [&, p] {
      return WatchRows(cluster.db_path(p), first_id, count, std::chrono::microseconds(250),
                       seen[p - 1], stop);
    }));
  }
  spdlog::info("latency: {} single-row commits at {}/s", count, s.latency_rate);
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, OpenAppConnection(cluster.db_path(0), false));
  Result<WriteResult> written = WriteAtRate(db, first_id, count, s.latency_rate, committed);
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(30);
  for (auto& w : watchers) {
    if (w.wait_until(deadline) != std::future_status::ready) stop = true;
  }
  stop = true;
  for (auto& w : watchers) HARMONY_RETURN_IF_ERROR(w.get());
  HARMONY_RETURN_IF_ERROR(written.status());
  std::vector<double> ms;
  int64_t missing = 0;
  for (const auto& peer : seen) {
    for (int64_t k = 0; k < count; ++k) {
      const int64_t at = peer[k].load();
      if (at == 0) {
        ++missing;
        continue;
      }
      ms.push_back(std::max<int64_t>(0, at - committed[k].load()) / 1e6);
    }
  }
  return json{{"commits", count},
              {"rate_per_s", s.latency_rate},
              {"samples", ms.size()},
              {"missing", missing},
              {"p50_ms", Round(Percentile(ms, 50), 2)},
              {"p90_ms", Round(Percentile(ms, 90), 2)},
              {"p99_ms", Round(Percentile(ms, 99), 2)},
              {"max_ms", Round(Percentile(ms, 100), 2)},
              {"poll_interval_us", 250}};
}

Result<json> MeasureThroughput(const Settings& s, BenchCluster& cluster, int64_t first_id) {
  const int64_t txns = s.throughput_rows / 100;
  const int64_t last_id = first_id + txns * 100 - 1;
  std::vector<std::string> peers;
  for (int p = 1; p < cluster.nodes(); ++p) peers.push_back(cluster.db_path(p));
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, OpenAppConnection(cluster.db_path(0), false));
  HARMONY_ASSIGN_OR_RETURN(const int64_t rows_before, RowCount(db));
  spdlog::info("throughput: {} rows in 100-row transactions on node 1", txns * 100);
  const json cpu_before = ProcessUsage(cluster, "VmRSS");
  const Clock::time_point start = Clock::now();
  auto writer = std::async(std::launch::async, [&] { return WriteBatches(db, first_id, txns, 100); });
  Result<double> waited = AwaitRows(peers, last_id, rows_before + txns * 100, std::chrono::minutes(10));
  const double total = std::chrono::duration<double>(Clock::now() - start).count();
  HARMONY_ASSIGN_OR_RETURN(WriteResult w, writer.get());
  HARMONY_RETURN_IF_ERROR(waited.status());
  json out{{"rows", w.rows},
           {"writer_rows_per_s", Round(w.RowsPerSecond(), 0)},
           {"writer_seconds", Round(w.seconds, 2)},
           {"seconds_to_all_peers", Round(total, 2)},
           {"replicated_rows_per_s", Round(w.rows / total, 0)},
           {"lag_after_writer_s", Round(total - w.seconds, 2)}};
  out["processes_peak"] = ProcessUsage(cluster, "VmHWM");
  out["processes_before"] = cpu_before;
  return out;
}

Result<json> MeasureCatchUp(const Settings& s, BenchCluster& cluster, int64_t first_id) {
  const int late = cluster.nodes() - 1;
  HARMONY_RETURN_IF_ERROR(cluster.StopNode(late));
  const int64_t txns = s.catchup_rows / 100;
  const int64_t last_id = first_id + txns * 100 - 1;
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, OpenAppConnection(cluster.db_path(0), false));
  spdlog::info("catch-up: node {} stopped while {} rows are written", late + 1, txns * 100);
  HARMONY_ASSIGN_OR_RETURN(WriteResult w, WriteBatches(db, first_id, txns, 100));
  HARMONY_ASSIGN_OR_RETURN(const int64_t rows, RowCount(db));
  std::vector<std::string> live;
  for (int p = 1; p < late; ++p) live.push_back(cluster.db_path(p));
  HARMONY_RETURN_IF_ERROR(AwaitRows(live, last_id, rows, std::chrono::minutes(10)).status());
  spdlog::info("catch-up: every row is in the stream; starting node {}", late + 1);
  const Clock::time_point start = Clock::now();
  HARMONY_RETURN_IF_ERROR(cluster.StartNode(late));
  HARMONY_ASSIGN_OR_RETURN(double waited, AwaitRows({cluster.db_path(late)}, last_id, rows,
                                                    std::chrono::minutes(10)));
  const double total = std::chrono::duration<double>(Clock::now() - start).count();
  (void)waited;
  return json{{"rows", w.rows},
              {"writer_rows_per_s", Round(w.RowsPerSecond(), 0)},
              {"seconds", Round(total, 2)},
              {"rows_per_s", Round(w.rows / total, 0)},
              {"peak_rss_mib", Round(RssMiB(cluster.pid(late), "VmHWM"))}};
}

Result<json> MeasureCluster(const Settings& s) {
  HARMONY_ASSIGN_OR_RETURN(std::unique_ptr<BenchCluster> cluster, NewCluster(s, "cluster", 3));
  HARMONY_RETURN_IF_ERROR(cluster->StartAll());
  json out;
  std::this_thread::sleep_for(std::chrono::seconds(1));  // let start-up work settle: not a sync
  out["idle"] = ProcessUsage(*cluster, "VmRSS");
  int64_t next_id = 1;
  HARMONY_ASSIGN_OR_RETURN(out["latency"], MeasureLatency(s, *cluster, next_id));
  next_id += static_cast<int64_t>(s.latency_rate * s.latency_seconds);
  HARMONY_ASSIGN_OR_RETURN(out["throughput"], MeasureThroughput(s, *cluster, next_id));
  next_id += s.throughput_rows;
  HARMONY_ASSIGN_OR_RETURN(out["catch_up"], MeasureCatchUp(s, *cluster, next_id));
  for (int i = 0; i < cluster->nodes(); ++i) HARMONY_RETURN_IF_ERROR(cluster->StopNode(i));
  return out;
}

}  // namespace harmony::bench
