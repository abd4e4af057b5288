#include "nats_server/embedded_server.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

#include "nats_server/embedded_auth.h"
#include "nats_server/embedded_server_process.h"
#include "nats_server/leaf_config.h"

namespace harmony::nats_server {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kInitialBackoff{250};
constexpr milliseconds kMaxBackoff{10000};
constexpr std::chrono::seconds kHealthyRun{30};  // a run this long resets the back-off
constexpr std::chrono::seconds kStopGrace{5};    // SIGTERM -> SIGKILL
constexpr int kLogTailLines = 15;                // in start errors
constexpr int kRestartLogTailLines = 5;          // in restart warnings

std::string Joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& part : parts) {
    if (!out.empty()) out += ",";
    out += part;
  }
  return out;
}

// True when the nats-server config file at `path` sets the JetStream store directory itself
// (`store_dir`, or its alias `storedir`, as in HarmonyLite's examples/nats-server-N.conf):
// nats-server then refuses -sd as a duplicate, so the file's directory is used.
bool ConfigSetsStoreDir(const std::string& path) {
  if (path.empty()) return false;
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* key : {"store_dir", "storedir"}) {
    for (size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + 1)) {
      const size_t line = text.rfind('\n', at);
      const size_t hash = text.find('#', line == std::string::npos ? 0 : line);
      if (hash == std::string::npos || hash > at) return true;  // not in a comment
    }
  }
  return false;
}

// `config_file`: o.config_file, or the generated one (client_auth, leaf mode; "" for none).
std::vector<std::string> BuildArgs(const EmbeddedServerOptions& o, int port,
                                   const std::string& config_file) {
  // The ports file ("nats-server_<pid>.ports" in the store) tells Start() a port picked by the
  // kernel (port -1) and RunningServerUrl() the URL of a running server.
  std::vector<std::string> args = {"nats-server", "-a", o.host, "-p", std::to_string(port),
                                   "-n", o.server_name, "-l", o.log_file,
                                   "--ports_file_dir", o.store_dir};
  // A leaf node runs without JetStream: the hub's holds the streams (see LeafOptions).
  if (!o.leaf.enabled()) {
    args.insert(args.begin() + 1, "-js");
    if (!ConfigSetsStoreDir(config_file)) args.insert(args.end(), {"-sd", o.store_dir});
  }
  if (!config_file.empty()) args.insert(args.end(), {"-c", config_file});
  if (!o.cluster_addr.empty()) {
    args.insert(args.end(),
                {"--cluster", "nats://" + o.cluster_addr, "--cluster_name", o.cluster_name});
    if (!o.cluster_peers.empty()) args.insert(args.end(), {"--routes", Joined(o.cluster_peers)});
  }
  return args;
}

Result<EmbeddedServerOptions> Normalize(EmbeddedServerOptions o) {
  if ((o.port < 1 || o.port > 65535) && o.port != -1) {
    return Status::InvalidArgument("nats-server: port " + std::to_string(o.port) +
                                   " is not in 1..65535 (or -1: any free port)");
  }
  // nats-server takes IPv6 addresses without brackets.
  if (o.host.size() > 2 && o.host.front() == '[' && o.host.back() == ']') {
    o.host = o.host.substr(1, o.host.size() - 2);
  }
  if (o.host.empty()) return Status::InvalidArgument("nats-server: empty listen host");
  if (o.store_dir.empty()) return Status::InvalidArgument("nats-server: empty store_dir");
  if (o.cluster_addr.empty() && !o.cluster_peers.empty()) {
    return Status::InvalidArgument("nats-server: cluster_peers given without cluster_addr");
  }
  if (!o.cluster_addr.empty() && o.cluster_name.empty()) {
    return Status::InvalidArgument("nats-server: cluster_addr given without cluster_name");
  }
  if (!o.config_file.empty() && !o.client_auth.empty()) {
    return Status::InvalidArgument(
        "nats-server: client_auth and config_file are exclusive (put the authorization block "
        "into the config file)");
  }
  HARMONY_RETURN_IF_ERROR(internal::CheckLeafSetup(o).WithContext("nats-server"));
  if (o.server_name.empty()) o.server_name = "harmony-" + std::to_string(o.port);
  if (o.log_file.empty()) o.log_file = o.store_dir + "/nats-server.log";
  std::error_code ec;
  std::filesystem::create_directories(o.store_dir, ec);
  if (ec)
    return Status::IoError("nats-server: create store_dir " + o.store_dir + ": " + ec.message());
  return o;
}

long FileSize(int fd) {
  struct stat st;
  return ::fstat(fd, &st) == 0 ? static_cast<long>(st.st_size) : 0;
}

