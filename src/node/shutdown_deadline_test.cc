#include "node/shutdown_deadline.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace harmony::node {
namespace {

using std::chrono::milliseconds;

TEST(ShutdownDeadlineTest, RunsTheActionOnceTheGraceHasPassed) {
  std::mutex mu;
  std::condition_variable cv;
  bool fired = false;
  const auto start = std::chrono::steady_clock::now();
  ShutdownDeadline deadline(milliseconds(50), [&] {
    std::lock_guard<std::mutex> lock(mu);
    fired = true;
    cv.notify_all();
  });
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return fired; }));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(50));
}

TEST(ShutdownDeadlineTest, CancelBeforeTheGraceEndsRunsNothingAndReturnsAtOnce) {
  std::atomic<bool> fired = false;
  const auto start = std::chrono::steady_clock::now();
  {
    ShutdownDeadline deadline(std::chrono::hours(1), [&] { fired = true; });
    deadline.Cancel();
  }
  EXPECT_FALSE(fired.load());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace harmony::node
