// End-to-end: three nodes writing the same hot rows concurrently end identical once writes stop.
#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <thread>

#include "tests/e2e/cluster_fixture.h"

namespace harmony::test {
namespace {

// (seed, shards)
class ConvergenceTest : public ClusterTest,
                        public ::testing::WithParamInterface<std::tuple<int, int>> {
 protected:
  std::string Schema() const override {
    return "CREATE TABLE a(id INTEGER PRIMARY KEY, v TEXT, n INTEGER);"
           "CREATE TABLE b(k TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID;";
  }
  std::string ExtraConfig(int) const override {
    return "[replication_log]\nshards = " + std::to_string(std::get<1>(GetParam())) + "\n";
  }
};

std::string RandomStatement(std::mt19937& rng, int node) {
  auto key = [&] { return std::to_string(1 + rng() % 20); };
  const std::string tag = "'n" + std::to_string(node) + "-" + std::to_string(rng() % 1000) + "'";
  switch (rng() % 7) {
    case 0:
      return "INSERT OR REPLACE INTO a VALUES(" + key() + ", " + tag + ", " + key() + ")";
    case 1:
      return "UPDATE a SET v = " + tag + ", n = n + 1 WHERE id = " + key();
    case 2:
      return "DELETE FROM a WHERE id = " + key();
    case 3:
      return "UPDATE OR REPLACE a SET id = " + key() + " WHERE id = " + key();
    case 4:
      return "INSERT INTO b VALUES('k" + key() + "', " + key() +
             ") ON CONFLICT(k) DO UPDATE SET v = v + excluded.v";
    case 5:
      return "DELETE FROM b WHERE k = 'k" + key() + "'";
    default:
      return "UPDATE OR REPLACE b SET k = 'k" + key() + "' WHERE k = 'k" + key() + "'";
  }
}

TEST_P(ConvergenceTest, ConcurrentWritersOnHotKeysConverge) {
  const int seed = std::get<0>(GetParam());
  std::printf("seed %d, shards %d\n", seed, std::get<1>(GetParam()));
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int node = 0; node < 3; ++node) {
    writers.emplace_back([&, node] {
      std::mt19937 rng(seed * 31 + node);
      sqlite::OpenOptions options;
      options.busy_timeout_ms = 20000;
      auto db = sqlite::Database::Open(nodes_[node].db_path, options);
      if (!db.ok()) {
        ++failures;
        return;
      }
      for (int txn = 0; txn < 100; ++txn) {
        std::string sql = "BEGIN;";
        const int statements = 1 + rng() % 5;
        for (int s = 0; s < statements; ++s) sql += RandomStatement(rng, node) + ";";
        if (!db->Exec(sql + "COMMIT;").ok()) {
          ++failures;
          (void)db->Exec("ROLLBACK");
        }
      }
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(failures.load(), 0);
  const auto stopped = std::chrono::steady_clock::now();
  EXPECT_TRUE(WaitForSameRows("SELECT * FROM a ORDER BY id"));
  EXPECT_TRUE(WaitForSameRows("SELECT * FROM b ORDER BY k"));
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - stopped).count();
  std::printf("seed %d shards %d: nodes identical %.0f ms after the writers stopped (%s rows in a)\n",
              seed, std::get<1>(GetParam()), ms, Query(0, "SELECT count(*) FROM a").c_str());
}

INSTANTIATE_TEST_SUITE_P(Seeds, ConvergenceTest,
                         ::testing::Combine(::testing::Values(1, 2, 3), ::testing::Values(1, 4)));

}  // namespace
}  // namespace harmony::test
