#pragma once

#include <chrono>

namespace harmony::node {

// Blocks SIGINT, SIGTERM and SIGHUP for the calling thread and every thread it creates later, so
// they can be taken synchronously with WaitForStopSignal. Create it first thing in main, before
// any library starts a thread.
class StopSignals {
 public:
  StopSignals();
  // Returns the signal number, or 0 after `timeout` without one.
  int Wait(std::chrono::milliseconds timeout);
};

}  // namespace harmony::node
