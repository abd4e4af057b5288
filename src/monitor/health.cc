#include "monitor/health.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>

namespace harmony::monitor {
namespace {

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

template <typename T>
Status ParseNumber(const std::string& name, const std::string& text, std::optional<T>* out) {
  T value{};
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value < 0 ||
      (std::is_floating_point_v<T> && !std::isfinite(static_cast<double>(value)))) {
    return Status::InvalidArgument("query parameter " + name +
                                   ": expected a non-negative number, got '" + text + "'");
  }
  *out = value;
  return Status::Ok();
}

}  // namespace

Result<HealthThresholds> ParseThresholds(const std::multimap<std::string, std::string>& params) {
  HealthThresholds t;
  for (const auto& [name, value] : params) {
    if (name == "max_lag_seconds") {
      HARMONY_RETURN_IF_ERROR(ParseNumber(name, value, &t.max_lag_seconds));
    } else if (name == "max_lag_messages") {
      HARMONY_RETURN_IF_ERROR(ParseNumber(name, value, &t.max_lag_messages));
    } else if (name == "max_pending") {
      HARMONY_RETURN_IF_ERROR(ParseNumber(name, value, &t.max_pending));
    } else {
      return Status::InvalidArgument("unknown query parameter '" + name +
                                     "' (known: max_lag_seconds, max_lag_messages, max_pending)");
    }
  }
  return t;
}

HealthVerdict Judge(const std::optional<NodeStatus>& status, const HealthThresholds& t,
                    std::chrono::milliseconds max_status_age, int64_t now_unix_ms) {
  HealthVerdict v;
  if (!status) {
    v.reasons.push_back("no status yet (starting)");
    return v;
  }
  const int64_t age = now_unix_ms - status->reported_unix_ms;
  if (age > max_status_age.count()) {
    v.reasons.push_back("status is " + std::to_string(age) + " ms old");
  }
  if (!status->connected) v.reasons.push_back("not connected to NATS");
  char buf[96];
  if (t.max_lag_seconds && status->MaxLagSeconds() > *t.max_lag_seconds) {
    std::snprintf(buf, sizeof buf, "lag %.3f s > max_lag_seconds %g", status->MaxLagSeconds(),
                  *t.max_lag_seconds);
    v.reasons.push_back(buf);
  }
  if (t.max_lag_messages && status->MaxLagMessages() > *t.max_lag_messages) {
    v.reasons.push_back("lag " + std::to_string(status->MaxLagMessages()) +
                        " messages > max_lag_messages " + std::to_string(*t.max_lag_messages));
  }
  if (t.max_pending && status->pending_changes > *t.max_pending) {
    v.reasons.push_back(std::to_string(status->pending_changes) +
                        " unpublished changes > max_pending " + std::to_string(*t.max_pending));
  }
  v.healthy = v.reasons.empty();
  return v;
}

std::string HealthBody(const HealthVerdict& verdict, const std::optional<NodeStatus>& status,
                       bool detailed) {
  nlohmann::json body = {{"status", verdict.healthy ? "ok" : "unhealthy"},
                         {"reasons", verdict.reasons}};
  if (detailed && status) body["node"] = nlohmann::json::parse(ToJson(*status));
  return body.dump();
}

Result<std::unique_ptr<HealthServer>> HealthServer::Start(const HealthOptions& options,
                                                         StatusSource source) {
  if (options.path.empty() || options.path.front() != '/') {
    return Status::InvalidArgument("health_check.path '" + options.path +
                                   "' must start with '/'");
  }
  auto server = std::unique_ptr<HealthServer>(new HealthServer());
  HARMONY_ASSIGN_OR_RETURN(
      server->listener_,
      HttpListener::Start("health_check.bind", options.bind, [&](httplib::Server& http) {
        http.Get(options.path, [options, source](const httplib::Request& req,
                                                 httplib::Response& res) {
          auto thresholds = ParseThresholds(req.params);
          if (!thresholds.ok()) {
            res.status = 400;
            res.set_content(nlohmann::json({{"status", "bad request"},
                                            {"reasons", {thresholds.status().message()}}})
                                .dump(),
                            "application/json");
            return;
          }
          const std::optional<NodeStatus> status = source();
          const HealthVerdict verdict =
              Judge(status, *thresholds, options.max_status_age, NowUnixMs());
          res.status = verdict.healthy ? 200 : 503;
          res.set_content(HealthBody(verdict, status, options.detailed), "application/json");
        });
      }));
  return server;
}

HealthServer::~HealthServer() = default;

int HealthServer::port() const { return listener_->port(); }

}  // namespace harmony::monitor
