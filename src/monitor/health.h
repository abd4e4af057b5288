#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "common/result.h"
#include "monitor/http_listener.h"
#include "monitor/metrics.h"
#include "monitor/node_status.h"

namespace harmony::monitor {

// HarmonyLite's [health_check] keys.
struct HealthOptions {
  std::string bind = "127.0.0.1:8090";  // "host:port"; an empty host means every interface
  std::string path = "/health";
  bool detailed = true;  // the body carries the node's status, not only the verdict
  // A status older than this is stale: the node's reporting thread is stuck (unhealthy).
  std::chrono::milliseconds max_status_age{10000};
};

// Thresholds a caller (a load balancer) puts in the query string, as Corrosion does:
// ?max_lag_seconds=5&max_lag_messages=1000&max_pending=1000. Absent: not checked.
struct HealthThresholds {
  std::optional<double> max_lag_seconds;       // over every shard
  std::optional<uint64_t> max_lag_messages;    // over every shard
  std::optional<uint64_t> max_pending;         // unpublished local changes
};

// Reads the thresholds from query parameters. kInvalidArgument naming a parameter whose value
// is not a non-negative number, or an unknown parameter.
Result<HealthThresholds> ParseThresholds(const std::multimap<std::string, std::string>& params);

// The verdict: healthy when a fresh status exists, the node is connected to NATS, and every
// threshold holds. `reasons` says what failed, one phrase each.
struct HealthVerdict {
  bool healthy = false;
  std::vector<std::string> reasons;
};
HealthVerdict Judge(const std::optional<NodeStatus>& status, const HealthThresholds& thresholds,
                    std::chrono::milliseconds max_status_age, int64_t now_unix_ms);

// The response body: {"status":"ok"|"unhealthy","reasons":[...]} and, when detailed, "node":
// the status's JSON form.
std::string HealthBody(const HealthVerdict& verdict, const std::optional<NodeStatus>& status,
                       bool detailed);

// Serves GET <path>: 200 when healthy, 503 when not, 400 for bad thresholds; JSON body. One
// HttpListener; stopped and joined when destroyed. Thread-safe.
class HealthServer {
 public:
  // kInvalidArgument for a bad bind or path; kUnavailable when the address cannot be bound.
  static Result<std::unique_ptr<HealthServer>> Start(const HealthOptions& options,
                                                     StatusSource source);
  ~HealthServer();
  HealthServer(const HealthServer&) = delete;
  HealthServer& operator=(const HealthServer&) = delete;
  int port() const;

 private:
  HealthServer() = default;
  std::unique_ptr<HttpListener> listener_;
};

}  // namespace harmony::monitor
