#include "tests/support/nats_server_process.h"

#include "tests/support/free_port.h"

namespace harmony::test {

nats_server::EmbeddedServerOptions TestServerOptions() {
  nats_server::EmbeddedServerOptions options;
  options.port = 0;
  options.ready_timeout = std::chrono::milliseconds(5000);
  return options;
}

NatsServerProcess::NatsServerProcess(std::optional<TempDir> dir,
                                     nats_server::EmbeddedServerOptions options,
                                     std::unique_ptr<nats_server::EmbeddedServer> server)
    : dir_(std::move(dir)), options_(std::move(options)), server_(std::move(server)) {}

NatsServerProcess::~NatsServerProcess() { Stop(); }

Result<std::unique_ptr<NatsServerProcess>> NatsServerProcess::Start() {
  return Start(TestServerOptions());
}

Result<std::unique_ptr<NatsServerProcess>> NatsServerProcess::Start(const std::string& store_dir) {
  nats_server::EmbeddedServerOptions options = TestServerOptions();
  options.store_dir = store_dir;
  return Start(std::move(options));
}

Result<std::unique_ptr<NatsServerProcess>> NatsServerProcess::Start(
    nats_server::EmbeddedServerOptions options) {
  std::optional<TempDir> dir;
  if (options.store_dir.empty()) {
    dir.emplace("harmony-nats");
    options.store_dir = dir->Sub("store");
  }
  const bool pick_port = options.port <= 0;
  const bool pick_name = options.server_name.empty();
  Status last;
  for (int attempt = 0; attempt < (pick_port ? 5 : 1); ++attempt) {
    if (pick_port) options.port = FreePort();
    if (pick_name) options.server_name = "test-" + std::to_string(options.port);
    auto server = nats_server::EmbeddedServer::Start(options);
    if (server.ok()) {
      options = server.value()->options();  // with the log file etc. filled in
      return std::unique_ptr<NatsServerProcess>(
          new NatsServerProcess(std::move(dir), std::move(options), std::move(server).value()));
    }
    last = server.status();
    if (last.message().find("address already in use") == std::string::npos) break;
  }
  return last;
}

void NatsServerProcess::Stop() { server_.reset(); }

Status NatsServerProcess::Restart() {
  Stop();
  HARMONY_ASSIGN_OR_RETURN(server_, nats_server::EmbeddedServer::Start(options_));
  return Status::Ok();
}

pid_t NatsServerProcess::pid() const { return server_ != nullptr ? server_->pid() : 0; }

std::string NatsServerProcess::url() const {
  const std::string host = options_.host == "0.0.0.0" ? "127.0.0.1" : options_.host;
  return "nats://" + host + ":" + std::to_string(options_.port);
}

}  // namespace harmony::test
