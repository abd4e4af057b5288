#include "replication/background_error.h"

#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

namespace harmony::replication {

BackgroundError::BackgroundError() : wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

BackgroundError::~BackgroundError() {
  if (wake_fd_ >= 0) close(wake_fd_);
}

bool BackgroundError::Record(Status status) {
  if (status.ok()) return false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!error_.ok()) {
      // The node is stopping for the first error already; this one is usually its echo.
      spdlog::debug("after the first unrecoverable error, also: {}", status.message());
      return false;
    }
    error_ = std::move(status);
  }
  recorded_.notify_all();
  if (wake_fd_ >= 0) {
    const uint64_t one = 1;
    // Never read back, so the descriptor stays readable; a full counter cannot happen.
    [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
  }
  return true;
}

Status BackgroundError::Get() const {
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

bool BackgroundError::failed() const { return !Get().ok(); }

bool BackgroundError::WaitFor(std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return recorded_.wait_for(lock, timeout, [this] { return !error_.ok(); });
}

bool IsUnrecoverable(const Status& status) {
  switch (status.code()) {
    case Status::Code::kCorruption:
    case Status::Code::kIoError:
      return true;
    case Status::Code::kOk:
    case Status::Code::kInvalidArgument:
    case Status::Code::kNotFound:
    case Status::Code::kUnavailable:
    case Status::Code::kInternal:
    case Status::Code::kCancelled:
    case Status::Code::kRejected:
      return false;
  }
  return false;
}

}  // namespace harmony::replication
