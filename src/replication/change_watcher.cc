#include "replication/change_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace harmony::replication {

Result<std::unique_ptr<ChangeWatcher>> ChangeWatcher::Open(const std::string& db_path) {
  std::filesystem::path path = std::filesystem::absolute(db_path);
  int ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (ifd < 0) return Status::IoError(std::string("inotify_init1: ") + std::strerror(errno));
  std::string dir = path.parent_path().string();
  if (inotify_add_watch(ifd, dir.c_str(), IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE) <
      0) {
    int err = errno;
    close(ifd);
    return Status::IoError("watch directory " + dir + ": " + std::strerror(err));
  }
  int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (efd < 0) {
    int err = errno;
    close(ifd);
    return Status::IoError(std::string("eventfd: ") + std::strerror(err));
  }
  return std::unique_ptr<ChangeWatcher>(new ChangeWatcher(ifd, efd, path.filename().string()));
}

ChangeWatcher::~ChangeWatcher() {
  close(inotify_fd_);
  close(wake_fd_);
}

void ChangeWatcher::Wake() {
  uint64_t one = 1;
  // A full counter (never in practice) still leaves the fd readable, which is all Wait needs.
  (void)!write(wake_fd_, &one, sizeof one);
}

bool ChangeWatcher::DrainInotify() {
  alignas(inotify_event) char buf[8192];
  bool relevant = false;
  while (true) {
    ssize_t n = read(inotify_fd_, buf, sizeof buf);
    if (n <= 0) break;
    for (char* p = buf; p < buf + n;) {
      auto* ev = reinterpret_cast<inotify_event*>(p);
      if (ev->len > 0) {
        std::string_view name(ev->name);
        if (name == db_name_ || name == db_name_ + "-wal" || name == db_name_ + "-journal") {
          relevant = true;
        }
      }
      p += sizeof(inotify_event) + ev->len;
    }
  }
  return relevant;
}

bool ChangeWatcher::Wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (DrainInotify()) return true;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    int rc = poll(fds, 2, static_cast<int>(left.count()));
    if (rc < 0 && errno != EINTR) return false;
    if (fds[1].revents & POLLIN) {
      uint64_t v;
      (void)!read(wake_fd_, &v, sizeof v);
      return false;
    }
  }
}

}  // namespace harmony::replication
