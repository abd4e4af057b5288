// node/monitoring: this node's status reports, Prometheus metrics and health endpoint (issue
// #11, items 3-5), started together once the node runs. They plug in through one narrow
// interface: the reporter's newest NodeStatus (StatusReporter::Latest); none reaches into a
// component.
#pragma once

#include <memory>
#include <optional>
#include <thread>

#include "common/result.h"
#include "monitor/health.h"
#include "monitor/metrics.h"
#include "node/status_report.h"

namespace harmony::node {

// [prometheus] and [health_check], mapped once from the config (node_options.h): each server is
// started only when its options are set.
struct MonitoringOptions {
  std::optional<monitor::MetricsOptions> metrics;  // [prometheus] enable
  std::optional<monitor::HealthOptions> health;    // [health_check] enable
};

class Monitoring {
 public:
  // Starts the status reporter, and the metrics and health servers that `options` sets. `bus`
  // must outlive the Monitoring (until StopReporter). Errors: the bucket's (kUnavailable), and a
  // bind that fails (kUnavailable naming the key and address).
  static Result<std::unique_ptr<Monitoring>> Start(const MonitoringOptions& options,
                                                   StatusOptions status, bus::JetStreamBus* bus);
  // Shutdown, in three steps: BeginStop asks the reporter to stop without waiting for a report
  // in flight, and winds the HTTP servers down on a thread of their own (in parallel with the
  // rest of the shutdown); StopReporter
  // joins the reporter (call before the bus goes: the reporter uses it); the destructor joins
  // the rest.
  void BeginStop();
  void StopReporter();
  ~Monitoring();
  Monitoring(const Monitoring&) = delete;
  Monitoring& operator=(const Monitoring&) = delete;

 private:
  Monitoring() = default;
  std::unique_ptr<StatusReporter> reporter_;
  // After the reporter: stopped first, so no request reads a reporter that is gone.
  std::unique_ptr<monitor::MetricsServer> metrics_;
  std::unique_ptr<monitor::HealthServer> health_;
  std::thread teardown_;  // BeginStop's: destroys metrics_ and health_
};

}  // namespace harmony::node
