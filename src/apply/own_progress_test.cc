#include "apply/own_progress.h"

#include <gtest/gtest.h>

namespace harmony::apply {
namespace {

TEST(OwnProgressTest, RoundPassesOnlyWhenEveryShardReachedItsPosition) {
  OwnProgress p;
  EXPECT_EQ(p.SeenUpTo({}), 0u);
  p.Published(10, {{1, 5}, {2, 7}});
  EXPECT_EQ(p.SeenUpTo({{1, 5}, {2, 6}}), 0u);
  EXPECT_EQ(p.SeenUpTo({{1, 4}, {2, 7}}), 0u);
  EXPECT_EQ(p.SeenUpTo({{1, 5}}), 0u);  // shard 2 not reached at all
  EXPECT_EQ(p.SeenUpTo({{1, 5}, {2, 7}}), 10u);
  EXPECT_EQ(p.seen(), 10u);
}

TEST(OwnProgressTest, RoundsPassInOrderAndSeenNeverGoesBack) {
  OwnProgress p;
  p.Published(10, {{1, 5}});
  p.Published(20, {{2, 3}});
  p.Published(30, {{1, 9}});
  // The second round is reached but the first is not: nothing passes.
  EXPECT_EQ(p.SeenUpTo({{1, 4}, {2, 3}}), 0u);
  EXPECT_EQ(p.SeenUpTo({{1, 5}, {2, 3}}), 20u);
  EXPECT_EQ(p.SeenUpTo({}), 20u);  // positions given later never lower it
  EXPECT_EQ(p.SeenUpTo({{1, 9}, {2, 3}}), 30u);
}

TEST(OwnProgressTest, RoundWithoutMessagesPassesAtOnce) {
  OwnProgress p;
  p.Published(4, {});
  EXPECT_EQ(p.SeenUpTo({}), 4u);
  p.Published(6, {{1, 0}, {2, 0}});  // start-up with empty streams
  EXPECT_EQ(p.SeenUpTo({}), 6u);
}

TEST(OwnProgressTest, OldRoundsAreMergedBeyondTheCap) {
  OwnProgress p;
  for (uint64_t i = 1; i <= OwnProgress::kMaxRounds + 10; ++i) p.Published(i, {{1, i}});
  // Merging keeps every position: passing shard 1 at seq 5 passes round 5 and no later one.
  const uint64_t seen = p.SeenUpTo({{1, 5}});
  EXPECT_LE(seen, 5u);
  EXPECT_EQ(p.SeenUpTo({{1, OwnProgress::kMaxRounds + 10}}), OwnProgress::kMaxRounds + 10);
}

}  // namespace
}  // namespace harmony::apply
