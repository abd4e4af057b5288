// End-to-end, issue #9 item 2: two nodes insert rows with different keys but the same value of a
// secondary UNIQUE column before either sees the other's; every node must end with the same row
// (the later one in stream order), 20 times in a row.
#include <gtest/gtest.h>
#include <signal.h>

#include <string>

#include "tests/e2e/cluster_fixture.h"

namespace harmony::test {
namespace {

class UniqueConflictTest : public ClusterTest {
 protected:
  std::string Schema() const override {
    return "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT);";
  }
  void Pause(int i) { ASSERT_EQ(kill(nodes_[i].process->pid(), SIGSTOP), 0); }
  void Resume(int i) { ASSERT_EQ(kill(nodes_[i].process->pid(), SIGCONT), 0); }
};

TEST_F(UniqueConflictTest, ConcurrentInsertsOfOneUniqueValueEndWithTheSameRowEverywhere) {
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
  }
  EXPECT_EQ(Query(0, "SELECT count(*) FROM users"), "20");
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(NodeRunning(i));
}

}  // namespace
}  // namespace harmony::test
