#include "common/retry.h"

#include <gtest/gtest.h>

namespace harmony {
namespace {

using std::chrono::milliseconds;

RetryOptions Quick(milliseconds timeout) {
  return RetryOptions{.timeout = timeout, .first_backoff = milliseconds(1),
                      .max_backoff = milliseconds(2)};
}

TEST(RetryWhileUnavailableTest, RetriesUnavailableUntilItSucceedsAndTellsOnce) {
  int attempts = 0, told = 0;
  Result<int> r = RetryWhileUnavailable(
      Quick(milliseconds(5000)),
      [&](milliseconds left) -> Result<int> {
        EXPECT_GE(left.count(), 1);
        if (++attempts < 4) return Status::Unavailable("no meta leader");
        return 7;
      },
      [&](const Status& s) {
        ++told;
        EXPECT_EQ(s.message(), "no meta leader");
      });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 7);
  EXPECT_EQ(attempts, 4);
  EXPECT_EQ(told, 1);
}

TEST(RetryWhileUnavailableTest, OtherErrorsReturnAtOnce) {
  int attempts = 0;
  Status s = RetryWhileUnavailable(
      Quick(milliseconds(5000)),
      [&](milliseconds) {
        ++attempts;
        return Status::InvalidArgument("bad bucket");
      },
      [](const Status&) { ADD_FAILURE() << "no wait expected"; });
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(attempts, 1);
}

TEST(RetryWhileUnavailableTest, GivesUpWithTheLastErrorAfterTheTimeout) {
  int attempts = 0;
  Status s = RetryWhileUnavailable(
      Quick(milliseconds(20)),
      [&](milliseconds) {
        ++attempts;
        return Status::Unavailable("attempt " + std::to_string(attempts));
      },
      [](const Status&) {});
  EXPECT_EQ(s.code(), Status::Code::kUnavailable);
  EXPECT_EQ(s.message(), "attempt " + std::to_string(attempts));
  EXPECT_GT(attempts, 1);
}

}  // namespace
}  // namespace harmony
