#include "sqlite/data_version.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace harmony::sqlite {
namespace {

Database OpenDb(const std::string& path, bool wal) {
  OpenOptions options;
  options.create = true;
  options.wal = wal;
  auto db = Database::Open(path, options);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return std::move(db).value();
}

int64_t ReadOrZero(DataVersion& version) {
  auto v = version.Read();
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() ? *v : 0;
}

void DataVersionChangesOnlyWithOtherConnectionsCommits(bool wal) {
  test::TempDir dir;
  const std::string path = dir.Sub("a.db");
  Database mine = OpenDb(path, wal);
  ASSERT_TRUE(mine.Exec("CREATE TABLE t(x)").ok());
  auto prepared = DataVersion::Prepare(mine);
  ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
  DataVersion version = std::move(prepared).value();
  const int64_t before = ReadOrZero(version);
  EXPECT_EQ(ReadOrZero(version), before) << "nothing committed";

  ASSERT_TRUE(mine.Exec("INSERT INTO t VALUES(0)").ok());
  EXPECT_EQ(ReadOrZero(version), before) << "the connection's own commit";

  Database other = OpenDb(path, wal);
  ASSERT_TRUE(other.Exec("BEGIN IMMEDIATE; INSERT INTO t VALUES(1);").ok());
  EXPECT_EQ(ReadOrZero(version), before) << "an uncommitted transaction is not a change";
  ASSERT_TRUE(other.Exec("COMMIT").ok());
  const int64_t after = ReadOrZero(version);
  EXPECT_NE(after, before) << "another connection committed";

  ASSERT_TRUE(other.Exec("INSERT INTO t VALUES(2)").ok());
  EXPECT_NE(ReadOrZero(version), after) << "and again";
}

TEST(DataVersionTest, ChangesOnlyWithOtherConnectionsCommitsInWalMode) {
  DataVersionChangesOnlyWithOtherConnectionsCommits(true);
}

TEST(DataVersionTest, ChangesOnlyWithOtherConnectionsCommitsInRollbackJournalMode) {
  DataVersionChangesOnlyWithOtherConnectionsCommits(false);
}

}  // namespace
}  // namespace harmony::sqlite
