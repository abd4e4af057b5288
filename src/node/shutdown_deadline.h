#pragma once

#include <chrono>
#include <functional>
#include <stop_token>
#include <thread>

namespace harmony::node {

// Bounds an orderly shutdown: unless Cancel() (or the destructor) comes first, runs `on_expiry`
// once `grace` has passed, on a thread of its own. The node passes a function that closes its
// NATS connection, so that best-effort steps blocked on the broker (releasing the node-id claim
// in a KV bucket whose server is gone, a renewal in flight, a snapshot upload) return at once
// and the process exits within 2 s of the signal (issue #11, item 7). Not copyable; Cancel() and
// the destructor may be called from the owning thread only. `on_expiry` must be thread-safe
// with respect to what the owning thread does meanwhile.
class ShutdownDeadline {
 public:
  ShutdownDeadline(std::chrono::milliseconds grace, std::function<void()> on_expiry);
  ~ShutdownDeadline();  // Cancel()
  ShutdownDeadline(const ShutdownDeadline&) = delete;
  ShutdownDeadline& operator=(const ShutdownDeadline&) = delete;

  // Stops the countdown and waits for the thread (and a running `on_expiry`) to end.
  void Cancel();

 private:
  std::jthread timer_;
};

}  // namespace harmony::node
