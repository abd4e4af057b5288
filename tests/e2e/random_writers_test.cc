// End-to-end: concurrent random writers on all three nodes over a small hot key space; once they
// stop, every node ends with the same data. Prints how long convergence took. Besides plain
// INTEGER and TEXT keys, the tables' keys exercise row identity (#9): NOCASE and RTRIM keys
// written in spellings SQLite considers equal, an untyped key written as INTEGER or equal REAL,
// and keys that are NULL (each such row distinct); and a secondary UNIQUE column whose values
// collide between rows (issue #9 item 2), written with OR REPLACE as an application must.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iterator>
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

// One table of the mix: its name, key column and second value column.
struct MixTable {
  const char* name;
  const char* pk;
  const char* c2;
};

constexpr MixTable kTables[] = {
    {"a", "id", "n"},  // INTEGER PRIMARY KEY
    {"b", "k", "w"},   // TEXT key
    {"c", "k", "w"},   // TEXT COLLATE NOCASE key
    {"d", "k", "w"},   // TEXT COLLATE RTRIM key
    {"e", "k", "w"},   // untyped key: INTEGER, equal REAL, or NULL
    {"f", "k", "w"},   // TEXT key that is sometimes NULL
    {"g", "id", "w"},  // INTEGER PRIMARY KEY and a UNIQUE column w with few values
    {"h", "k", "w"},   // no key at all: rows identified by content (issue #10, item 3)
    {"i", "k", "w"},   // no PRIMARY KEY: keyed by a UNIQUE index on NOT NULL NOCASE k
};
constexpr int kUniqueTable = 6;
constexpr int kNoKeyTable = 7;
constexpr int kIndexKeyTable = 8;