// Blocks until `pid` has exited, without reaping it.
void AwaitExitUnreaped(pid_t pid) {
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) != 0) {
    if (errno != EINTR) return;  // ECHILD: someone else reaped it (SIGCHLD ignored?)
  }
}

// The port of the first URL in a ports file: {"nats":["nats://[::1]:36887", ...]}.
int PortFromPortsFile(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t list = text.find("\"nats\"");
  if (list == std::string::npos) return 0;
  const size_t open = text.find("\"nats://", list + 6);
  const size_t close = open == std::string::npos ? open : text.find('"', open + 1);
  if (close == std::string::npos) return 0;
  const std::string url = text.substr(open + 1, close - open - 1);
  const size_t colon = url.rfind(':');
  int port = 0;
  for (size_t i = colon + 1; colon != std::string::npos && i < url.size(); ++i) {
    if (url[i] < '0' || url[i] > '9') return 0;
    port = port * 10 + (url[i] - '0');
  }
  return port > 0 && port <= 65535 ? port : 0;
}

std::string PortsFile(const std::string& store_dir, pid_t pid) {
  return store_dir + "/nats-server_" + std::to_string(pid) + ".ports";
}

std::string UrlHost(const std::string& host) {
  if (host == "0.0.0.0") return "127.0.0.1";
  if (host == "::") return "[::1]";
  if (host.find(':') != std::string::npos) return "[" + host + "]";
  return host;
}

}  // namespace

EmbeddedServer::EmbeddedServer(EmbeddedServerOptions options, std::string binary_path,
                               std::string config_file, std::vector<std::string> env,
                               int log_fd)
    : options_(std::move(options)),
      binary_path_(std::move(binary_path)),
      config_file_(std::move(config_file)),
      env_(std::move(env)),
      log_fd_(log_fd),
      port_(options_.port),
      args_(BuildArgs(options_, options_.port, config_file_)) {}

