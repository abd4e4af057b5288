#include "replication/database_checks.h"

#include <gtest/gtest.h>

#include "sqlite/database.h"
#include "tests/support/database_file.h"
#include "tests/support/temp_dir.h"

namespace harmony::replication {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

TEST(BusyReadAlarmTest, SpeaksOnceAfterLongBusyAndRearmsWhenReadsWork) {
  BusyReadAlarm alarm("app.db", milliseconds(50));
  EXPECT_FALSE(alarm.Note(false, Clock::now()));
  EXPECT_FALSE(alarm.Note(true, Clock::now()));  // busy, but not for long yet
  EXPECT_FALSE(alarm.alarmed());
  const auto long_ago = Clock::now() - milliseconds(100);
  BusyReadAlarm slow("app.db", milliseconds(50));
  EXPECT_TRUE(slow.Note(true, long_ago));  // one attempt that waited the whole busy timeout
  EXPECT_TRUE(slow.alarmed());
  EXPECT_FALSE(slow.Note(true, Clock::now()));  // once per episode
  EXPECT_FALSE(slow.Note(false, Clock::now()));
  EXPECT_FALSE(slow.alarmed());
  EXPECT_TRUE(slow.Note(true, long_ago));  // a new episode speaks again
}

TEST(BusyReadAlarmTest, ABreakInTheBusyRunStartsTheCountAgain) {
  BusyReadAlarm alarm("app.db", milliseconds(50));
  const auto long_ago = Clock::now() - milliseconds(100);
  EXPECT_FALSE(alarm.Note(true, Clock::now()));
  EXPECT_FALSE(alarm.Note(false, Clock::now()));
  // Busy since the first failed attempt of this run, not since the earlier one.
  EXPECT_FALSE(alarm.Note(true, Clock::now()));
  EXPECT_FALSE(alarm.Note(true, long_ago));
  EXPECT_FALSE(alarm.alarmed());
}

class CheckAtStartTest : public ::testing::Test {
 protected:
  void MakeDatabase() {
    sqlite::OpenOptions options;
    options.create = true;
    auto db = sqlite::Database::Open(path_, options);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE(db->Exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v);"
                         "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                         "WHERE i < 500) INSERT INTO t(v) SELECT i FROM n")
                    .ok());
    root_ = *db->QueryInt("SELECT rootpage FROM sqlite_schema WHERE name = 't'");
    page_size_ = static_cast<int>(*db->QueryInt("PRAGMA page_size"));
  }
  test::TempDir dir_;
  const std::string path_ = dir_.Sub("app.db");
  int64_t root_ = 0;
  int page_size_ = 0;
  std::stop_token never_stops_;  // no stop source
};

TEST_F(CheckAtStartTest, SoundDatabasePasses) {
  MakeDatabase();
  auto checked = CheckDatabaseAtStart(path_, never_stops_);
  ASSERT_TRUE(checked.ok()) << checked.status().ToString();
  EXPECT_TRUE(*checked);
}

TEST_F(CheckAtStartTest, CorruptDatabaseIsRefusedInOneLineNamingFileAndComplaint) {
  MakeDatabase();
  ASSERT_TRUE(test::CorruptPage(path_, root_, page_size_));
  auto checked = CheckDatabaseAtStart(path_, never_stops_);
  ASSERT_FALSE(checked.ok());
  const std::string& msg = checked.status().message();
  EXPECT_EQ(checked.status().code(), Status::Code::kCorruption);
  EXPECT_NE(msg.find("database " + path_ + " is corrupt"), std::string::npos) << msg;
  EXPECT_NE(msg.find("Page " + std::to_string(root_)), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

}  // namespace
}  // namespace harmony::replication
