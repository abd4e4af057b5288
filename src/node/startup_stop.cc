#include "node/startup_stop.h"

#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

namespace harmony::node {

StartupStop::StartupStop(StopSignals& signals)
    : signals_(signals), wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  watcher_ = std::thread([this] { Watch(); });
}

StartupStop::~StartupStop() {
  Finish();
  if (wake_fd_ >= 0) close(wake_fd_);
}

void StartupStop::Watch() {
  while (!finishing_.load()) {
    // Without an eventfd (descriptors exhausted) Wait polls every 100 ms for finishing_.
    const int sig = signals_.Wait(std::chrono::milliseconds(wake_fd_ >= 0 ? 60000 : 100),
                                  wake_fd_);
    if (sig == 0) continue;
    signal_.store(sig);
    spdlog::info("received signal {} during start-up; stopping", sig);
    source_.request_stop();  // runs the stop callbacks (closing NATS connections) on this thread
    return;
  }
}

int StartupStop::Finish() {
  if (watcher_.joinable()) {
    finishing_.store(true);
    if (wake_fd_ >= 0) {
      const uint64_t one = 1;
      ssize_t ignored = write(wake_fd_, &one, sizeof one);
      (void)ignored;
    }
    watcher_.join();
  }
  return signal_.load();
}

}  // namespace harmony::node