// Key number `n` of table `t`, spelled one of the ways SQLite considers the same key.
Value RandomKey(int t, int n, std::mt19937_64& rng) {
  const std::string name = "k" + std::to_string(n);
  switch (t) {
    case 0:
    case kUniqueTable:
      return int64_t{n};
    case 2:  // NOCASE: random ASCII case
    case kIndexKeyTable: {
      std::string k = name;
      for (char& ch : k) {
        if (rng() % 2 && ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
      }
      return Text{k};
    }
    case 3:  // RTRIM: up to two trailing spaces
      return Text{name + std::string(rng() % 3, ' ')};
    case 4:
      if (rng() % 8 == 0) return Null{};
      if (rng() % 2) return static_cast<double>(n);
      return int64_t{n};
    case 5:
      if (rng() % 4 == 0) return Null{};
      return Text{name};
    default:
      return Text{name};
  }
}

class RandomWritersTest : public ClusterTest,
                          public ::testing::WithParamInterface<ConvergenceParam> {
 protected:
  std::string Schema() const override {
    return "CREATE TABLE a(id INTEGER PRIMARY KEY, v, n INTEGER);"
           "CREATE TABLE b(k TEXT PRIMARY KEY, v INTEGER, w);"
           "CREATE TABLE c(k TEXT COLLATE NOCASE PRIMARY KEY, v, w);"
           "CREATE TABLE d(k TEXT COLLATE RTRIM PRIMARY KEY, v, w);"
           "CREATE TABLE e(k PRIMARY KEY, v, w);"
           "CREATE TABLE f(k TEXT PRIMARY KEY, v, w);"
           "CREATE TABLE g(id INTEGER PRIMARY KEY, v, w UNIQUE);"
           "CREATE TABLE h(k, v, w);"
           "CREATE TABLE i(k TEXT NOT NULL COLLATE NOCASE, v, w); CREATE UNIQUE INDEX i_k ON i(k);";
  }
  std::string ExtraConfig(int) const override {
    return "[replication_log]\nshards = " + std::to_string(GetParam().shards) + "\n";
  }

  // One statement of the random mix, bound and run on `db`.
  static Status RandomStatement(sqlite::Database& db, std::mt19937_64& rng) {
    const int table = static_cast<int>(rng() % std::size(kTables));
    const int key = 1 + static_cast<int>(rng() % kKeys);
    const int other = 1 + static_cast<int>(rng() % kKeys);
    Value k = RandomKey(table, key, rng);
    Value k2 = RandomKey(table, other, rng);
    const std::string t = kTables[table].name;
    const std::string pk = kTables[table].pk;
    const std::string c1 = "v";
    const std::string c2 = kTables[table].c2;
    std::string sql;
    std::vector<Value> args;
    // g's w collides between rows: statements that may meet a collision replace the other row
    // (plain INSERT or UPDATE would fail with a UNIQUE constraint error).
    const bool unique = table == kUniqueTable;
    const std::string or_replace = unique ? " OR REPLACE" : "";
    auto value2 = [&]() -> Value {
      return unique ? Value{int64_t(rng() % 8)} : RandomValue(rng);
    };
    switch (rng() % 7) {
      case 0:
        sql = "INSERT OR REPLACE INTO " + t + " VALUES(?1, ?2, ?3)";
        args = {k, RandomValue(rng), unique ? value2() : Value{int64_t(rng() % 100)}};
        break;
      case 1:
        // IS: with a NULL key this updates every NULL-key row, which may leave identical rows.
        sql = "UPDATE" + or_replace + " " + t + " SET " + c1 + " = ?2, " + c2 + " = ?3 WHERE " +
              pk + " IS ?1";
        args = {k, RandomValue(rng), value2()};
        break;
      case 2:
        sql = "DELETE FROM " + t + " WHERE " + pk + " IS ?1";
        args = {k};
        break;
      case 3:  // key change of one keyed row, only when the new key is free
        sql = "UPDATE " + t + " SET " + pk + " = ?2 WHERE " + pk +
              " = ?1 AND NOT EXISTS "
              "(SELECT 1 FROM " +
              t + " WHERE " + pk + " = ?2)";
        args = {k, k2};
        break;
      case 4:  // key change replacing whatever row holds the new key
        sql = "UPDATE OR REPLACE " + t + " SET " + pk + " = ?2 WHERE " + pk + " IS ?1";
        args = {k, k2};
        break;
      case 5:
        // For g the upsert's insert may still collide on w: replace instead.
        // h has no unique index to conflict on; i's key index compares with NOCASE.
        sql = unique ? "INSERT OR REPLACE INTO " + t + " VALUES(?1, ?2, ?3)"
              : table == kNoKeyTable
                  ? "INSERT INTO " + t + " VALUES(?1, ?2, ?3)"
                  : "INSERT INTO " + t + " VALUES(?1, ?2, ?3) ON CONFLICT(" + pk +
                        (table == kIndexKeyTable ? " COLLATE NOCASE" : "") + ") DO UPDATE SET " +
                        c1 + " = excluded." + c1;
        args = {k, RandomValue(rng), value2()};
        break;
      default:
        sql = "INSERT OR IGNORE INTO " + t + " VALUES(?1, ?2, ?3)";
        args = {k, RandomValue(rng), unique ? value2() : Value{int64_t(rng() % 100)}};
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
      "final rows a=%s b=%s c=%s d=%s e=%s f=%s\n",
      p.seed, p.shards, ms(stopped - start).count(), reports[0].transactions,
      reports[1].transactions, reports[2].transactions,
      reports[0].retries + reports[1].retries + reports[2].retries, ms(same - stopped).count(),
      ms(quiet - stopped).count(), Query(0, "SELECT count(*) FROM a").c_str(),
      Query(0, "SELECT count(*) FROM b").c_str(), Query(0, "SELECT count(*) FROM c").c_str(),
      Query(0, "SELECT count(*) FROM d").c_str(), Query(0, "SELECT count(*) FROM e").c_str(),
      Query(0, "SELECT count(*) FROM f").c_str());
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
