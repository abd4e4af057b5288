#include "replication/background_error.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <filesystem>
#include <thread>

#include "sqlite/database.h"
#include "tests/support/database_file.h"
#include "tests/support/temp_dir.h"

namespace harmony::replication {
namespace {

bool Readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
}

TEST(BackgroundErrorTest, TheFirstErrorWinsAndOkIsIgnored) {
  BackgroundError errors;
  EXPECT_FALSE(errors.Record(Status::Ok()));
  EXPECT_FALSE(errors.failed());
  EXPECT_TRUE(errors.Record(Status::Corruption("publish: database disk image is malformed")));
  EXPECT_FALSE(errors.Record(Status::IoError("apply: disk I/O error")));
  EXPECT_TRUE(errors.failed());
  EXPECT_EQ(errors.Get().code(), Status::Code::kCorruption);
  EXPECT_EQ(errors.Get().message(), "publish: database disk image is malformed");
}

TEST(BackgroundErrorTest, WaitersWakeWhenAnotherThreadRecords) {
  BackgroundError errors;
  ASSERT_GE(errors.wake_fd(), 0);
  EXPECT_FALSE(Readable(errors.wake_fd()));
  EXPECT_FALSE(errors.WaitFor(std::chrono::milliseconds(1)));
  std::thread worker([&] { errors.Record(Status::IoError("lost")); });
  EXPECT_TRUE(errors.WaitFor(std::chrono::seconds(10)));
  worker.join();
  EXPECT_TRUE(Readable(errors.wake_fd()));
  EXPECT_TRUE(Readable(errors.wake_fd()));  // stays readable for every later look
}

class ClassifyTest : public ::testing::Test {
 protected:
  sqlite::Database Open() {
    sqlite::OpenOptions options;
    options.create = true;
    auto db = sqlite::Database::Open(path_, options);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return std::move(db).value();
  }
  test::TempDir dir_;
  const std::string path_ = dir_.Sub("app.db");
};

TEST_F(ClassifyTest, CorruptDatabaseIsUnrecoverable) {
  int64_t root = 0, page_size = 0;
  {
    sqlite::Database db = Open();
    ASSERT_TRUE(db.Exec("CREATE TABLE t(id INTEGER PRIMARY KEY); INSERT INTO t VALUES(1)").ok());
    root = *db.QueryInt("SELECT rootpage FROM sqlite_schema WHERE name = 't'");
    page_size = *db.QueryInt("PRAGMA page_size");
  }
  ASSERT_TRUE(test::CorruptPage(path_, root, static_cast<int>(page_size)));
  sqlite::Database db = Open();
  Status s = db.QueryInt("SELECT count(*) FROM t").status();
  EXPECT_TRUE(IsUnrecoverable(s)) << s.ToString();
}

TEST_F(ClassifyTest, DatabaseThatCannotBeWrittenIsUnrecoverable) {
  sqlite::OpenOptions rollback;  // where SQLite notices a deleted file: SQLITE_READONLY_DBMOVED
  rollback.create = true;
  rollback.wal = false;
  auto opened = sqlite::Database::Open(path_, rollback);
  ASSERT_TRUE(opened.ok());
  sqlite::Database& db = *opened;
  ASSERT_TRUE(db.Exec("CREATE TABLE t(v)").ok());
  std::filesystem::remove(path_);
  Status s = db.Exec("INSERT INTO t VALUES(1)");
  EXPECT_TRUE(IsUnrecoverable(s)) << s.ToString();
}

TEST_F(ClassifyTest, BusyLockedAndFullAreRetried) {
  sqlite::Database writer = Open();
  ASSERT_TRUE(writer.Exec("CREATE TABLE t(v); INSERT INTO t VALUES(1)").ok());
  sqlite::OpenOptions impatient;
  impatient.busy_timeout_ms = 0;
  auto other = sqlite::Database::Open(path_, impatient);
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(writer.Exec("BEGIN IMMEDIATE; INSERT INTO t VALUES(2)").ok());
  Status busy = other->Exec("INSERT INTO t VALUES(3)");
  ASSERT_FALSE(busy.ok());
  EXPECT_FALSE(IsUnrecoverable(busy)) << busy.ToString();
  ASSERT_TRUE(writer.Exec("COMMIT").ok());

  // SQLITE_LOCKED: the same connection drops a table it is still reading.
  auto reading = writer.Prepare("SELECT v FROM t");
  ASSERT_TRUE(reading.ok());
  ASSERT_TRUE(*reading->Step());
  Status locked = writer.Exec("DROP TABLE t");
  ASSERT_FALSE(locked.ok());
  EXPECT_FALSE(IsUnrecoverable(locked)) << locked.ToString();
  reading->Reset();

  ASSERT_TRUE(writer.Exec("PRAGMA max_page_count = 3").ok());
  Status full = writer.Exec("INSERT INTO t VALUES(zeroblob(100000))");
  ASSERT_FALSE(full.ok());
  EXPECT_FALSE(IsUnrecoverable(full)) << full.ToString();
}

TEST(ClassifyCodesTest, OnlyCorruptionAndIoErrorsStopTheNode) {
  EXPECT_TRUE(IsUnrecoverable(Status::Corruption("x")));
  EXPECT_TRUE(IsUnrecoverable(Status::IoError("x")));
  EXPECT_FALSE(IsUnrecoverable(Status::Ok()));
  EXPECT_FALSE(IsUnrecoverable(Status::Unavailable("broker unreachable")));
  EXPECT_FALSE(IsUnrecoverable(Status::NotFound("x")));
  EXPECT_FALSE(IsUnrecoverable(Status::Internal("x")));
  EXPECT_FALSE(IsUnrecoverable(Status::InvalidArgument("x")));
  EXPECT_FALSE(IsUnrecoverable(Status::Cancelled("x")));
}

}  // namespace
}  // namespace harmony::replication
