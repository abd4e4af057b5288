#pragma once

#include <atomic>
#include <stop_token>
#include <thread>

#include "node/signals.h"

namespace harmony::node {

// Turns a stop signal (SIGINT, SIGTERM, SIGHUP) that arrives while the node starts up into a
// stop request on token(), so that every start-up wait ends within moments instead of after its
// current attempt or back-off: connecting to the broker, starting the embedded nats-server,
// waiting for JetStream or for a snapshot (issue #11, item 7). Components take the token in their
// Options (std::stop_token: src/nats and src/bus know no node type); a NATS connection given it
// closes itself on the request, which ends every request blocked on it.
//
// A thread of its own takes the signals (StopSignals::Wait) until Finish(); signals arriving after
// Finish() stay pending for the running node's StopSignals::Wait. Not thread-safe: one owner
// calls Finish() and signal(); token() may be handed to any thread.
class StartupStop {
 public:
  // `signals` must outlive this object (it is only used to wait).
  explicit StartupStop(StopSignals& signals);
  ~StartupStop();  // Finish()
  StartupStop(const StartupStop&) = delete;
  StartupStop& operator=(const StartupStop&) = delete;

  std::stop_token token() const { return source_.get_token(); }
  // Stops watching (joins the thread); idempotent. Returns signal().
  int Finish();
  // The signal that arrived during start-up, 0 if none (yet).
  int signal() const { return signal_.load(); }

 private:
  void Watch();

  StopSignals& signals_;
  std::stop_source source_;
  int wake_fd_ = -1;  // eventfd: written by Finish() to end Watch()'s wait
  std::atomic<int> signal_{0};
  std::atomic<bool> finishing_{false};
  std::thread watcher_;  // last: started after everything above exists
};

}  // namespace harmony::node
