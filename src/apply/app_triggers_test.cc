#include "apply/app_triggers.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace harmony::apply {
namespace {

class AppTriggersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sqlite::OpenOptions options;
    options.create = true;
    options.enable_triggers = false;  // as the apply connection
    auto db = sqlite::Database::Open(dir_.path() + "/app.db", options);
    ASSERT_TRUE(db.ok());
    db_ = std::make_unique<sqlite::Database>(std::move(db).value());
    ASSERT_TRUE(
        db_->Exec(
               "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, w TEXT);"
               "CREATE TABLE replicated(x); CREATE TABLE scratch(x); CREATE TABLE relay(x);"
               "CREATE VIRTUAL TABLE ft USING fts5(v, content='t', content_rowid='id');"
               "CREATE TRIGGER t_fts AFTER INSERT ON t BEGIN"
               "  INSERT INTO ft(rowid, v) VALUES(new.id, new.v); END;"
               "CREATE TRIGGER t_scratch AFTER UPDATE OF w ON t BEGIN"
               "  INSERT INTO scratch VALUES(new.w); END;"
               "CREATE TABLE c(id INTEGER PRIMARY KEY, ts INTEGER);"
               "CREATE TRIGGER c_check BEFORE INSERT ON c WHEN new.ts > 100 BEGIN"
               "  SELECT RAISE(ABORT, 'from the future'); END;"
               "CREATE TRIGGER c_log AFTER INSERT ON c BEGIN INSERT INTO scratch VALUES(new.ts); END;"
               "CREATE TABLE u(id INTEGER PRIMARY KEY);"
               "CREATE TRIGGER u_relay AFTER INSERT ON u BEGIN INSERT INTO relay VALUES(1); END;"
               "CREATE TRIGGER relay_on AFTER INSERT ON relay BEGIN"
               "  INSERT INTO replicated VALUES(2); END;"
               "CREATE TABLE __harmony_change_log(seq INTEGER PRIMARY KEY);"
               "CREATE TRIGGER __harmony_1_insert AFTER INSERT ON u BEGIN"
               "  INSERT INTO __harmony_change_log(seq) VALUES(NULL); END;")
            .ok());
  }

  TriggerPlan Plan(const std::string& table, const IsReplicatedFn& is_replicated) {
    auto all = ReadAppTriggers(*db_);
    EXPECT_TRUE(all.ok()) << all.status().ToString();
    auto plan = PlanTriggers(*db_, table, (*all)[table], is_replicated);
    EXPECT_TRUE(plan.ok()) << plan.status().ToString();
    return plan.ok() ? *plan : TriggerPlan{};
  }

  test::TempDir dir_;
  std::unique_ptr<sqlite::Database> db_;
};

TEST_F(AppTriggersTest, ReadsTheApplicationsTriggersButNotHarmonys) {
  auto all = ReadAppTriggers(*db_);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ((*all)["T"], (std::vector<std::string>{"t_fts", "t_scratch"}));
  EXPECT_EQ((*all)["u"], (std::vector<std::string>{"u_relay"}));
}

TEST_F(AppTriggersTest, TriggersWritingOnlyUnreplicatedTablesRun) {
  // scratch is ignored by the node's patterns; ft is virtual (never replicated).
  TriggerPlan plan = Plan("t", [](const std::string& table) { return table != "scratch"; });
  EXPECT_EQ(plan.derived, (std::vector<std::string>{"t_fts", "t_scratch"}));
  EXPECT_TRUE(plan.replicated_writers.empty());
  EXPECT_TRUE(plan.fire());
  // Planning leaves the connection as it was.
  auto on = TriggersEnabled(*db_);
  ASSERT_TRUE(on.ok());
  EXPECT_FALSE(*on);
}

TEST_F(AppTriggersTest, ATriggerWritingAReplicatedTableKeepsAllOfThemFromRunning) {
  TriggerPlan plan = Plan("t", nullptr);  // every ordinary table replicated, scratch included
  EXPECT_EQ(plan.derived, (std::vector<std::string>{"t_fts"}));
  ASSERT_EQ(plan.replicated_writers.size(), 1u);
  EXPECT_NE(plan.replicated_writers[0].find("\"t_scratch\" writes replicated table \"scratch\""),
            std::string::npos);
  EXPECT_FALSE(plan.fire());
}

TEST_F(AppTriggersTest, AWriteThroughANestedTriggerCounts) {
  // u_relay writes only relay (ignored), but relay's own trigger writes a replicated table.
  TriggerPlan plan = Plan("u", [](const std::string& table) { return table != "relay"; });
  EXPECT_FALSE(plan.fire());
  ASSERT_EQ(plan.replicated_writers.size(), 1u);
  EXPECT_NE(plan.replicated_writers[0].find("\"relay_on\""), std::string::npos);
}

// A check the origin passed could refuse the row here (a clock, a lock flag): a trigger that
// writes nothing keeps the table's derived triggers from running too.
TEST_F(AppTriggersTest, ATriggerThatWritesNothingIsACheckAndKeepsAllFromRunning) {
  TriggerPlan plan = Plan("c", [](const std::string& table) { return table != "scratch"; });
  EXPECT_EQ(plan.derived, (std::vector<std::string>{"c_log"}));
  ASSERT_EQ(plan.replicated_writers.size(), 1u);
  EXPECT_NE(plan.replicated_writers[0].find("\"c_check\" writes no table"), std::string::npos);
  EXPECT_FALSE(plan.fire());
}

TEST_F(AppTriggersTest, NoTriggersNothingToRun) {
  TriggerPlan plan = Plan("replicated", nullptr);
  EXPECT_TRUE(plan.derived.empty());
  EXPECT_FALSE(plan.fire());
}

}  // namespace
}  // namespace harmony::apply
