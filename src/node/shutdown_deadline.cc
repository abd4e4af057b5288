#include "node/shutdown_deadline.h"

#include "common/stop.h"

namespace harmony::node {

ShutdownDeadline::ShutdownDeadline(std::chrono::milliseconds grace,
                                   std::function<void()> on_expiry)
    : timer_([grace, on_expiry = std::move(on_expiry)](std::stop_token cancelled) {
        if (WaitUnlessStopped(cancelled, grace)) on_expiry();
      }) {}

ShutdownDeadline::~ShutdownDeadline() { Cancel(); }

void ShutdownDeadline::Cancel() {
  if (!timer_.joinable()) return;
  timer_.request_stop();
  timer_.join();
}

}  // namespace harmony::node
