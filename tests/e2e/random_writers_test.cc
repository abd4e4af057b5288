// End-to-end: concurrent random writers on all three nodes over a small hot key space; once they
// stop, every node ends with the same data. Prints how long convergence took.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/cluster_fixture.h"
#include "tests/support/await.h"

namespace harmony::test {
namespace {

constexpr int kOpsPerNode = 300;
constexpr int kKeys = 20;

struct ConvergenceParam {
  int shards;
  uint32_t seed;
};

void PrintTo(const ConvergenceParam& p, std::ostream* os) {
  *os << "shards " << p.shards << ", seed " << p.seed;
}

// What one writer thread did.
struct WriterReport {
  int statements = 0;
  int transactions = 0;
  int retries = 0;
  std::string error;
};

// A random value of a random storage class, so conflicts also mix types.
Value RandomValue(std::mt19937_64& rng) {
  switch (rng() % 5) {
    case 0:
      return Null{};
    case 1:
      return static_cast<int64_t>(rng() % 1000) - 500;
    case 2:
      return static_cast<double>(rng() % 10000) / 7.0;
    case 3:
      return Text{"t" + std::to_string(rng() % 1000)};
    default:
      return Blob{std::string(1 + rng() % 4, static_cast<char>(rng() % 256))};
  }
}

class RandomWritersTest : public ClusterTest,
                          public ::testing::WithParamInterface<ConvergenceParam> {
 protected:
  std::string Schema() const override {
    return "CREATE TABLE a(id INTEGER PRIMARY KEY, v, n INTEGER);"
           "CREATE TABLE b(k TEXT PRIMARY KEY, v INTEGER, w);";
  }
  std::string ExtraConfig(int) const override {
    return "[replication_log]\nshards = " + std::to_string(GetParam().shards) + "\n";
  }

  // One statement of the random mix, bound and run on `db`.
  static Status RandomStatement(sqlite::Database& db, std::mt19937_64& rng) {
    const bool table_a = rng() % 2 == 0;
    const int key = 1 + static_cast<int>(rng() % kKeys);
    const int other = 1 + static_cast<int>(rng() % kKeys);
    Value k = table_a ? Value{int64_t{key}} : Value{Text{"k" + std::to_string(key)}};
    Value k2 = table_a ? Value{int64_t{other}} : Value{Text{"k" + std::to_string(other)}};
    const std::string t = table_a ? "a" : "b";
    const std::string pk = table_a ? "id" : "k";
    const std::string c1 = "v";
    const std::string c2 = table_a ? "n" : "w";
    std::string sql;
    std::vector<Value> args;
    switch (rng() % 7) {
      case 0:
        sql = "INSERT OR REPLACE INTO " + t + " VALUES(?1, ?2, ?3)";
        args = {k, RandomValue(rng), int64_t(rng() % 100)};
        break;
      case 1:
        sql = "UPDATE " + t + " SET " + c1 + " = ?2, " + c2 + " = ?3 WHERE " + pk + " = ?1";
        args = {k, RandomValue(rng), RandomValue(rng)};
        break;
      case 2:
        sql = "DELETE FROM " + t + " WHERE " + pk + " = ?1";
        args = {k};
        break;
      case 3:  // key change, only when the new key is free
        sql = "UPDATE " + t + " SET " + pk + " = ?2 WHERE " + pk +
              " = ?1 AND NOT EXISTS "
              "(SELECT 1 FROM " +
              t + " WHERE " + pk + " = ?2)";
        args = {k, k2};
        break;
      case 4:  // key change replacing whatever row holds the new key
        sql = "UPDATE OR REPLACE " + t + " SET " + pk + " = ?2 WHERE " + pk + " = ?1";
        args = {k, k2};
        break;
      case 5:
        sql = "INSERT INTO " + t + " VALUES(?1, ?2, ?3) ON CONFLICT(" + pk + ") DO UPDATE SET " +
              c1 + " = excluded." + c1;
        args = {k, RandomValue(rng), RandomValue(rng)};
        break;
      default:
        sql = "INSERT OR IGNORE INTO " + t + " VALUES(?1, ?2, ?3)";
        args = {k, RandomValue(rng), int64_t(rng() % 100)};
        break;
    }
    HARMONY_ASSIGN_OR_RETURN(sqlite::Statement stmt, db.Prepare(sql));
    for (size_t i = 0; i < args.size(); ++i) {
      HARMONY_RETURN_IF_ERROR(stmt.Bind(static_cast<int>(i + 1), args[i]));
    }
    return stmt.Run();
  }

  void Write(int node, uint32_t seed, WriterReport* report) {
    auto db = Connect(node);  // busy_timeout 10 s by default
    if (!db.ok()) {
      report->error = db.status().ToString();
      return;
    }
    std::mt19937_64 rng(seed * 1000003ull + node);
    int done = 0;
    while (done < kOpsPerNode) {
      const int n = std::min(1 + static_cast<int>(rng() % 5), kOpsPerNode - done);
      // Each attempt replays the same statements: the generator state is saved first.
      const std::mt19937_64 saved = rng;
      Status s;
      for (int attempt = 0; attempt < 20; ++attempt) {
        rng = saved;
        s = db->Exec("BEGIN IMMEDIATE");
        for (int k = 0; k < n && s.ok(); ++k) s = RandomStatement(*db, rng);
        if (s.ok()) s = db->Exec("COMMIT");
        if (s.ok()) break;
        (void)db->Exec("ROLLBACK");
        ++report->retries;
      }
      if (!s.ok()) {
        report->error = "node " + std::to_string(node + 1) + ": " + s.ToString();
        return;
      }
      done += n;
      report->statements += n;
      ++report->transactions;
    }
  }

  // Every node has published all it captured, and all nodes applied the same stream positions.
  bool Quiescent() {
    const std::string positions =
        "SELECT group_concat(shard || ':' || stream_seq, ',') FROM "
        "(SELECT * FROM __harmony_apply_position ORDER BY shard)";
    const std::string first = Query(0, positions);
    for (int i = 0; i < 3; ++i) {
      if (Query(i, positions) != first) return false;
      if (Query(i,
                "SELECT coalesce(max(seq), 0) <= coalesce((SELECT value FROM __harmony_state "
                "WHERE key = 'published_seq'), 0) FROM __harmony_change_log") != "1") {
        return false;
      }
    }
    return true;
  }
};

TEST_P(RandomWritersTest, ConcurrentRandomWritersConverge) {
  const ConvergenceParam p = GetParam();
  std::printf("convergence: seed %u, shards %d, %d operations per node\n", p.seed, p.shards,
              kOpsPerNode);
  std::vector<WriterReport> reports(3);
  std::vector<std::thread> writers;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) writers.emplace_back([&, i] { Write(i, p.seed, &reports[i]); });
  for (std::thread& t : writers) t.join();
  const auto stopped = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(reports[i].error, "") << "writer of node " << i + 1;
    ASSERT_EQ(reports[i].statements, kOpsPerNode);
  }

