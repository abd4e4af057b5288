#include "common/retry.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace harmony {
namespace {

using std::chrono::milliseconds;

RetryOptions Quick(milliseconds timeout) {
  return RetryOptions{.timeout = timeout, .first_backoff = milliseconds(1),
                      .max_backoff = milliseconds(2), .stop = {}};
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

TEST(RetryWhileUnavailableTest, AStopRequestEndsTheWaitAtOnce) {
  RetryOptions options;
  options.timeout = std::chrono::seconds(60);
  options.first_backoff = options.max_backoff = std::chrono::seconds(30);
  std::stop_source source;
  options.stop = source.get_token();
  std::atomic<int> attempts = 0;
  const auto start = std::chrono::steady_clock::now();
  std::thread stopper([&] {
    // Stops only once the retry waits: the first attempt has been made and told about.
    while (attempts == 0) std::this_thread::yield();
    source.request_stop();
  });
  Status s = RetryWhileUnavailable(
      options,
      [&](milliseconds) {
        ++attempts;
        return Status::Unavailable("no meta leader");
      },
      [](const Status&) {});
  stopper.join();
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(s.message(), "no meta leader");
  EXPECT_EQ(attempts, 1);
  EXPECT_LT(took, std::chrono::seconds(5)) << "the 30 s back-off was not cut short";
}

TEST(WaitUnlessStoppedTest, ReturnsTrueAfterTheWaitAndFalseOnceStopped) {
  std::stop_source source;
  EXPECT_TRUE(WaitUnlessStopped(source.get_token(), milliseconds(1)));
  EXPECT_TRUE(WaitUnlessStopped(std::stop_token{}, milliseconds(1)));  // no source: a plain sleep
  source.request_stop();
  EXPECT_FALSE(WaitUnlessStopped(source.get_token(), std::chrono::hours(1)));
}

}  // namespace
}  // namespace harmony
