#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "monitor/node_status.h"

namespace prometheus {
class Exposer;
}

namespace harmony::monitor {

// The newest NodeStatus of this node, or nullopt before the first one. Called from the HTTP
// servers' threads: must be thread-safe.
using StatusSource = std::function<std::optional<NodeStatus>()>;

// HarmonyLite's [prometheus] keys.
struct MetricsOptions {
  // "host:port" to listen on; an empty host (":3010") means every interface. Port 0 picks one.
  std::string bind = "127.0.0.1:3010";
  // Metric names are "<namespace>_<subsystem>_<name>", empty parts left out (Prometheus naming).
  std::string name_space = "harmony";
  std::string subsystem;
};

// Serves GET /metrics in Prometheus' text format through prometheus-cpp's pull exposer
// (CivetWeb). Every scrape renders the newest NodeStatus; nothing is kept between scrapes.
// The metrics and their meaning: docs/operations.md, "Monitoring". Thread-safe; stops serving
// when destroyed.
class MetricsServer {
 public:
  // Errors: kInvalidArgument for a bind that is not host:port; kUnavailable when the address
  // cannot be bound (in use), naming it.
  static Result<std::unique_ptr<MetricsServer>> Start(const MetricsOptions& options,
                                                      StatusSource source);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;
  // The port it listens on (the chosen one when bound to port 0).
  int port() const { return port_; }

  struct Collector;  // the prometheus::Collectable; defined in metrics.cc

 private:
  MetricsServer() = default;
  std::shared_ptr<Collector> collector_;
  std::unique_ptr<prometheus::Exposer> exposer_;  // after collector_: stops first
  int port_ = 0;
};

// The Prometheus text of `status` (what a scrape returns), for tests and `harmony status`.
std::string RenderMetrics(const MetricsOptions& options, const NodeStatus& status);

}  // namespace harmony::monitor
