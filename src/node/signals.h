#pragma once

#include <chrono>

namespace harmony::node {

// Blocks SIGINT, SIGTERM and SIGHUP for the calling thread and every thread it creates later, so
// they can be taken synchronously with Wait. Create it first thing in main, before any library
// starts a thread.
class StopSignals {
 public:
  StopSignals();
  // Returns the signal number, or 0 after `timeout` without one. With `wake_fd` >= 0, also
  // returns 0 as soon as that descriptor is readable (replication::BackgroundError::wake_fd), so
  // one thread waits for a stop request and a fatal error at once.
  int Wait(std::chrono::milliseconds timeout, int wake_fd = -1);
};

}  // namespace harmony::node
