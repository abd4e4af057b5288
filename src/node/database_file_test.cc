#include "node/database_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "sqlite/database.h"
#include "tests/support/lock_probe.h"
#include "tests/support/temp_dir.h"

namespace harmony::node {
namespace {

namespace fs = std::filesystem;

class DatabaseFileTest : public ::testing::Test {
 protected:
  // A database file as PrepareDatabaseFile creates it for a new node.
  void Create() {
    auto created = PrepareDatabaseFile(path_, /*snapshots=*/true);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    ASSERT_TRUE(*created);
  }
  sqlite::Database Connect() {
    auto db = sqlite::Database::Open(path_, {});
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return std::move(db).value();
  }

  test::TempDir dir_;
  const std::string path_ = dir_.Sub("app.db");
};

TEST_F(DatabaseFileTest, AMissingFileIsCreatedOnlyWhenSnapshotsCanFillIt) {
  auto refused = PrepareDatabaseFile(path_, /*snapshots=*/false);
  EXPECT_EQ(refused.status().code(), Status::Code::kNotFound);
  EXPECT_NE(refused.status().message().find(path_), std::string::npos);
  EXPECT_FALSE(fs::exists(path_));
  Create();
  EXPECT_TRUE(fs::exists(path_));
  auto again = PrepareDatabaseFile(path_, true);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again) << "an existing file is not created";
  EXPECT_EQ(PrepareDatabaseFile(dir_.path(), true).status().code(), Status::Code::kInvalidArgument);
}

TEST_F(DatabaseFileTest, AnUnfilledFileNobodyUsesIsRemovedWithItsSidecars) {
  Create();
  {
    sqlite::Database db = Connect();  // harmony's own objects do not make it the app's
    ASSERT_TRUE(db.Exec("CREATE TABLE __harmony_state(key TEXT PRIMARY KEY, value)").ok());
  }
  const Status s = RefuseUnfilledDatabase(path_);
  EXPECT_EQ(s.code(), Status::Code::kNotFound) << s.ToString();
  EXPECT_NE(s.message().find("check db_path for a typo"), std::string::npos) << s.message();
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    EXPECT_FALSE(fs::exists(path_ + suffix)) << suffix;
  }
}

TEST_F(DatabaseFileTest, AnUnfilledFileTheAppHasCreatedATableInIsKept) {
  Create();
  {
    sqlite::Database app = Connect();
    ASSERT_TRUE(app.Exec("CREATE TABLE orders(id INTEGER PRIMARY KEY); "
                         "INSERT INTO orders VALUES(1)")
                    .ok());
  }
  EXPECT_TRUE(RefuseUnfilledDatabase(path_).ok());
  sqlite::Database app = Connect();
  auto rows = app.QueryInt("SELECT count(*) FROM orders");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(*rows, 1);
}

TEST_F(DatabaseFileTest, AnUnfilledFileAnotherConnectionHasOpenIsKept) {
  Create();
  sqlite::Database app = Connect();
  ASSERT_TRUE(app.QueryInt("SELECT count(*) FROM sqlite_schema").ok());  // it has read it
  EXPECT_TRUE(RefuseUnfilledDatabase(path_).ok());
  EXPECT_TRUE(fs::exists(path_));
  // The app's connection still works on the same file and can write.
  EXPECT_TRUE(app.Exec("CREATE TABLE later(x)").ok());
  EXPECT_TRUE(fs::exists(path_));
}

// The real case: the application is another process, whose lock only the kernel knows of.
TEST_F(DatabaseFileTest, AnUnfilledFileAnotherProcessHasOpenIsKept) {
  Create();
  {
    test::DatabaseHolder app(path_);
    ASSERT_TRUE(app.ok());
    EXPECT_TRUE(RefuseUnfilledDatabase(path_).ok());
    EXPECT_TRUE(fs::exists(path_));
  }
  // Once it has closed, nobody uses the file: removed.
  EXPECT_EQ(RefuseUnfilledDatabase(path_).code(), Status::Code::kNotFound);
  EXPECT_FALSE(fs::exists(path_));
}

}  // namespace
}  // namespace harmony::node
