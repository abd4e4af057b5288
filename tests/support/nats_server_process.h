#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "common/status.h"
#include "nats_server/embedded_server.h"
#include "tests/support/temp_dir.h"

namespace harmony::test {

// Default options for NatsServerProcess::Start: port 0 (pick a free one), no store dir (use an
// own TempDir), 5 s ready timeout, no cluster.
nats_server::EmbeddedServerOptions TestServerOptions();

// A real `nats-server -js` for a test, on 127.0.0.1, wrapping nats_server::EmbeddedServer.
//
// Start() fills in what the options leave open: port <= 0 picks a free port (retrying on
// "address already in use"), an empty store_dir gets a fresh TempDir owned by this object, an
// empty server_name becomes "test-<port>". Stop() and Restart() keep the port and store dir,
// for outage tests. Not thread-safe.
class NatsServerProcess {
 public:
  static Result<std::unique_ptr<NatsServerProcess>> Start(nats_server::EmbeddedServerOptions options);
  // Free port and own store dir.
  static Result<std::unique_ptr<NatsServerProcess>> Start();
  // Free port, JetStream data in `store_dir` (created if missing).
  static Result<std::unique_ptr<NatsServerProcess>> Start(const std::string& store_dir);

  NatsServerProcess(const NatsServerProcess&) = delete;
  NatsServerProcess& operator=(const NatsServerProcess&) = delete;
  ~NatsServerProcess();

  // SIGTERM (SIGKILL after 5 s) and waits until the process is gone. No-op when stopped.
  void Stop();
  // Stop() if running, then start again with the same port and store dir.
  Status Restart();

  bool running() const { return server_ != nullptr; }
  pid_t pid() const;  // 0 when stopped
  int port() const { return options_.port; }
  std::string url() const;  // "nats://127.0.0.1:<port>", valid while stopped too
  const std::string& store_dir() const { return options_.store_dir; }
  const std::string& log_file() const { return options_.log_file; }
  const nats_server::EmbeddedServerOptions& options() const { return options_; }
  nats_server::EmbeddedServer* server() { return server_.get(); }  // null when stopped

 private:
  NatsServerProcess(std::optional<TempDir> dir, nats_server::EmbeddedServerOptions options,
                    std::unique_ptr<nats_server::EmbeddedServer> server);

  std::optional<TempDir> dir_;  // first: outlives the server using it
  nats_server::EmbeddedServerOptions options_;
  std::unique_ptr<nats_server::EmbeddedServer> server_;
};

}  // namespace harmony::test
