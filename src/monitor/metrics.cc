#include "monitor/metrics.h"

#include <httplib.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <exception>
#include <limits>
#include <utility>
#include <vector>

namespace harmony::monitor {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

class Families {
 public:
  explicit Families(const MetricsOptions& options) : options_(options) {}

  // Adds one sample of metric `name` (its family is created on first use).
  ClientMetric& Add(const std::string& name, const std::string& help, MetricType type,
                    std::vector<ClientMetric::Label> labels = {}) {
    std::string full;
    for (const std::string& part : {options_.name_space, options_.subsystem, name}) {
      if (!part.empty()) full += (full.empty() ? "" : "_") + part;
    }
    MetricFamily* family = nullptr;
    for (MetricFamily& f : families_) {
      if (f.name == full) family = &f;
    }
    if (family == nullptr) {
      families_.push_back(MetricFamily{full, help, type, {}});
      family = &families_.back();
    }
    family->metric.push_back(ClientMetric{});
    family->metric.back().label = std::move(labels);
    return family->metric.back();
  }

  void Gauge(const std::string& name, const std::string& help, double value,
             std::vector<ClientMetric::Label> labels = {}) {
    Add(name, help, MetricType::Gauge, std::move(labels)).gauge.value = value;
  }
  void Counter(const std::string& name, const std::string& help, double value) {
    Add(name, help, MetricType::Counter).counter.value = value;
  }
  void Histogram(const std::string& name, const std::string& help,
                 const LatencyHistogram::Snapshot& h) {
    ClientMetric::Histogram& out = Add(name, help, MetricType::Histogram).histogram;
    uint64_t cumulative = 0;
    for (size_t i = 0; i < LatencyHistogram::kBounds.size(); ++i) {
      cumulative += h.counts[i];
      out.bucket.push_back({cumulative, LatencyHistogram::kBounds[i]});
    }
    cumulative += h.counts.back();
    out.bucket.push_back({cumulative, std::numeric_limits<double>::infinity()});
    out.sample_count = cumulative;
    out.sample_sum = h.sum_seconds;
  }

  std::vector<MetricFamily> Take() { return std::move(families_); }

 private:
  const MetricsOptions& options_;
  std::vector<MetricFamily> families_;
};

double Seconds(int64_t unix_ms) { return static_cast<double>(unix_ms) / 1000.0; }

std::vector<MetricFamily> Collect(const MetricsOptions& options, const NodeStatus& s) {
  Families f(options);
  f.Gauge("info", "Always 1; labels name this node and its version.", 1,
          {{"node_id", std::to_string(s.node_id)}, {"version", s.version}});
  f.Gauge("connected", "1 while connected to NATS.", s.connected ? 1 : 0);
  f.Gauge("capture_installed", "1 when harmony's capture triggers are installed.",
          s.capture_installed ? 1 : 0);
  f.Gauge("tables_tracked", "Tables whose changes are captured.",
          static_cast<double>(s.tables_tracked));
  for (const ShardStatus& sh : s.shards) {
    std::vector<ClientMetric::Label> shard = {{"shard", std::to_string(sh.shard)}};
    f.Gauge("stream_last_sequence", "Last stream sequence in the shard's stream.",
            static_cast<double>(sh.stream_last_seq), shard);
    f.Gauge("applied_sequence", "Last stream sequence of the shard this node has taken in.",
            static_cast<double>(sh.applied_seq), shard);
    f.Gauge("lag_messages", "Messages in the shard's stream this node has not taken in yet.",
            static_cast<double>(sh.lag_messages), shard);
    f.Gauge("lag_seconds",
            "How long the oldest message not taken in has been in the stream (JetStream's "
            "stored time); 0 when caught up.",
            sh.lag_seconds, shard);
  }
  f.Gauge("change_log_pending", "Captured local changes not yet acknowledged by JetStream.",
          static_cast<double>(s.pending_changes));
  f.Gauge("held_batches", "Batches held for a table or column this node does not have yet.",
          static_cast<double>(s.held_batches));
  f.Gauge("dead_letters_pending", "Dead letters waiting for retry or discard.",
          static_cast<double>(s.dead_letters));
  f.Counter("changes_published_total", "Local changes published.",
            static_cast<double>(s.changes_published));
  f.Counter("messages_published_total", "Messages published.",
            static_cast<double>(s.messages_published));
  f.Counter("publish_failures_total", "Publish rounds that failed and were retried.",
            static_cast<double>(s.publish_failures));
  f.Counter("changes_applied_total", "Remote changes applied.",
            static_cast<double>(s.changes_applied));
  f.Counter("messages_applied_total", "Messages taken in from the streams.",
            static_cast<double>(s.messages_applied));
  f.Counter("changes_held_total", "Remote changes held for a table or column not here yet.",
            static_cast<double>(s.changes_held));
  f.Counter("changes_dead_lettered_total", "Remote changes and messages set aside for good.",
            static_cast<double>(s.changes_dead_lettered));
  f.Counter("conflicts_total", "Remote changes that lost to a concurrent local change.",
            static_cast<double>(s.conflicts));
  f.Counter("unique_conflicts_total",
            "Upserts that collided with other rows through a secondary UNIQUE constraint.",
            static_cast<double>(s.unique_conflicts));
  f.Histogram("publish_latency_seconds",
              "From the start of a publish round to JetStream's last acknowledgement of it.",
              s.publish_latency);
  f.Histogram("apply_latency_seconds", "Duration of each committed apply transaction.",
              s.apply_latency);
  f.Gauge("last_publish_timestamp_seconds", "When a publish round was last acknowledged.",
          Seconds(s.last_publish_unix_ms));
  f.Gauge("last_apply_timestamp_seconds", "When an apply transaction last committed.",
          Seconds(s.last_apply_unix_ms));
  f.Gauge("snapshot_last_saved_timestamp_seconds",
          "When this node last saved a snapshot (0: never).", Seconds(s.last_snapshot_unix_ms));
  f.Gauge("snapshot_last_duration_seconds", "How long this node's last snapshot save took.",
          Seconds(s.last_snapshot_duration_ms));
  f.Gauge("status_timestamp_seconds", "When the values above were read.",
          Seconds(s.reported_unix_ms));
  return f.Take();
}

}  // namespace

Result<std::unique_ptr<MetricsServer>> MetricsServer::Start(const MetricsOptions& options,
                                                           StatusSource source) {
  auto server = std::unique_ptr<MetricsServer>(new MetricsServer());
  HARMONY_ASSIGN_OR_RETURN(
      server->listener_,
      HttpListener::Start("prometheus.bind", options.bind, [&](httplib::Server& http) {
        http.Get("/metrics", [options, source](const httplib::Request&, httplib::Response& res) {
          const std::optional<NodeStatus> status = source();
          res.set_content(status ? RenderMetrics(options, *status) : std::string(),
                          "text/plain; version=0.0.4");
        });
      }));
  server->port_ = server->listener_->port();
  return server;
}

MetricsServer::~MetricsServer() = default;

std::string RenderMetrics(const MetricsOptions& options, const NodeStatus& status) {
  return prometheus::TextSerializer().Serialize(Collect(options, status));
}

}  // namespace harmony::monitor
