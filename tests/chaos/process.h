// process: child processes of the chaos driver (nats-server, harmony, the writer "apps") that it
// can signal at will: kill -9, SIGSTOP/SIGCONT, SIGTERM, and look at without reaping them behind
// its back. Each child gets PR_SET_PDEATHSIG(SIGKILL), so none outlives the driver, even when the
// driver itself is killed.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace harmony::chaos {

// "name" searched on PATH (or a path, returned as is when executable); "" if not found.
std::string ResolveBinary(const std::string& name);

// One child process with stdout and stderr appended to a log file. Not thread-safe. The
// destructor kills (SIGKILL) and reaps a child still running.
class Process {
 public:
  Process(std::string binary, std::vector<std::string> args, std::string log_path)
      : binary_(std::move(binary)), args_(std::move(args)), log_path_(std::move(log_path)) {}
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Spawns the child (again, after an exit); false if fork failed.
  bool Start();
  // Sends `sig` (no-op when not running).
  void Signal(int sig);
  // Reaps the child if it has exited; true while it runs (a stopped child runs).
  bool Running();
  // SIGKILL and reap. Returns the exit status as below.
  int Kill();
  // SIGTERM (and SIGCONT, in case it is stopped), wait up to `timeout`, then SIGKILL. Returns the
  // exit code, 128+signal when killed by a signal, -1 if it was not running.
  int Terminate(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Waits up to `timeout` for the child to exit; its status, or nullopt if it still runs.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  // Exit status of the last run that ended (see Terminate), -1 if none did.
  int last_status() const { return last_status_; }
  // How many times the child ended without Kill() or Terminate() asking it to.
  int unexpected_exits() const { return unexpected_exits_; }
  // Tells the next observed exit is expected (after the caller sent a fatal signal itself).
  void ExpectExit() { expect_exit_ = true; }
  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }
  // True once the log holds `text` after byte `from`; false on timeout or if the child exited.
  bool WaitForLog(const std::string& text, std::chrono::milliseconds timeout, size_t from = 0);
  // Current size of the log file (an offset for WaitForLog).
  size_t LogSize() const;

 private:
  void Reaped(int status);

  std::string binary_;
  std::vector<std::string> args_;
  std::string log_path_;
  pid_t pid_ = -1;
  int last_status_ = -1;
  int unexpected_exits_ = 0;
  bool expect_exit_ = false;
};

// The whole file as a string ("" if unreadable).
std::string ReadFile(const std::string& path);

}  // namespace harmony::chaos
