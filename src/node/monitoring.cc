#include "node/monitoring.h"

#include <spdlog/spdlog.h>

namespace harmony::node {

void Monitoring::BeginStop() {
  if (reporter_) reporter_->RequestStop();
  if (!teardown_.joinable()) {
    teardown_ = std::thread([this] {
      health_.reset();
      metrics_.reset();
    });
  }
}

void Monitoring::StopReporter() {
  if (reporter_) reporter_->Stop();
}

Monitoring::~Monitoring() {
  // The servers first: their handlers read the reporter.
  if (teardown_.joinable()) teardown_.join();
  health_.reset();
  metrics_.reset();
  reporter_.reset();
}

Result<std::unique_ptr<Monitoring>> Monitoring::Start(const MonitoringOptions& options,
                                                      StatusOptions status,
                                                      bus::JetStreamBus* bus) {
  auto m = std::unique_ptr<Monitoring>(new Monitoring());
  HARMONY_ASSIGN_OR_RETURN(m->reporter_, StatusReporter::Start(std::move(status), bus));
  StatusReporter* reporter = m->reporter_.get();
  monitor::StatusSource source = [reporter] { return reporter->Latest(); };
  if (options.metrics) {
    HARMONY_ASSIGN_OR_RETURN(m->metrics_, monitor::MetricsServer::Start(*options.metrics, source));
    spdlog::info("serving Prometheus metrics at http://{}/metrics", options.metrics->bind);
  }
  if (options.health) {
    monitor::HealthOptions health = *options.health;
    health.max_status_age = kStatusLiveFor;
    HARMONY_ASSIGN_OR_RETURN(m->health_, monitor::HealthServer::Start(health, source));
    spdlog::info("serving health checks at http://{}{}", health.bind, health.path);
  }
  return m;
}

}  // namespace harmony::node
