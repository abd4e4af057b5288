#pragma once

#include <algorithm>
#include <chrono>

#include "common/result.h"
#include "common/status.h"
#include "common/stop.h"

namespace harmony {

// How long and how often RetryWhileUnavailable tries again.
struct RetryOptions {
  std::chrono::milliseconds timeout{30000};      // give up after this long (ms)
  std::chrono::milliseconds first_backoff{100};  // wait before the 2nd attempt (ms), doubled each time
  std::chrono::milliseconds max_backoff{1000};   // ceiling of the wait between attempts (ms)
  // A stop requested here ends the retries at once (the last result is returned).
  std::stop_token stop;
};

namespace retry_internal {
inline const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const Result<T>& r) {
  return r.status();  // ok when r holds a value
}
}  // namespace retry_internal

// Calls `attempt(left)` (left: the time remaining until `options.timeout`, at least 1 ms, for the
// attempt's own request timeout) until it returns anything but a kUnavailable error, or until
// the timeout has passed; then returns the last result. `on_wait(status)` is called once, with the
// first kUnavailable error, before the first wait (to log that we are waiting and why).
//
// For start-up steps that meet a broker still electing a leader: a JetStream cluster does not
// answer API requests for a few seconds after a server starts or its meta leader leaves
// (JetStream clustering docs, "meta leader"), and nats.c reports that as a timeout or "no
// responders", both kUnavailable (nats_error.h). Blocks the calling thread; thread-safe if
// `attempt` is.
template <typename Attempt, typename OnWait>
auto RetryWhileUnavailable(const RetryOptions& options, Attempt attempt, OnWait on_wait)
    -> decltype(attempt(std::chrono::milliseconds{})) {
  using std::chrono::milliseconds;
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  milliseconds backoff = options.first_backoff;
  bool told = false;
  while (true) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline -
                                                               std::chrono::steady_clock::now());
    auto result = attempt(std::max(milliseconds(1), left));
    const Status& status = retry_internal::StatusOf(result);
    if (status.code() != Status::Code::kUnavailable) return result;
    if (std::chrono::steady_clock::now() + backoff >= deadline) return result;
    if (options.stop.stop_requested()) return result;
    if (!told) {
      on_wait(status);
      told = true;
    }
    if (!WaitUnlessStopped(options.stop, backoff)) return result;
    backoff = std::min(backoff * 2, options.max_backoff);
  }
}

}  // namespace harmony
