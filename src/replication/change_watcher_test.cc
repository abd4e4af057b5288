#include "replication/change_watcher.h"

#include <gtest/gtest.h>

#include <thread>

#include "sqlite/database.h"
#include "tests/support/temp_dir.h"

namespace harmony::replication {
namespace {

TEST(ChangeWatcherTest, ACommitFromAnotherConnectionWakesTheWaiter) {
  test::TempDir dir;
  const std::string path = dir.path() + "/w.db";
  sqlite::OpenOptions options;
  options.create = true;
  auto db = sqlite::Database::Open(path, options);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(db->Exec("CREATE TABLE t(x)").ok());
  auto watcher = ChangeWatcher::Open(path);
  ASSERT_TRUE(watcher.ok()) << watcher.status().ToString();
  (*watcher)->Wait(std::chrono::milliseconds(0));  // consume what setup wrote
  EXPECT_FALSE((*watcher)->Wait(std::chrono::milliseconds(50)));
  ASSERT_TRUE(db->Exec("INSERT INTO t VALUES(1)").ok());
  EXPECT_TRUE((*watcher)->Wait(std::chrono::seconds(10)));
}

TEST(ChangeWatcherTest, WakeInterruptsAWait) {
  test::TempDir dir;
  auto watcher = ChangeWatcher::Open(dir.path() + "/none.db");
  ASSERT_TRUE(watcher.ok());
  std::thread waker([&] { (*watcher)->Wake(); });
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE((*watcher)->Wait(std::chrono::seconds(30)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  waker.join();
}

}  // namespace
}  // namespace harmony::replication
