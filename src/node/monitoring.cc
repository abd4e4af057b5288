#include "node/monitoring.h"

#include <spdlog/spdlog.h>

#include "monitor/health.h"
#include "monitor/metrics.h"

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

Result<std::unique_ptr<Monitoring>> Monitoring::Start(const config::Config& config,
                                                      StatusOptions status,
                                                      bus::JetStreamBus* bus) {
  auto m = std::unique_ptr<Monitoring>(new Monitoring());
  HARMONY_ASSIGN_OR_RETURN(m->reporter_, StatusReporter::Start(std::move(status), bus));
  StatusReporter* reporter = m->reporter_.get();
  monitor::StatusSource source = [reporter] { return reporter->Latest(); };
  if (config.prometheus.enable) {
    monitor::MetricsOptions options{.bind = config.prometheus.bind,
                                    .name_space = config.prometheus.name_space,
                                    .subsystem = config.prometheus.subsystem};
    HARMONY_ASSIGN_OR_RETURN(m->metrics_, monitor::MetricsServer::Start(options, source));
    spdlog::info("serving Prometheus metrics at http://{}/metrics", config.prometheus.bind);
  }
  if (config.health_check.enable) {
    monitor::HealthOptions options{.bind = config.health_check.bind,
                                   .path = config.health_check.path,
                                   .detailed = config.health_check.detailed,
                                   .max_status_age = kStatusLiveFor};
    HARMONY_ASSIGN_OR_RETURN(m->health_, monitor::HealthServer::Start(options, source));
    spdlog::info("serving health checks at http://{}{}", config.health_check.bind,
                 config.health_check.path);
  }
  return m;
}

}  // namespace harmony::node
