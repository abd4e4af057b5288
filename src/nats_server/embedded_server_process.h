// Process plumbing for EmbeddedServer: PATH lookup, fork/exec, exit statuses, readiness probe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/status.h"

namespace harmony::nats_server::process {

// The absolute path of `binary` (searched on PATH unless it contains '/').
Result<std::string> ResolveBinary(const std::string& binary);

// Forks and execs `path` with `args` (args[0] included), stdin from /dev/null, stdout and stderr
// to `log_fd`, every other descriptor closed, signals unblocked, in a new process group, with
// PR_SET_PDEATHSIG(SIGTERM) bound to the calling thread. The child's environment is ours with
// `env` ("NAME=value" entries) added, replacing variables of the same name; unlike arguments,
// the environment is not readable by other users (/proc/<pid>/environ is 0400), so secrets go
// there. Fails if exec fails.
Result<pid_t> Spawn(const std::string& path, const std::vector<std::string>& args, int log_fd,
                    const std::vector<std::string>& env = {});

// "exited with status 1", "killed by signal 9 (Killed)".
std::string DescribeExit(int wait_status);

// True if host:port accepts a TCP connection and greets with a NATS INFO whose server_name is
// `server_name`, within `timeout`.
bool ProbeNatsServer(const std::string& host, int port, const std::string& server_name,
                     std::chrono::milliseconds timeout);

// The last `max_lines` lines written to `path` at or after byte `offset`, or a note why not.
std::string TailOfFile(const std::string& path, long offset, int max_lines);

}  // namespace harmony::nats_server::process
