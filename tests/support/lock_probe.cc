#include "tests/support/lock_probe.h"

#include <spawn.h>
#include <sys/wait.h>

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
