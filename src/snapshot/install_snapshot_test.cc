#include <gtest/gtest.h>

#include <filesystem>

#include "snapshot/snapshot_file.h"
#include "snapshot/snapshot_test_util.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace harmony::snapshot {
namespace {

namespace fs = std::filesystem;
using test::IsOk;
using testing_util::Exec;

class InstallSnapshotTest : public ::testing::Test {
 protected:
  // An extracted snapshot of an application database with 100 items.
  std::string MakeSource() {
    testing_util::MakeAppDatabase(dir_.Sub("app.db"));
    auto m = CreateSnapshot(dir_.Sub("app.db"), dir_.Sub("work"), dir_.Sub("snap.zst"), 1);
    EXPECT_TRUE(IsOk(m));
    EXPECT_TRUE(IsOk(ExtractSnapshot(*m, dir_.Sub("snap.zst"), dir_.Sub("source.db"))));
    return dir_.Sub("source.db");
  }

  static std::string JournalMode(sqlite::Database& db) {
    auto q = db.Prepare("PRAGMA journal_mode");
    EXPECT_TRUE(IsOk(q));
    EXPECT_TRUE(*q->Step());
    return q->ColumnText(0);
  }

  test::TempDir dir_;
};

TEST_F(InstallSnapshotTest, ConnectionHoldingTheTargetSeesTheSnapshotAtItsNextTransaction) {
  const std::string source = MakeSource();
  const std::string target = dir_.Sub("target.db");
  sqlite::Database other = testing_util::Open(target);  // WAL, like every harmony database
  Exec(other, "CREATE TABLE mine(a); INSERT INTO mine VALUES(1), (2)");
  ASSERT_EQ(JournalMode(other), "wal");

  // A read transaction open across the install keeps seeing the old content, whole.
  Exec(other, "BEGIN");
  EXPECT_EQ(*other.QueryInt("SELECT count(*) FROM mine"), 2);
  ASSERT_TRUE(IsOk(InstallSnapshot(source, target)));
  EXPECT_EQ(*other.QueryInt("SELECT count(*) FROM mine"), 2);
  Exec(other, "COMMIT");

  EXPECT_EQ(*other.QueryInt("SELECT count(*) FROM items"), 100);
  EXPECT_EQ(*other.QueryInt("SELECT count(*) FROM sqlite_schema WHERE name = 'mine'"), 0);
  EXPECT_EQ(JournalMode(other), "wal");
  // The installed schema works for writers on the old connection (trigger included).
  Exec(other, "INSERT INTO items(id, name) VALUES(500, 'x')");
  EXPECT_EQ(*other.QueryInt("SELECT count(*) FROM audit"), 101);
}

TEST_F(InstallSnapshotTest, MissingTargetIsCreatedInWalMode) {
  const std::string source = MakeSource();
  const std::string target = dir_.Sub("new/target.db");
  fs::create_directories(dir_.Sub("new"));
  ASSERT_TRUE(IsOk(InstallSnapshot(source, target)));
  sqlite::OpenOptions options;
  options.wal = false;
  auto db = sqlite::Database::Open(target, options);
  ASSERT_TRUE(IsOk(db));
  EXPECT_EQ(JournalMode(*db), "wal");
  EXPECT_EQ(*db->QueryInt("SELECT count(*) FROM items"), 100);
  EXPECT_TRUE(fs::exists(source)) << "the source is left for the caller to remove";
}

// The backup API cannot change the page size of a WAL database: the source is rebuilt instead.
TEST_F(InstallSnapshotTest, SourceWithAnotherPageSizeIsInstalledIntoAWalTarget) {
  const std::string source = dir_.Sub("big-pages.db");
  {
    sqlite::OpenOptions options;
    options.create = true;
    options.wal = false;
    auto db = sqlite::Database::Open(source, options);
    ASSERT_TRUE(IsOk(db));
    Exec(*db,
         "PRAGMA page_size=8192; VACUUM; CREATE TABLE t(a); INSERT INTO t VALUES(1), (2), (3)");
    ASSERT_EQ(*db->QueryInt("PRAGMA page_size"), 8192);
  }
  const std::string target = dir_.Sub("target.db");
  sqlite::Database other = testing_util::Open(target);
  Exec(other, "CREATE TABLE mine(a)");
  ASSERT_EQ(*other.QueryInt("PRAGMA page_size"), 4096);

  ASSERT_TRUE(IsOk(InstallSnapshot(source, target)));
  EXPECT_EQ(*other.QueryInt("SELECT count(*) FROM t"), 3);
  EXPECT_EQ(*other.QueryInt("PRAGMA page_size"), 4096);
  EXPECT_FALSE(fs::exists(source + ".page-size.tmp"));
}

TEST_F(InstallSnapshotTest, MissingSourceIsAnError) {
  Status s = InstallSnapshot(dir_.Sub("nope.db"), dir_.Sub("target.db"));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("nope.db"), std::string::npos) << s.message();
  EXPECT_FALSE(fs::exists(dir_.Sub("target.db")));
}

}  // namespace
}  // namespace harmony::snapshot
