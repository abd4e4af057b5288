#include "nats_server/embedded_server_process.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string_view>

namespace harmony::nats_server::process {
namespace {

// Closes a descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

std::string Errno(const std::string& what, int err) { return what + ": " + strerror(err); }

bool IsExecutable(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// Runs in the forked child: only async-signal-safe calls until exec.
[[noreturn]] void ExecChild(const char* path, char* const* argv, char* const* envp, int log_fd,
                            int err_fd, int devnull_fd, pid_t parent) {
  // Dies with the thread that forked us (the supervisor), i.e. with our parent process.
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != parent) ::_exit(126);  // the parent died before prctl took effect
  ::setpgid(0, 0);

  // The forking thread may block signals (a node's signal thread does); exec keeps the mask.
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // Ignored dispositions survive exec too.
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGQUIT, SIGUSR1, SIGUSR2}) {
    ::signal(sig, SIG_DFL);
  }

  // Move our descriptors out of the way first, in case the parent had 0-3 closed.
  log_fd = ::fcntl(log_fd, F_DUPFD_CLOEXEC, 10);
  devnull_fd = ::fcntl(devnull_fd, F_DUPFD_CLOEXEC, 10);
  err_fd = ::fcntl(err_fd, F_DUPFD_CLOEXEC, 10);
  if (log_fd < 0 || devnull_fd < 0 || err_fd < 0) ::_exit(125);
  ::dup2(devnull_fd, STDIN_FILENO);
  ::dup2(log_fd, STDOUT_FILENO);
  ::dup2(log_fd, STDERR_FILENO);
  // Keep the exec-error pipe at descriptor 3 (close-on-exec) and close everything above it.
  if (::dup3(err_fd, 3, O_CLOEXEC) < 0) ::_exit(125);
  err_fd = 3;
  if (::syscall(SYS_close_range, 4U, ~0U, 0U) != 0) {
    for (int fd = 4; fd < 4096; ++fd) ::close(fd);
  }
  ::execve(path, argv, envp);
  int err = errno;
  ssize_t ignored = ::write(err_fd, &err, sizeof(err));
  (void)ignored;
  ::_exit(127);
}

}  // namespace

Result<std::string> ResolveBinary(const std::string& binary) {
  const std::string hint =
      " (install the nats-server package, or set the nats-server binary path in the config)";
  if (binary.empty()) return Status::InvalidArgument("nats-server binary: empty name" + hint);
  if (binary.find('/') != std::string::npos) {
    if (IsExecutable(binary)) return binary;
    return Status::NotFound("nats-server binary '" + binary + "' not found or not executable" +
                            hint);
  }
  const char* path_env = std::getenv("PATH");
  std::string path = path_env != nullptr ? path_env : "/usr/local/bin:/usr/bin:/bin";
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + binary;
    if (IsExecutable(candidate)) return candidate;
  }
  return Status::NotFound("'" + binary + "' not found on PATH" + hint);
}

Result<pid_t> Spawn(const std::string& path, const std::vector<std::string>& args, int log_fd,
                    const std::vector<std::string>& env) {
  // Everything the child needs is prepared here: after fork it may not allocate.
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (char** var = environ; *var != nullptr; ++var) {
    const std::string_view entry(*var);
    const bool replaced = std::any_of(env.begin(), env.end(), [&](const std::string& added) {
      const size_t eq = added.find('=');
      return entry.size() > eq &&
             entry.substr(0, eq + 1) == std::string_view(added).substr(0, eq + 1);
    });
    if (!replaced) envp.push_back(*var);
  }
  for (const auto& var : env) envp.push_back(const_cast<char*>(var.c_str()));
  envp.push_back(nullptr);

  Fd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (devnull.get() < 0) return Status::IoError(Errno("open /dev/null", errno));
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return Status::IoError(Errno("pipe2", errno));
  Fd err_read(pipe_fds[0]);
  Fd err_write(pipe_fds[1]);

  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return Status::IoError(Errno("fork", errno));
  if (pid == 0)
    ExecChild(path.c_str(), argv.data(), envp.data(), log_fd, err_write.get(), devnull.get(),
              parent);

  err_write.Reset();
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(err_read.get(), &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  if (n == 0) return pid;  // the pipe closed on a successful exec

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (n == static_cast<ssize_t>(sizeof(child_errno))) {
    return Status::IoError(Errno("exec " + path, child_errno));
  }
  return Status::IoError("exec " + path + ": child " + DescribeExit(status));
}

std::string DescribeExit(int wait_status) {
  if (WIFEXITED(wait_status))
    return "exited with status " + std::to_string(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) {
    int sig = WTERMSIG(wait_status);
    const char* name = strsignal(sig);
    return "killed by signal " + std::to_string(sig) + " (" + (name != nullptr ? name : "?") + ")";
  }
  return "ended with wait status " + std::to_string(wait_status);
}

bool ProbeNatsServer(const std::string& host, int port, const std::string& server_name,
                     std::chrono::milliseconds timeout) {
  const std::string probe_host = host == "0.0.0.0" ? "127.0.0.1" : host == "::" ? "::1" : host;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(probe_host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0) {
    return false;
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addrs(res, ::freeaddrinfo);

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto remaining_ms = [&] {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    return static_cast<int>(std::max<int64_t>(0, left.count()));
  };
  for (addrinfo* ai = addrs.get(); ai != nullptr; ai = ai->ai_next) {
    Fd sock(
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
    if (sock.get() < 0) continue;
    if (::connect(sock.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) continue;
      pollfd pfd{sock.get(), POLLOUT, 0};
      if (::poll(&pfd, 1, remaining_ms()) != 1) continue;
      int err = 0;
      socklen_t len = sizeof(err);
      if (::getsockopt(sock.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) continue;
    }
    // The server greets first: INFO {...,"server_name":"x",...}\r\n
    std::string greeting;
    char buf[1024];
    while (greeting.find("\r\n") == std::string::npos && greeting.size() < 16384) {
      pollfd pfd{sock.get(), POLLIN, 0};
      if (::poll(&pfd, 1, remaining_ms()) != 1) break;
      ssize_t n = ::read(sock.get(), buf, sizeof(buf));
      if (n <= 0) break;
      greeting.append(buf, static_cast<size_t>(n));
    }
    if (greeting.rfind("INFO ", 0) == 0 &&
        greeting.find("\"server_name\":\"" + server_name + "\"") != std::string::npos) {
      return true;
    }
  }
  return false;
}

std::string TailOfFile(const std::string& path, long offset, int max_lines) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "(no log at " + path + ")";
  in.seekg(0, std::ios::end);
  const long size = static_cast<long>(in.tellg());
  const long start = std::max(offset, size - 4096L);
  if (start >= size) return "(log " + path + " is empty)";
  in.seekg(start);
  std::string text(static_cast<size_t>(size - start), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  size_t pos = text.size();
  for (int lines = 0; lines < max_lines && pos != std::string::npos && pos > 0; ++lines) {
    pos = text.rfind('\n', pos - 1);
  }
  if (pos != std::string::npos && pos < text.size()) text = text.substr(pos + 1);
  return text;
}

}  // namespace harmony::nats_server::process
