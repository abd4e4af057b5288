#include "state/positions.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace harmony::state {
namespace {

sqlite::Database OpenDb(const std::string& path) {
  sqlite::OpenOptions options;
  options.create = true;
  auto db = sqlite::Database::Open(path, options);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return std::move(db).value();
}

TEST(PositionsTest, AdvanceOnlyMovesForward) {
  Positions p;
  p.Advance(1, 5);
  p.Advance(1, 9);
  p.NoteOwn(1, 3);
  p.NoteOwn(1, 2);  // never lowers
  EXPECT_EQ(p.Get(1), (ShardPosition{9, 3}));
  EXPECT_EQ(p.Get(2), ShardPosition{});
  EXPECT_DEATH(p.Advance(1, 9), "skipped or taken twice");
  EXPECT_DEATH(p.Advance(1, 4), "skipped or taken twice");
}

TEST(PositionsTest, SaveWritesOnlyChangedShardsAndLoadReadsThemBack) {
  test::TempDir dir("positions");
  sqlite::Database db = OpenDb(dir.Sub("a.db"));
  auto empty = LoadPositions(db);  // no table yet
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->shards().empty());
  ASSERT_TRUE(CreatePositionTable(db).ok());
  Positions before;
  Positions now;
  now.Advance(1, 10);
  now.Advance(2, 20);
  now.NoteOwn(2, 4);
  ASSERT_TRUE(SavePositions(db, now, before).ok());
  EXPECT_EQ(*LoadPositions(db), now);
  Positions later = now;
  later.Advance(2, 21);
  ASSERT_TRUE(SavePositions(db, later, now).ok());
  EXPECT_EQ(*LoadPositions(db), later);
  ASSERT_TRUE(ReplacePositions(db, {{1, 3}}).ok());
  Positions replaced;
  replaced.Advance(1, 3);
  EXPECT_EQ(*LoadPositions(db), replaced);
}

TEST(PositionsTest, AShardStartsOverOnARecreatedStreamAndTheOthersKeepTheirPositions) {
  test::TempDir dir("positions");
  sqlite::Database db = OpenDb(dir.Sub("a.db"));
  auto none = LoadStreamIds(db);  // no table yet
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  ASSERT_TRUE(CreatePositionTable(db).ok());
  Positions now;
  now.Advance(1, 10);
  now.NoteOwn(1, 4);
  now.Advance(2, 20);
  now.NoteOwn(2, 6);
  ASSERT_TRUE(SavePositions(db, now, Positions{}).ok());
  ASSERT_TRUE(SaveStreamId(db, 1, 111).ok());
  ASSERT_TRUE(SaveStreamId(db, 2, 222).ok());
  ASSERT_TRUE(StartShardOver(db, 2, 9, 333).ok());
  auto loaded = LoadPositions(db);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->Get(1), (ShardPosition{10, 4}));
  EXPECT_EQ(loaded->Get(2), (ShardPosition{0, 9}));
  auto ids = LoadStreamIds(db);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, (std::map<uint32_t, int64_t>{{1, 111}, {2, 333}}));
}

TEST(ReplayGapTest, OnlyDroppedUnappliedMessagesAreAGap) {
  EXPECT_FALSE(ReplayGap(1, 0, {0, 0}));     // never written
  EXPECT_FALSE(ReplayGap(1, 0, {1, 50}));    // everything still there
  EXPECT_FALSE(ReplayGap(1, 10, {11, 50}));  // starts right after us
  EXPECT_FALSE(ReplayGap(1, 50, {40, 50}));  // nothing new
  EXPECT_FALSE(ReplayGap(1, 60, {61, 60}));  // emptied after we applied all of it
  auto gap = ReplayGap(3, 10, {12, 50});
  ASSERT_TRUE(gap);
  EXPECT_NE(gap->find("shard 3"), std::string::npos);
  EXPECT_NE(gap->find("messages 11 to 11"), std::string::npos);
  EXPECT_TRUE(ReplayGap(1, 0, {5, 9}));     // a new node, messages 1-4 gone
  EXPECT_TRUE(ReplayGap(1, 10, {21, 20}));  // emptied: 11-20 gone unapplied
}

}  // namespace
}  // namespace harmony::state
