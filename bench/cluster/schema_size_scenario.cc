// The schema-size scenarios (issue #10, item 5): a schema of many tables must cost nothing per
// commit. Single-row commits rotating over every table at a fixed rate from the moment the nodes
// are ready (triggers just installed), then transactions that touch every table at once.
#include <spdlog/spdlog.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <thread>

#include "bench/cluster/bench_cluster.h"
#include "bench/cluster/scenarios.h"
#include "bench/cluster/workload.h"

namespace harmony::bench {
namespace {

using nlohmann::json;

std::string TableName(int64_t k, int tables) { return "t" + std::to_string(k % tables); }

std::string ManyTablesSchema(int tables) {
  std::string sql;
  for (int t = 0; t < tables; ++t) {
    sql += "CREATE TABLE " + TableName(t, tables) + "(id INTEGER PRIMARY KEY, v TEXT);";
  }
  return sql;
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

double Ms(int64_t ns) { return ns / 1e6; }

double Round2(double v) { return std::llround(v * 100) / 100.0; }

// Polls the peer for row k in table t(k % tables), k = 0, 1, ... in order (one shard keeps them
// in order), and records when each became visible.
Status WatchRotating(const std::string& path, int tables, int64_t count,
                     std::vector<std::atomic<int64_t>>& seen_at, const std::atomic<bool>& stop) {
  sqlite::OpenOptions options;
  options.wal = false;
  options.read_only = true;
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, sqlite::Database::Open(path, options));
  std::vector<sqlite::Statement> queries;
  for (int t = 0; t < tables; ++t) {
    HARMONY_ASSIGN_OR_RETURN(sqlite::Statement q,
                             db.Prepare("SELECT 1 FROM " + TableName(t, tables) + " WHERE id = ?1"));
    queries.push_back(std::move(q));
  }
  int64_t k = 0;
  while (k < count && !stop.load()) {
    sqlite::Statement& q = queries[k % tables];
    HARMONY_RETURN_IF_ERROR(q.BindInt(1, k));
    HARMONY_ASSIGN_OR_RETURN(bool found, q.Step());
    q.Reset();
    if (found) {
      seen_at[k].store(NowNs());
      ++k;
      continue;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(250));
  }
  return Status::Ok();
}

// Single-row commits at `rate` per second, row k into table t(k % tables).
Result<json> RotatingCommits(const Settings& s, BenchCluster& cluster, int tables) {
  const int64_t count = static_cast<int64_t>(s.latency_rate * s.schema_seconds);
  std::vector<std::atomic<int64_t>> committed(count), seen(count);
  std::atomic<bool> stop{false};
  auto watcher = std::async(std::launch::async, [&] {
    return WatchRotating(cluster.db_path(1), tables, count, seen, stop);
  });
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, OpenAppConnection(cluster.db_path(0), false));
  std::vector<sqlite::Statement> inserts;
  for (int t = 0; t < tables; ++t) {
    HARMONY_ASSIGN_OR_RETURN(
        sqlite::Statement q,
        db.Prepare("INSERT INTO " + TableName(t, tables) + " VALUES(?1, 'rotating')"));
    inserts.push_back(std::move(q));
  }
  const auto period = std::chrono::nanoseconds(static_cast<int64_t>(1e9 / s.latency_rate));
  const Clock::time_point start = Clock::now();
  for (int64_t k = 0; k < count; ++k) {
    std::this_thread::sleep_until(start + k * period);
    sqlite::Statement& q = inserts[k % tables];
    HARMONY_RETURN_IF_ERROR(q.BindInt(1, k));
    HARMONY_RETURN_IF_ERROR(q.Run());
    committed[k].store(NowNs());
  }
  if (watcher.wait_for(std::chrono::seconds(30)) != std::future_status::ready) stop = true;
  HARMONY_RETURN_IF_ERROR(watcher.get());
  std::vector<double> ms, first_second;
  int64_t missing = 0;
  for (int64_t k = 0; k < count; ++k) {
    if (seen[k].load() == 0) {
      ++missing;
      continue;
    }
    const double latency = Ms(std::max<int64_t>(0, seen[k].load() - committed[k].load()));
    ms.push_back(latency);
    if (k < static_cast<int64_t>(s.latency_rate)) first_second.push_back(latency);
  }
  return json{{"tables", tables},
              {"commits", count},
              {"rate_per_s", s.latency_rate},
              {"missing", missing},
              {"p50_ms", Round2(Percentile(ms, 50))},
              {"p99_ms", Round2(Percentile(ms, 99))},
              {"max_ms", Round2(Percentile(ms, 100))},
              {"first_second_max_ms", Round2(Percentile(first_second, 100))}};
}

// Transactions inserting one row into every table; the time until the peer shows the last one.
Result<json> AllTablesTransactions(const Settings& s, BenchCluster& cluster, int tables,
                                   int64_t first_id) {
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, OpenAppConnection(cluster.db_path(0), false));
  sqlite::OpenOptions options;
  options.wal = false;
  options.read_only = true;
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database peer,
                           sqlite::Database::Open(cluster.db_path(1), options));
  std::vector<double> ms, commit_ms;
  for (int round = 0; round < s.schema_rounds; ++round) {
    const int64_t id = first_id + round;
    std::string sql = "BEGIN;";
    for (int t = 0; t < tables; ++t) {
      sql += "INSERT INTO " + TableName(t, tables) + " VALUES(" + std::to_string(id) + ", 'all');";
    }
    const Clock::time_point begin = Clock::now();
    HARMONY_RETURN_IF_ERROR(db.Exec(sql + "COMMIT;"));
    const Clock::time_point committed = Clock::now();
    HARMONY_ASSIGN_OR_RETURN(
        sqlite::Statement q,
        peer.Prepare("SELECT 1 FROM " + TableName(tables - 1, tables) + " WHERE id = " +
                     std::to_string(id)));
    while (true) {
      HARMONY_ASSIGN_OR_RETURN(bool found, q.Step());
      q.Reset();
      if (found) break;
      if (Clock::now() - committed > std::chrono::seconds(30)) {
        return Status::Unavailable("a transaction over every table did not reach the peer");
      }
      std::this_thread::sleep_for(std::chrono::microseconds(250));
    }
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - committed).count());
    commit_ms.push_back(std::chrono::duration<double, std::milli>(committed - begin).count());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  HARMONY_ASSIGN_OR_RETURN(int64_t rows, peer.QueryInt("SELECT count(*) FROM " +
                                                       TableName(0, tables) + " WHERE v = 'all'"));
  if (rows != s.schema_rounds) {
    return Status::Internal("the peer holds " + std::to_string(rows) + " rows of the " +
                            std::to_string(s.schema_rounds) + " all-tables transactions");
  }
  return json{{"tables", tables},
              {"transactions", s.schema_rounds},
              {"commit_p50_ms", Round2(Percentile(commit_ms, 50))},
              {"p50_ms", Round2(Percentile(ms, 50))},
              {"max_ms", Round2(Percentile(ms, 100))}};
}

}  // namespace

