// End-to-end, issue #9 item 2: two nodes insert rows with different keys but the same value of a
// secondary UNIQUE column before either sees the other's; every node must end with the same row
// (the later one in stream order), 20 times in a row. With 1 and 4 shards: a table with a UNIQUE
// constraint besides its key is sent in one shard, so the two rows are ordered on every node.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <string>
#include <thread>

#include "tests/e2e/cluster_fixture.h"

namespace harmony::test {
namespace {

class UniqueConflictTest : public ClusterTest, public ::testing::WithParamInterface<int> {
 protected:
  std::string Schema() const override {
    return "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT);";
  }
  std::string ExtraConfig(int) const override {
    return "[replication_log]\nshards = " + std::to_string(GetParam()) + "\n";
  }
  // Stops node i's sidecar at a moment it holds no write lock on its database (stopped inside an
  // apply transaction it would make the test's own writes there wait on it); tries again after
  // letting it run on otherwise.
  void Pause(int i) {
    for (int attempt = 0; attempt < 200; ++attempt) {
      ASSERT_EQ(kill(nodes_[i].process->pid(), SIGSTOP), 0);
      auto db = Connect(i);
      ASSERT_TRUE(db.ok()) << db.status().ToString();
      if (db->Exec("PRAGMA busy_timeout = 0; BEGIN IMMEDIATE; ROLLBACK").ok()) return;
      Resume(i);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // back-off, not a wait
    }
    FAIL() << "node " << i + 1 << "'s sidecar held its write lock at every try";
  }
  void Resume(int i) { ASSERT_EQ(kill(nodes_[i].process->pid(), SIGCONT), 0); }
};

TEST_P(UniqueConflictTest, ConcurrentInsertsOfOneUniqueValueEndWithTheSameRowEverywhere) {
  for (int round = 0; round < 20; ++round) {
    const std::string email = "'u" + std::to_string(round) + "@x'";
    const std::string id1 = std::to_string(1000 + round * 2);
    const std::string id2 = std::to_string(1001 + round * 2);
    // With both sidecars stopped, neither node can see the other's insert before making its own.
    Pause(0);
    Pause(1);
    Exec(0, "INSERT INTO users VALUES(" + id1 + ", " + email + ", 'from 1')");
    Exec(1, "INSERT INTO users VALUES(" + id2 + ", " + email + ", 'from 2')");
    Resume(round % 2);
    Resume(1 - round % 2);
    ASSERT_TRUE(WaitForSameData({"users"})) << "round " << round;
    EXPECT_EQ(Query(2, "SELECT count(*) FROM users WHERE email = " + email), "1")
        << "round " << round;
    // The losing insert is recorded on the node whose row won.
    const int winner =
        Query(2, "SELECT name FROM users WHERE email = " + email) == "from 1" ? 0 : 1;
    EXPECT_EQ(Query(winner,
                    "SELECT count(*) FROM __harmony_conflicts WHERE kind = 'unique' AND "
                    "json_extract(losing_values, '$[1]') = " +
                        email),
              "1")
        << "round " << round;
  }
  EXPECT_EQ(Query(0, "SELECT count(*) FROM users"), "20");
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(NodeRunning(i));
}

TEST_P(UniqueConflictTest, ConcurrentWritesOfOneRowKeepTheLosingVersionOnTheWinnersNode) {
  // Issue #9 item 9: last writer wins, and the version that lost is kept where it can be seen.
  Exec(0, "INSERT INTO users VALUES(1, 'one@x', 'first')");
  ASSERT_TRUE(WaitForSameData({"users"}));
  for (int round = 0; round < 5; ++round) {
    const std::string a = "'a" + std::to_string(round) + "'";
    const std::string b = "'b" + std::to_string(round) + "'";
    Pause(0);
    Pause(1);
    Exec(0, "UPDATE users SET name = " + a + " WHERE id = 1");
    Exec(1, "UPDATE users SET name = " + b + " WHERE id = 1");
    Resume(0);
    Resume(1);
    ASSERT_TRUE(WaitForSameData({"users"}));
    const std::string won = Query(2, "SELECT name FROM users WHERE id = 1");
    ASSERT_TRUE(won == a.substr(1, 2) || won == b.substr(1, 2)) << won;
    const std::string lost = won == a.substr(1, 2) ? b.substr(1, 2) : a.substr(1, 2);
    const int winner = won == a.substr(1, 2) ? 0 : 1;
    // The winner's node saw the other change arrive while its own was still on its way.
    EXPECT_TRUE(WaitFor(
        winner,
        "SELECT count(*) FROM __harmony_conflicts WHERE tbl = 'users' AND kind = "
        "'row' AND losing_op = 'upsert' AND json_extract(losing_values, '$[2]') = '" +
            lost + "' AND json_extract(key, '$[0]') = 1 AND losing_origin = " +
            std::to_string(2 - winner) + " AND winning_origin = " + std::to_string(winner + 1),
        "1"))
        << "round " << round << ": lost " << lost;
  }
  // Writes that saw each other are no conflict.
  const std::string before = Query(0, "SELECT count(*) FROM __harmony_conflicts");
  Exec(0, "UPDATE users SET name = 'later' WHERE id = 1");
  ASSERT_TRUE(WaitForSameData({"users"}));
  Exec(1, "UPDATE users SET name = 'after that' WHERE id = 1");
  ASSERT_TRUE(WaitForSameData({"users"}));
  EXPECT_EQ(Query(0, "SELECT count(*) FROM __harmony_conflicts"), before);
  EXPECT_EQ(Query(1,
                  "SELECT count(*) FROM __harmony_conflicts WHERE json_extract(losing_values, "
                  "'$[2]') = 'later'"),
            "0");
}

INSTANTIATE_TEST_SUITE_P(Shards, UniqueConflictTest, ::testing::Values(1, 4),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return "Shards" + std::to_string(info.param);
                         });

}  // namespace
}  // namespace harmony::test
