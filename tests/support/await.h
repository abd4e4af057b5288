#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace harmony::test {

// Re-checks `ready()` every `poll` until it holds or `timeout` passes; returns the last result.
// Only for conditions nothing signals (another process, a file, a connection state); when the
// code under test can notify, wait on a condition variable with a deadline instead.
inline bool PollUntil(const std::function<bool()>& ready, std::chrono::milliseconds timeout,
                      std::chrono::milliseconds poll = std::chrono::milliseconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!ready()) {
    if (std::chrono::steady_clock::now() >= deadline) return ready();
    std::this_thread::sleep_for(poll);
  }
  return true;
}

}  // namespace harmony::test
