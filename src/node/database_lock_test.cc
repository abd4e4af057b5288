#include "node/database_lock.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "tests/support/temp_dir.h"

namespace harmony::node {
namespace {

class DatabaseLockTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
  const std::string db_ = dir_.Sub("app.db");
};

TEST_F(DatabaseLockTest, SecondHolderIsRefusedWithTheDatabaseAndThePid) {
  auto first = DatabaseLock::Acquire(db_);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  // flock conflicts between two open files even in one process, as between two processes.
  auto second = DatabaseLock::Acquire(db_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(second.status().message().find("database " + db_), std::string::npos)
      << second.status().message();
  EXPECT_NE(second.status().message().find("pid " + std::to_string(getpid())), std::string::npos)
      << second.status().message();
}

TEST_F(DatabaseLockTest, ReleasedWithTheObject) {
  { ASSERT_TRUE(DatabaseLock::Acquire(db_).ok()); }
  EXPECT_TRUE(DatabaseLock::Acquire(db_).ok());
}

TEST_F(DatabaseLockTest, DeletedLockFileIsALostLock) {
  auto lock = DatabaseLock::Acquire(db_);
  ASSERT_TRUE(lock.ok());
  EXPECT_TRUE((*lock)->CheckHeld().ok());
  std::filesystem::remove(LockFilePath(db_));
  Status s = (*lock)->CheckHeld();
  EXPECT_EQ(s.code(), Status::Code::kIoError);
  EXPECT_NE(s.message().find(db_), std::string::npos) << s.message();
}

TEST_F(DatabaseLockTest, RemovedFileCanBeLockedAgainAtOnce) {
  auto lock = DatabaseLock::Acquire(db_);
  ASSERT_TRUE(lock.ok());
  ASSERT_TRUE((*lock)->RemoveFile().ok());
  EXPECT_FALSE(std::filesystem::exists(LockFilePath(db_)));
  // A new file at the path is a new lock: the old holder no longer guards the database.
  auto next = DatabaseLock::Acquire(db_);
  EXPECT_TRUE(next.ok()) << next.status().ToString();
}

}  // namespace
}  // namespace harmony::node
