// The bootstrap scenario: how long a brand-new node takes to join from a snapshot.
#include <spdlog/spdlog.h>

#include <filesystem>

#include "bench/cluster/bench_cluster.h"
#include "bench/cluster/scenarios.h"
#include "bench/cluster/workload.h"
#include "tests/support/harmony_process.h"

namespace harmony::bench {

Result<nlohmann::json> MeasureBootstrap(const Settings& s) {
  HARMONY_ASSIGN_OR_RETURN(std::unique_ptr<BenchCluster> cluster, NewCluster(s, "bootstrap", 2));
  {
    // Node 1's database: bootstrap_rows rows of about 117 bytes (a 50-byte random hex prefix, so
    // it does not compress to nothing), written before harmony starts.
    HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, OpenAppConnection(cluster->db_path(0), false));
    HARMONY_RETURN_IF_ERROR(db.Exec(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < " +
        std::to_string(s.bootstrap_rows) +
        ") INSERT INTO bench SELECT x, x * 7, hex(randomblob(25)) || printf('%050d', x) FROM c"));
  }
  const auto db_bytes = std::filesystem::file_size(cluster->db_path(0));
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(cluster->db_path(1) + suffix);  // node 2 is new: no database at all
  }
  HARMONY_RETURN_IF_ERROR(cluster->StartNode(0));

  spdlog::info("bootstrap: saving a snapshot of a {:.1f} MiB database", db_bytes / 1048576.0);
  const Clock::time_point save_start = Clock::now();
  std::string output;
  const int code = test::RunHarmony({"-config", cluster->config_path(0), "-save-snapshot"},
                                    s.work_dir + "/bootstrap/save.log", &output, std::chrono::minutes(10),
                                    s.harmony_binary);
  if (code != 0) return Status::Internal("-save-snapshot exited with " + std::to_string(code));
  const double save_s = std::chrono::duration<double>(Clock::now() - save_start).count();

  spdlog::info("bootstrap: starting a new node without a database");
  const Clock::time_point join_start = Clock::now();
  HARMONY_RETURN_IF_ERROR(cluster->StartNode(1));
  const double join_s = std::chrono::duration<double>(Clock::now() - join_start).count();
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database joined, OpenAppConnection(cluster->db_path(1), false));
  HARMONY_ASSIGN_OR_RETURN(int64_t rows, RowCount(joined));
  if (rows != s.bootstrap_rows) {
    return Status::Internal("the new node holds " + std::to_string(rows) + " rows, not " +
                            std::to_string(s.bootstrap_rows));
  }
  nlohmann::json out{{"rows", rows},
                     {"db_mib", std::llround(db_bytes / 1048576.0 * 10) / 10.0},
                     {"save_snapshot_s", std::llround(save_s * 100) / 100.0},
                     {"join_to_ready_s", std::llround(join_s * 100) / 100.0},
                     {"joined_peak_rss_mib", std::llround(RssMiB(cluster->pid(1), "VmHWM") * 10) / 10.0}};
  HARMONY_RETURN_IF_ERROR(cluster->StopNode(1));
  HARMONY_RETURN_IF_ERROR(cluster->StopNode(0));
  return out;
}

}  // namespace harmony::bench
