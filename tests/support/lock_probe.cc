#include "tests/support/lock_probe.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

extern char** environ;

namespace harmony::test {
namespace {

// Exit codes of sqlite_lock_probe (lock_probe_main.cc).
constexpr int kExitPassed = 0;
constexpr int kExitBlocked = 10;

ProbeResult RunProbe(const char* mode, const std::string& db_path) {
  std::vector<char*> argv = {const_cast<char*>(SQLITE_LOCK_PROBE), const_cast<char*>(mode),
                             const_cast<char*>(db_path.c_str()), nullptr};
  pid_t pid = 0;
  if (posix_spawn(&pid, SQLITE_LOCK_PROBE, nullptr, nullptr, argv.data(), environ) != 0) {
    return ProbeResult::kError;
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return ProbeResult::kError;
  switch (WEXITSTATUS(status)) {
    case kExitPassed:
      return ProbeResult::kPassed;
    case kExitBlocked:
      return ProbeResult::kBlocked;
    default:
      return ProbeResult::kError;
  }
}

}  // namespace

ProbeResult ProbeWriteLock(const std::string& db_path) { return RunProbe("write", db_path); }

ProbeResult ProbeCheckpoint(const std::string& db_path) { return RunProbe("checkpoint", db_path); }

DatabaseHolder::DatabaseHolder(const std::string& db_path) {
  int in[2] = {-1, -1};
  int out[2] = {-1, -1};
  if (pipe2(in, O_CLOEXEC) != 0) return;
  if (pipe2(out, O_CLOEXEC) != 0) {
    close(in[0]);
    close(in[1]);
    return;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  std::vector<char*> argv = {const_cast<char*>(SQLITE_LOCK_PROBE), const_cast<char*>("hold"),
                             const_cast<char*>(db_path.c_str()), nullptr};
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, SQLITE_LOCK_PROBE, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  close(out[1]);
  if (rc != 0) {
    close(in[1]);
    close(out[0]);
    return;
  }
  pid_ = pid;
  input_ = in[1];
  // "ready\n", or end of file if the child failed.
  std::string said;
  char c = 0;
  while (said.size() < 6 && read(out[0], &c, 1) == 1) said += c;
  close(out[0]);
  ready_ = said == "ready\n";
}

DatabaseHolder::~DatabaseHolder() {
  if (input_ >= 0) close(input_);
  if (pid_ > 0) {
    int status = 0;
    waitpid(pid_, &status, 0);
  }
}

const char* ToString(ProbeResult result) {
  switch (result) {
    case ProbeResult::kBlocked:
      return "blocked";
    case ProbeResult::kPassed:
      return "passed";
    case ProbeResult::kError:
      return "error";
  }
  return "?";
}

}  // namespace harmony::test
