#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace harmony::test {

// A real `harmony` child process with stdout and stderr going to a log file.
class HarmonyProcess {
 public:
  // `binary` empty: HarmonyBinary().
  HarmonyProcess(std::vector<std::string> args, std::string log_path, std::string binary = "")
      : args_(std::move(args)), log_path_(std::move(log_path)), binary_(std::move(binary)) {}
  ~HarmonyProcess();
  HarmonyProcess(const HarmonyProcess&) = delete;
  HarmonyProcess& operator=(const HarmonyProcess&) = delete;

  // Starts the process; returns false if it could not be spawned.
  bool Start();
  // Sends SIGTERM and waits; returns the exit status (exit code, or 128+signal), -1 if not running.
  int Stop(std::chrono::seconds timeout = std::chrono::seconds(20));
  // Waits for the process to exit by itself; returns its exit status or -1 on timeout.
  int WaitForExit(std::chrono::seconds timeout);
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  // True once the log contains `text` (checked until `timeout`); false if the process died first.
  bool WaitForLog(const std::string& text, std::chrono::seconds timeout);
  std::string Log() const;
  // What this run wrote to the log (the file may hold earlier runs' output before it).
  std::string LogSinceStart() const;

 private:
  std::vector<std::string> args_;
  std::string log_path_;
  std::string binary_;
  pid_t pid_ = -1;
  size_t log_offset_ = 0;  // size of the log file when this run started
};

// Runs harmony to completion (for -cleanup, -version, bad configs). Returns the exit status and
// fills `output` with stdout+stderr.
// `binary` empty: HarmonyBinary().
int RunHarmony(const std::vector<std::string>& args, const std::string& log_path,
               std::string* output, std::chrono::seconds timeout = std::chrono::seconds(60),
               const std::string& binary = "");

// Polls `condition` every few milliseconds until it holds or `timeout` passes.
bool Eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Path of the harmony binary built with this tree.
std::string HarmonyBinary();

}  // namespace harmony::test
