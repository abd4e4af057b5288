#include "tests/support/harmony_process.h"

#include <filesystem>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace harmony::test {
namespace {

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

std::string HarmonyBinary() { return HARMONY_BINARY; }

HarmonyProcess::~HarmonyProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

bool HarmonyProcess::Start() {
  // The log file is appended to across restarts: remember where this run's output begins.
  std::error_code ec;
  const auto size = std::filesystem::file_size(log_path_, ec);
  log_offset_ = ec ? 0 : static_cast<size_t>(size);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path_.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::string binary = binary_.empty() ? HarmonyBinary() : binary_;
  std::vector<char*> argv;
  argv.push_back(binary.data());
  for (std::string& a : args_) argv.push_back(a.data());
  argv.push_back(nullptr);
  int rc = posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) pid_ = -1;
  return rc == 0;
}

int HarmonyProcess::WaitForExit(std::chrono::seconds timeout) {
  if (pid_ <= 0) return -1;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return DecodeStatus(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

int HarmonyProcess::Stop(std::chrono::seconds timeout) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int code = WaitForExit(timeout);
  if (code == -1 && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  return code;
}

std::string HarmonyProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool HarmonyProcess::WaitForLog(const std::string& text, std::chrono::seconds timeout) {
  return Eventually(
      [&] {
        if (pid_ > 0) {
          int status = 0;
          if (waitpid(pid_, &status, WNOHANG) == pid_) pid_ = -1;
        }
        return LogSinceStart().find(text) != std::string::npos || pid_ <= 0;
      },
      timeout) &&
         LogSinceStart().find(text) != std::string::npos;
}

std::string HarmonyProcess::LogSinceStart() const {
  const std::string all = Log();
  return log_offset_ <= all.size() ? all.substr(log_offset_) : all;
}

int RunHarmony(const std::vector<std::string>& args, const std::string& log_path,
               std::string* output, std::chrono::seconds timeout, const std::string& binary) {
  HarmonyProcess p(args, log_path, binary);
  if (!p.Start()) return -1;
  int code = p.WaitForExit(timeout);
  if (code == -1) p.Stop();
  if (output) *output = p.LogSinceStart();
  return code;
}

bool Eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace harmony::test
