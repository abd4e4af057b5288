#include "bench/cluster/workload.h"

#include <algorithm>
#include <cmath>
#include <thread>

namespace harmony::bench {
namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

std::string Payload(int64_t id) {
  std::string p = "row-" + std::to_string(id) + "-";
  while (p.size() < 100) p += "abcdefghijklmnopqrstuvwxyz";
  p.resize(100);
  return p;
}

Status InsertRow(sqlite::Statement& insert, int64_t id) {
  HARMONY_RETURN_IF_ERROR(insert.BindInt(1, id));
  HARMONY_RETURN_IF_ERROR(insert.BindInt(2, id * 7));
  HARMONY_RETURN_IF_ERROR(insert.BindText(3, Payload(id)));
  return insert.Run();
}

}  // namespace

std::string BenchSchema() {
  return "CREATE TABLE IF NOT EXISTS bench(id INTEGER PRIMARY KEY, k INTEGER NOT NULL, "
         "payload TEXT NOT NULL);";
}

Result<sqlite::Database> OpenAppConnection(const std::string& path, bool create) {
  sqlite::OpenOptions options;
  options.create = create;
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, sqlite::Database::Open(path, options));
  HARMONY_RETURN_IF_ERROR(db.Exec("PRAGMA synchronous=NORMAL"));
  return db;
}

Result<WriteResult> WriteBatches(sqlite::Database& db, int64_t first_id, int64_t transactions,
                                 int rows_per_txn) {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement insert,
      db.Prepare("INSERT INTO bench(id, k, payload) VALUES (?1, ?2, ?3)"));
  WriteResult result;
  result.commit_us.reserve(transactions);
  const Clock::time_point start = Clock::now();
  int64_t id = first_id;
  for (int64_t t = 0; t < transactions; ++t) {
    const Clock::time_point begin = Clock::now();
    HARMONY_ASSIGN_OR_RETURN(sqlite::Transaction txn,
                             sqlite::Transaction::Begin(db, sqlite::Transaction::Mode::kImmediate));
    for (int r = 0; r < rows_per_txn; ++r) HARMONY_RETURN_IF_ERROR(InsertRow(insert, id++));
    HARMONY_RETURN_IF_ERROR(txn.Commit());
    result.commit_us.push_back(
        std::chrono::duration<double, std::micro>(Clock::now() - begin).count());
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.rows = static_cast<uint64_t>(transactions) * rows_per_txn;
  return result;
}

Result<WriteResult> WriteAtRate(sqlite::Database& db, int64_t first_id, int64_t count,
                                double per_second,
                                std::vector<std::atomic<int64_t>>& committed_at) {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement insert,
      db.Prepare("INSERT INTO bench(id, k, payload) VALUES (?1, ?2, ?3)"));
  WriteResult result;
  const Clock::time_point start = Clock::now();
  const auto period = std::chrono::duration<double>(1.0 / per_second);
  for (int64_t k = 0; k < count; ++k) {
    std::this_thread::sleep_until(start +
                                  std::chrono::duration_cast<Clock::duration>(period * k));
    const Clock::time_point begin = Clock::now();
    HARMONY_RETURN_IF_ERROR(InsertRow(insert, first_id + k));  // autocommit
    committed_at[k].store(NowNs());
    result.commit_us.push_back(
        std::chrono::duration<double, std::micro>(Clock::now() - begin).count());
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.rows = count;
  return result;
}

Status WatchRows(const std::string& path, int64_t first_id, int64_t count,
                 std::chrono::microseconds interval, std::vector<std::atomic<int64_t>>& seen_at,
                 const std::atomic<bool>& stop) {
  sqlite::OpenOptions options;
  options.wal = false;  // a reader must not change the journal mode
  options.read_only = true;
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, sqlite::Database::Open(path, options));
  HARMONY_ASSIGN_OR_RETURN(sqlite::Statement query,
                           db.Prepare("SELECT id FROM bench WHERE id > ?1 AND id < ?2"));
  int64_t seen = 0;
  int64_t low = first_id - 1;  // every id <= low has been seen
  while (seen < count && !stop.load()) {
    HARMONY_RETURN_IF_ERROR(query.BindInt(1, low));
    HARMONY_RETURN_IF_ERROR(query.BindInt(2, first_id + count));
    const int64_t now = NowNs();
    while (true) {
      HARMONY_ASSIGN_OR_RETURN(bool row, query.Step());
      if (!row) break;
      const int64_t k = query.ColumnInt(0) - first_id;
      int64_t expected = 0;
      if (seen_at[k].compare_exchange_strong(expected, now)) ++seen;
    }
    query.Reset();
    while (low + 1 < first_id + count && seen_at[low + 1 - first_id].load() != 0) ++low;
    std::this_thread::sleep_for(interval);
  }
  return Status::Ok();
}

Result<int64_t> MaxId(sqlite::Database& db) {
  return db.QueryInt("SELECT coalesce(max(id), 0) FROM bench");
}

Result<int64_t> RowCount(sqlite::Database& db) { return db.QueryInt("SELECT count(*) FROM bench"); }

double Percentile(std::vector<double> values, double pct) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t rank = static_cast<size_t>(std::ceil(pct / 100.0 * values.size()));
  rank = std::clamp<size_t>(rank, 1, values.size());
  return values[rank - 1];
}

}  // namespace harmony::bench