Result<std::unique_ptr<EmbeddedServer>> EmbeddedServer::Start(EmbeddedServerOptions options) {
  HARMONY_ASSIGN_OR_RETURN(EmbeddedServerOptions o, Normalize(std::move(options)));
  HARMONY_ASSIGN_OR_RETURN(std::string path, process::ResolveBinary(o.binary));
  std::string config_file = o.config_file;
  std::vector<std::string> env;
  if (o.leaf.enabled()) {
    HARMONY_ASSIGN_OR_RETURN(
        internal::AuthConfig leaf,
        internal::WriteLeafConfig(o.store_dir, o.leaf, o.client_auth, o.config_file));
    config_file = std::move(leaf.path);
    env = std::move(leaf.env);
  } else if (!o.client_auth.empty()) {
    HARMONY_ASSIGN_OR_RETURN(internal::AuthConfig auth,
                             internal::WriteAuthConfig(o.store_dir, o.client_auth));
    config_file = std::move(auth.path);
    env = std::move(auth.env);
  }
  int log_fd = ::open(o.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  if (log_fd < 0) {
    return Status::IoError("nats-server: open log " + o.log_file + ": " + strerror(errno));
  }
  std::unique_ptr<EmbeddedServer> server(
      new EmbeddedServer(std::move(o), std::move(path), std::move(config_file), std::move(env),
                         log_fd));
  // Every fork happens on the supervisor thread: PR_SET_PDEATHSIG fires when the forking
  // *thread* exits, and the supervisor lives exactly as long as the child should.
  server->supervisor_ = std::thread(&EmbeddedServer::Supervise, server.get());
  HARMONY_RETURN_IF_ERROR(server->AwaitReady());
  spdlog::info("nats-server '{}' (pid {}) ready at {}", server->options_.server_name, server->pid(),
               server->ClientUrl());
  return server;
}

Status EmbeddedServer::AwaitReady() {
  const auto deadline = std::chrono::steady_clock::now() + options_.ready_timeout;
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    if (!start_error_.ok()) return start_error_;
    if (options_.stop.stop_requested()) {
      return Status::Cancelled("nats-server at " + ClientUrl() + ": stopped before it was ready");
    }
    if (pid_ > 0 && port_.load() == -1) {
      // Written once the client listener is up; until then (or while unreadable) keep waiting.
      if (const int learned = PortFromPortsFile(PortsFile(options_.store_dir, pid_))) {
        port_.store(learned);
        args_ = BuildArgs(options_, learned, config_file_);  // a restart listens where clients reconnect to
      }
    }
    if (pid_ > 0 && port_.load() != -1) {
      lock.unlock();
      const bool up = process::ProbeNatsServer(options_.host, port_.load(), options_.server_name,
                                               milliseconds(500));
      lock.lock();
      if (!start_error_.ok()) return start_error_;
      if (up && pid_ > 0) {
        ready_ = true;  // under mu_, so the supervisor sees either ready_ or reports the exit
        return Status::Ok();
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::Unavailable("nats-server did not accept client connections at " + ClientUrl() +
                                 " within " + std::to_string(options_.ready_timeout.count()) +
                                 " ms; log " + options_.log_file + ":\n" +
                                 process::TailOfFile(options_.log_file, 0, kLogTailLines));
    }
    changed_.wait_for(lock, milliseconds(25));
  }
}

void EmbeddedServer::Supervise() {
  milliseconds backoff = kInitialBackoff;
  while (true) {
    const long log_offset = FileSize(log_fd_);
    std::vector<std::string> args;
    {
      std::lock_guard<std::mutex> lock(mu_);
      args = args_;
    }
    Result<pid_t> spawned = process::Spawn(binary_path_, args, log_fd_, env_);
    const auto started_at = std::chrono::steady_clock::now();
    pid_t pid = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!spawned.ok()) {
        if (!ready_) {
          start_error_ = spawned.status().WithContext("start nats-server");
          break;
        }
        spdlog::error("nats-server restart failed: {}; retrying in {} ms",
                      spawned.status().message(), backoff.count());
      } else {
        pid = pid_ = spawned.value();
        // Stopped while we were forking: no point in a graceful shutdown of a fresh child.
        if (stopping_) ::kill(pid, SIGKILL);
      }
      changed_.notify_all();
    }

    if (pid > 0) {
      AwaitExitUnreaped(pid);
      int status = 0;
      std::lock_guard<std::mutex> lock(mu_);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      pid_ = 0;
      changed_.notify_all();
      if (stopping_) break;
      if (!ready_) {
        start_error_ = Status::Unavailable(
            "nats-server " + process::DescribeExit(status) + " before accepting clients at " +
            ClientUrl() + "; log " + options_.log_file + ":\n" +
            process::TailOfFile(options_.log_file, log_offset, kLogTailLines));
        break;
      }
      ++restarts_;
      if (std::chrono::steady_clock::now() - started_at >= kHealthyRun) backoff = kInitialBackoff;
      spdlog::warn("nats-server '{}' (pid {}) {} unexpectedly; restarting in {} ms. Log tail:\n{}",
                   options_.server_name, pid, process::DescribeExit(status), backoff.count(),
                   process::TailOfFile(options_.log_file, log_offset, kRestartLogTailLines));
    }

    std::unique_lock<std::mutex> lock(mu_);
    if (changed_.wait_for(lock, backoff, [&] { return stopping_; })) break;
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
  std::lock_guard<std::mutex> lock(mu_);
  supervisor_done_ = true;
  changed_.notify_all();
}

EmbeddedServer::~EmbeddedServer() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    stopping_ = true;
    if (pid_ > 0) ::kill(pid_, SIGTERM);
    changed_.notify_all();
    if (!changed_.wait_for(lock, kStopGrace, [&] { return pid_ == 0; })) {
      spdlog::warn("nats-server '{}' (pid {}) ignored SIGTERM for {} s; killing it",
                   options_.server_name, pid_, kStopGrace.count());
      ::kill(pid_, SIGKILL);
    }
  }
  if (supervisor_.joinable()) supervisor_.join();
  ::close(log_fd_);
}

std::string EmbeddedServer::ClientUrl() const {
  return "nats://" + UrlHost(options_.host) + ":" + std::to_string(port_.load());
}

Result<std::string> RunningServerUrl(const std::string& store_dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(store_dir, ec)) {
    const std::string name = entry.path().filename().string();
    const std::string prefix = "nats-server_", suffix = ".ports";
    if (name.size() <= prefix.size() + suffix.size() || name.rfind(prefix, 0) != 0 ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    const std::string pid_text =
        name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
    const pid_t pid = static_cast<pid_t>(std::atol(pid_text.c_str()));
    // A server killed with SIGKILL leaves its file behind: only a live process counts.
    if (pid <= 0 || (::kill(pid, 0) != 0 && errno != EPERM)) continue;
    std::ifstream in(entry.path());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t open = text.find("\"nats://");
    const size_t close = open == std::string::npos ? open : text.find('"', open + 1);
    if (close != std::string::npos) return text.substr(open + 1, close - open - 1);
  }
  return Status::NotFound("no running nats-server left a ports file in " + store_dir +
                          " (is the node beside this database running?)");
}

pid_t EmbeddedServer::pid() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pid_;
}

int EmbeddedServer::restarts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return restarts_;
}

}  // namespace harmony::nats_server
