// workload: what the benchmark's "application" does to a database: the bench table, writers that
// commit transactions of new rows as fast as they can or at a fixed rate, and readers that note
// when rows become visible on a peer. Plain SQLite, like an app that does not know harmony exists.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "sqlite/database.h"

namespace harmony::bench {

using Clock = std::chrono::steady_clock;

// The table every scenario writes: an integer key, a number and a 100-byte text.
std::string BenchSchema();

// Opens `path` the way a typical app does: WAL, synchronous=NORMAL, 10 s busy timeout.
Result<sqlite::Database> OpenAppConnection(const std::string& path, bool create);

struct WriteResult {
  uint64_t rows = 0;
  double seconds = 0;
  std::vector<double> commit_us;  // latency of each transaction, BEGIN to COMMIT returned
  double RowsPerSecond() const { return seconds > 0 ? rows / seconds : 0; }
};

// Commits `transactions` transactions of `rows_per_txn` new rows with ids first_id, first_id+1...
// back to back.
Result<WriteResult> WriteBatches(sqlite::Database& db, int64_t first_id, int64_t transactions,
                                 int rows_per_txn);

// Open loop: commits single-row transactions with ids first_id.. at `per_second`, on schedule
// whatever happens elsewhere (a late commit does not delay the next one's slot). Fills
// committed_at[k] (steady-clock ns) when row first_id+k has committed.
Result<WriteResult> WriteAtRate(sqlite::Database& db, int64_t first_id, int64_t count,
                                double per_second, std::vector<std::atomic<int64_t>>& committed_at);

// Polls a peer's database every `interval` and records in seen_at[k] (steady-clock ns) when row
// first_id+k first became visible, until every row is seen or `stop` is set.
Status WatchRows(const std::string& path, int64_t first_id, int64_t count,
                 std::chrono::microseconds interval, std::vector<std::atomic<int64_t>>& seen_at,
                 const std::atomic<bool>& stop);

// Highest id in the bench table of `db` (0 when empty).
Result<int64_t> MaxId(sqlite::Database& db);
Result<int64_t> RowCount(sqlite::Database& db);

// Percentile (0..100) of `values` by nearest rank; 0 for none.
double Percentile(std::vector<double> values, double pct);

}  // namespace harmony::bench