  ASSERT_TRUE(WaitForSameData({}, std::chrono::seconds(60))) << "seed " << p.seed;
  const auto same = std::chrono::steady_clock::now();
  // Equal data could in principle be a passing moment with changes still in flight: also wait
  // until nothing is left to publish or apply, then compare once more.
  ASSERT_TRUE(PollUntil([&] { return Quiescent(); }, std::chrono::seconds(60),
                        std::chrono::milliseconds(20)))
      << "seed " << p.seed << ": changes still unpublished or unapplied";
  const auto quiet = std::chrono::steady_clock::now();
  EXPECT_EQ(DataDifference(0, 1), "") << "seed " << p.seed;
  EXPECT_EQ(DataDifference(0, 2), "") << "seed " << p.seed;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Query(i, "SELECT count(*) FROM __harmony_dead_letters"), "0") << "node " << i + 1;
    EXPECT_TRUE(NodeRunning(i)) << "node " << i + 1;
  }

  using ms = std::chrono::duration<double, std::milli>;
  std::printf(
      "convergence: seed %u, shards %d: writes took %.0f ms (%d/%d/%d transactions, %d retries); "
      "identical on all nodes %.0f ms after the writes stopped, fully applied after %.0f ms; "
      "final rows a=%s b=%s\n",
      p.seed, p.shards, ms(stopped - start).count(), reports[0].transactions,
      reports[1].transactions, reports[2].transactions,
      reports[0].retries + reports[1].retries + reports[2].retries, ms(same - stopped).count(),
      ms(quiet - stopped).count(), Query(0, "SELECT count(*) FROM a").c_str(),
      Query(0, "SELECT count(*) FROM b").c_str());
  std::fflush(stdout);
}

INSTANTIATE_TEST_SUITE_P(SeedsAndShards, RandomWritersTest,
                         ::testing::Values(ConvergenceParam{4, 1}, ConvergenceParam{4, 2},
                                           ConvergenceParam{4, 3}, ConvergenceParam{1, 1},
                                           ConvergenceParam{1, 2}, ConvergenceParam{1, 3}),
                         [](const ::testing::TestParamInfo<ConvergenceParam>& info) {
                           return "Shards" + std::to_string(info.param.shards) + "Seed" +
                                  std::to_string(info.param.seed);
                         });

}  // namespace
}  // namespace harmony::test