Result<json> MeasureSchemaSize(const Settings& s) {
  const int tables = s.schema_tables;
  ClusterOptions options;
  options.harmony_binary = s.harmony_binary;
  options.nats_binary = s.nats_binary;
  options.dir = s.work_dir + "/schema-size";
  options.nodes = 2;
  options.shards = s.shards;
  std::filesystem::create_directories(options.dir);
  HARMONY_ASSIGN_OR_RETURN(std::unique_ptr<BenchCluster> cluster,
                           BenchCluster::Create(options, ManyTablesSchema(tables)));
  spdlog::info("schema size: {} tables; nodes start (triggers installed), then single-row "
               "commits rotate over the tables at {}/s",
               tables, s.latency_rate);
  const Clock::time_point start = Clock::now();
  HARMONY_RETURN_IF_ERROR(cluster->StartAll());
  const double start_s = std::chrono::duration<double>(Clock::now() - start).count();
  json out;
  out["start_to_ready_s"] = Round2(start_s);
  HARMONY_ASSIGN_OR_RETURN(out["rotating_commits"], RotatingCommits(s, *cluster, tables));
  spdlog::info("schema size: {} transactions touching all {} tables", s.schema_rounds, tables);
  HARMONY_ASSIGN_OR_RETURN(out["all_tables_transaction"],
                           AllTablesTransactions(s, *cluster, tables, 1'000'000'000));
  for (int i = 0; i < cluster->nodes(); ++i) HARMONY_RETURN_IF_ERROR(cluster->StopNode(i));
  return out;
}

}  // namespace harmony::bench
