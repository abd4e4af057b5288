#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>

namespace harmony {

// Waits `duration`, or less if a stop is requested on `stop` meanwhile. Returns false if a stop
// was requested (before or during the wait), true after the full wait. A default-constructed
// token (no stop source) never stops: this is then a plain sleep. Thread-safe.
//
// For start-up steps that wait between attempts (connecting to the broker, waiting for JetStream,
// for a snapshot): a stop signal must end them at once, not after the current back-off.
inline bool WaitUnlessStopped(const std::stop_token& stop, std::chrono::milliseconds duration) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock<std::mutex> lock(mu);
  // Nothing notifies `cv` but the stop request, so the predicate is the stop itself.
  cv.wait_for(lock, stop, duration, [] { return false; });
  return !stop.stop_requested();
}

}  // namespace harmony
