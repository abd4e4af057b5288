#include "node/signals.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

namespace harmony::node {
namespace {

sigset_t StopSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

int WaitWithTimeout(std::chrono::milliseconds timeout) {
  sigset_t set = StopSet();
  timespec ts{static_cast<time_t>(timeout.count() / 1000),
              static_cast<long>((timeout.count() % 1000) * 1000000)};
  int sig = sigtimedwait(&set, nullptr, &ts);
  return sig > 0 ? sig : 0;
}

// Closes a descriptor on scope exit.
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) close(fd);
  }
};

}  // namespace

StopSignals::StopSignals() {
  sigset_t set = StopSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A peer that goes away mid-write must not kill the process.
  signal(SIGPIPE, SIG_IGN);
}

int StopSignals::Wait(std::chrono::milliseconds timeout, int wake_fd) {
  if (wake_fd < 0) return WaitWithTimeout(timeout);
  // The signals are blocked, so they stay pending until read from a signalfd (or sigtimedwait):
  // poll() can then watch them and `wake_fd` together.
  sigset_t set = StopSet();
  FdCloser signal_fd{signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)};
  if (signal_fd.fd < 0) return WaitWithTimeout(timeout);
  pollfd fds[2] = {{signal_fd.fd, POLLIN, 0}, {wake_fd, POLLIN, 0}};
  if (poll(fds, 2, static_cast<int>(timeout.count())) <= 0) return 0;
  if ((fds[0].revents & POLLIN) != 0) {
    signalfd_siginfo info{};
    if (read(signal_fd.fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      return static_cast<int>(info.ssi_signo);
    }
  }
  return 0;
}

}  // namespace harmony::node
