// Held changes, dead letters and partial messages: what goes in comes back, in order, and
// survives a rollback only when committed.
#include <gtest/gtest.h>

#include "state/dead_letters.h"
#include "state/held_changes.h"
#include "state/partial_messages.h"
#include "tests/support/temp_dir.h"

namespace harmony::state {
namespace {

class StateTablesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sqlite::OpenOptions options;
    options.create = true;
    auto db = sqlite::Database::Open(dir_.Sub("a.db"), options);
    ASSERT_TRUE(db.ok());
    db_ = std::make_unique<sqlite::Database>(std::move(db).value());
  }
  test::TempDir dir_{"state"};
  std::unique_ptr<sqlite::Database> db_;
};

TEST_F(StateTablesTest, DeadLettersKeepChangesUntilRemovedAndTrackPendingRows) {
  DeadLetters dl(db_.get());
  ASSERT_TRUE(dl.CreateTable().ok());
  ASSERT_TRUE(dl.Load().ok());
  EXPECT_FALSE(dl.AnyPending());
  ASSERT_TRUE(dl.AddMessage(1, 4, "garbage", "bad version byte").ok());
  ASSERT_TRUE(dl.AddChange(2, 9, 7, "t", 1234, "encoded", "CHECK constraint failed: v > 0").ok());
  ASSERT_TRUE(dl.AddChange(2, 11, 7, "t", 99, "encoded2", "NOT NULL constraint failed").ok());
  EXPECT_TRUE(dl.HasPending(1234));
  ASSERT_TRUE(dl.Supersede(1234).ok());
  EXPECT_FALSE(dl.HasPending(1234));
  auto all = ListDeadLetters(*db_);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].kind, "message");
  EXPECT_EQ((*all)[0].payload, "garbage");
  EXPECT_EQ((*all)[1].kind, "change");
  EXPECT_EQ((*all)[1].status, "superseded");
  EXPECT_EQ((*all)[1].origin, 7u);
  EXPECT_EQ((*all)[2].status, "pending");
  EXPECT_EQ((*all)[2].table, "t");
  auto counts = CountDeadLetters(*db_);
  EXPECT_EQ(counts->pending, 2);
  EXPECT_EQ(counts->superseded, 1);
  ASSERT_TRUE(RemoveDeadLetter(*db_, (*all)[2].id).ok());
  EXPECT_EQ(RemoveDeadLetter(*db_, (*all)[2].id).code(), Status::Code::kNotFound);
  DeadLetters reloaded(db_.get());
  ASSERT_TRUE(reloaded.Load().ok());
  EXPECT_FALSE(reloaded.AnyPending());
}

TEST_F(StateTablesTest, OldDeadLetterTableIsMigrated) {
  ASSERT_TRUE(db_->Exec("CREATE TABLE __harmony_dead_letters(shard INTEGER NOT NULL, stream_seq "
                        "INTEGER NOT NULL, error TEXT NOT NULL, payload BLOB, received_at TEXT "
                        "NOT NULL DEFAULT (datetime('now')), PRIMARY KEY(shard, stream_seq));"
                        "INSERT INTO __harmony_dead_letters(shard, stream_seq, error, payload) "
                        "VALUES(1, 5, 'old', x'00')")
                  .ok());
  DeadLetters dl(db_.get());
  ASSERT_TRUE(dl.CreateTable().ok());
  auto all = ListDeadLetters(*db_);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].kind, "message");
  EXPECT_EQ((*all)[0].error, "old");
  EXPECT_EQ((*all)[0].stream_seq, 5u);
}

TEST_F(StateTablesTest, PartialMessagesComeBackInStreamOrderPerShard) {
  PartialMessages pm(db_.get());
  ASSERT_TRUE(pm.CreateTable().ok());
  using K = PartialMessage::Kind;
  ASSERT_TRUE(pm.Add({2, 8, 5, K::kPart, "p0"}).ok());
  ASSERT_TRUE(pm.Add({1, 3, 5, K::kFragment, "f0"}).ok());
  ASSERT_TRUE(pm.Add({1, 4, 6, K::kFragment, "g0"}).ok());
  ASSERT_TRUE(pm.Add({1, 6, 5, K::kFragment, "f1"}).ok());
  EXPECT_EQ(*CountPartialMessages(*db_), 4);
  ASSERT_TRUE(pm.Remove(1, 5, K::kFragment).ok());
  auto all = pm.LoadAll();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].payload, "g0");
  EXPECT_EQ((*all)[1].payload, "p0");
  EXPECT_EQ((*all)[1].kind, K::kPart);
  ASSERT_TRUE(pm.RemoveAll(2, 5).ok());
  EXPECT_EQ(*CountPartialMessages(*db_), 1);
}

TEST_F(StateTablesTest, HeldBatchesAreCountedEvenWithoutTheTable) {
  EXPECT_EQ(*CountHeldBatches(*db_), 0);
  HeldChanges held(db_.get());
  ASSERT_TRUE(held.CreateTable().ok());
  change::TableSchema t{"t", {"id", "v"}, {0}};
  ASSERT_TRUE(held.Hold(t, {{change::Op::kUpsert, 0, {int64_t{1}, Null{}}}}, 3).ok());
  EXPECT_EQ(*CountHeldBatches(*db_), 1);
  auto batches = held.Batches("t");
  ASSERT_TRUE(batches.ok());
  ASSERT_EQ(batches->size(), 1u);
  EXPECT_EQ((*batches)[0].node_id, 3u);
}

}  // namespace
}  // namespace harmony::state
