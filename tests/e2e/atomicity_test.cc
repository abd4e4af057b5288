// End-to-end: with one shard, a source transaction split over many messages appears on a peer
// all at once.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <set>
#include <string>
#include <thread>

#include "tests/e2e/cluster_fixture.h"

namespace harmony::test {
namespace {

constexpr int kRows = 5000;

class AtomicityTest : public ClusterTest {
 protected:
  std::string Schema() const override {
    return "CREATE TABLE big(id INTEGER PRIMARY KEY, v TEXT);";
  }
  // 5,000 changes in parts of at most 100: about 50 messages for one transaction.
  std::string ExtraConfig(int) const override {
    return "scan_max_changes = 100\n[replication_log]\nshards = 1\n";
  }

  // Runs `write` on node 1 while node 2 evaluates `count_sql` in a tight loop (each evaluation
  // its own read transaction) until it gives `final`. Returns every value node 2 saw.
  std::set<int64_t> Observe(const std::string& count_sql, int64_t final, const std::string& write) {
    std::set<int64_t> seen;
    int64_t reads = 0;
    std::atomic<bool> started{false};
    std::atomic<bool> reached{false};
    std::string error;
    std::thread observer([&] {
      sqlite::OpenOptions options;
      options.wal = false;
      options.read_only = true;
      auto db = Connect(1, options);
      if (!db.ok()) {
        error = db.status().ToString();
        started = true;
        return;
      }
      auto stmt = db->Prepare(count_sql);
      if (!stmt.ok()) {
        error = stmt.status().ToString();
        started = true;
        return;
      }
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      while (std::chrono::steady_clock::now() < deadline) {
        auto row = stmt->Step();
        if (!row.ok()) {
          error = row.status().ToString();
          break;
        }
        const int64_t n = stmt->ColumnInt(0);
        stmt->Reset();
        seen.insert(n);
        ++reads;
        started = true;
        if (n == final) {
          reached = true;
          break;
        }
      }
      started = true;
    });
    while (!started) std::this_thread::yield();  // the first read happened before the write
    Exec(0, write);
    observer.join();
    EXPECT_EQ(error, "");
    EXPECT_TRUE(reached) << count_sql << " never reached " << final << " on node 2";
    std::printf("atomicity: %s: node 2 read %lld times, saw %s\n", write.substr(0, 30).c_str(),
                static_cast<long long>(reads), Show(seen).c_str());
    return seen;
  }

  static std::string Show(const std::set<int64_t>& seen) {
    std::string out;
    for (int64_t n : seen) out += (out.empty() ? "" : ", ") + std::to_string(n);
    return "{" + out + "}";
  }
};

TEST_F(AtomicityTest, ManyPartTransactionAppearsOnPeerAllAtOnce) {
  auto inserted =
      Observe("SELECT count(*) FROM big", kRows,
              "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)"
              " INSERT INTO big SELECT i, printf('%.80d', i) FROM n");
  EXPECT_EQ(inserted, (std::set<int64_t>{0, kRows})) << "node 2 saw counts " << Show(inserted);

  auto updated =
      Observe("SELECT count(*) FROM big WHERE v = 'second'", kRows, "UPDATE big SET v = 'second'");
  EXPECT_EQ(updated, (std::set<int64_t>{0, kRows})) << "node 2 saw counts " << Show(updated);

  auto deleted = Observe("SELECT count(*) FROM big", kRows / 2, "DELETE FROM big WHERE id % 2 = 0");
  EXPECT_EQ(deleted, (std::set<int64_t>{kRows, kRows / 2}))
      << "node 2 saw counts " << Show(deleted);

  EXPECT_TRUE(WaitForSameData({"big"}));
}

}  // namespace
}  // namespace harmony::test
