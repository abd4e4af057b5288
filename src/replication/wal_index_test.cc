#include "replication/wal_index.h"

#include <gtest/gtest.h>

#include "sqlite/database.h"
#include "tests/support/temp_dir.h"

namespace harmony::replication {
namespace {

sqlite::Database OpenDb(const std::string& path, bool wal) {
  sqlite::OpenOptions options;
  options.create = true;
  options.wal = wal;
  auto db = sqlite::Database::Open(path, options);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return std::move(db).value();
}

TEST(WalIndexTest, StampChangesWithEveryCommitAndOnlyThen) {
  test::TempDir dir;
  const std::string path = dir.Sub("a.db");
  sqlite::Database reader = OpenDb(path, true);
  ASSERT_TRUE(reader.Exec("CREATE TABLE t(x)").ok());
  auto index = WalIndex::Open(path);
  const auto before = index->Read();
  ASSERT_TRUE(before.has_value());
  EXPECT_FALSE(index->Changed(before));

  sqlite::Database writer = OpenDb(path, true);
  ASSERT_TRUE(writer.Exec("BEGIN IMMEDIATE; INSERT INTO t VALUES(1);").ok());
  EXPECT_FALSE(index->Changed(before)) << "an uncommitted transaction is not a change";
  ASSERT_TRUE(writer.Exec("COMMIT").ok());
  EXPECT_TRUE(index->Changed(before));

  const auto after = index->Read();
  ASSERT_TRUE(writer.Exec("INSERT INTO t VALUES(2)").ok());
  EXPECT_TRUE(index->Changed(after));
}

TEST(WalIndexTest, WithoutWalEveryCheckSaysChanged) {
  test::TempDir dir;
  const std::string path = dir.Sub("b.db");
  sqlite::Database db = OpenDb(path, false);
  ASSERT_TRUE(db.Exec("CREATE TABLE t(x)").ok());
  auto index = WalIndex::Open(path);
  EXPECT_FALSE(index->Read().has_value());
  EXPECT_TRUE(index->Changed(index->Read()));
}

}  // namespace
}  // namespace harmony::replication
