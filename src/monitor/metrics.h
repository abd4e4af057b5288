#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "monitor/http_listener.h"
#include "monitor/node_status.h"

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

// Serves GET /metrics in Prometheus' text format (prometheus-cpp's metric families and text
// serializer) on an HttpListener: prometheus-cpp's own CivetWeb exposer takes about 2 s to stop,
// which would break a node's 2 s stop bound (issue #11, item 7). Every scrape renders the
// newest NodeStatus; nothing is kept between scrapes. The metrics and their meaning:
// docs/operations.md, "Monitoring". Thread-safe; stops serving when destroyed.
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

 private:
  MetricsServer() = default;
  std::unique_ptr<HttpListener> listener_;
  int port_ = 0;
};

// The Prometheus text of `status` (what a scrape returns), for tests and `harmony status`.
std::string RenderMetrics(const MetricsOptions& options, const NodeStatus& status);

}  // namespace harmony::monitor
