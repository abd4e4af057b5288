#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "monitor/health.h"
#include "monitor/metrics.h"

namespace harmony::monitor {
namespace {

NodeStatus Sample(int64_t now_ms) {
  NodeStatus s;
  s.node_id = 7;
  s.version = "9.9";
  s.connected = true;
  s.reported_unix_ms = now_ms;
  s.pending_changes = 5;
  s.changes_applied = 42;
  s.shards = {{1, 100, 90, 10, 2.5}, {2, 3, 3, 0, 0}};
  LatencyHistogram h;
  h.Observe(std::chrono::microseconds(300));  // 0.0005 bucket
  h.Observe(std::chrono::milliseconds(3));    // 0.005 bucket
  h.Observe(std::chrono::seconds(10));        // +Inf
  s.apply_latency = h.Read();
  return s;
}

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST(ThresholdsTest, ParsedFromTheQueryAndBadValuesNamed) {
  auto t = ParseThresholds({{"max_lag_seconds", "1.5"}, {"max_pending", "10"}});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_DOUBLE_EQ(*t->max_lag_seconds, 1.5);
  EXPECT_EQ(*t->max_pending, 10u);
  EXPECT_FALSE(t->max_lag_messages.has_value());
  for (auto bad : std::vector<std::multimap<std::string, std::string>>{
           {{"max_lag_seconds", "x"}}, {{"max_pending", "-1"}}, {{"max_lag_seconds", ""}},
           {{"max_lag_seconds", "nan"}}, {{"maxlag", "1"}}}) {
    auto r = ParseThresholds(bad);
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << bad.begin()->first;
    EXPECT_NE(r.status().message().find(bad.begin()->first), std::string::npos)
        << r.status().message();
  }
}

TEST(JudgeTest, EachThresholdAndConditionDecides) {
  const int64_t now = Now();
  const NodeStatus s = Sample(now);
  EXPECT_TRUE(Judge(s, {}, std::chrono::seconds(10), now).healthy);
  EXPECT_FALSE(Judge(std::nullopt, {}, std::chrono::seconds(10), now).healthy);
  EXPECT_FALSE(Judge(s, {}, std::chrono::seconds(10), now + 11000).healthy);  // stale
  NodeStatus down = s;
  down.connected = false;
  EXPECT_FALSE(Judge(down, {}, std::chrono::seconds(10), now).healthy);
  HealthThresholds lag;
  lag.max_lag_seconds = 2;
  auto v = Judge(s, lag, std::chrono::seconds(10), now);
  EXPECT_FALSE(v.healthy);
  ASSERT_EQ(v.reasons.size(), 1u);
  EXPECT_NE(v.reasons[0].find("max_lag_seconds"), std::string::npos);
  lag.max_lag_seconds = 3;
  EXPECT_TRUE(Judge(s, lag, std::chrono::seconds(10), now).healthy);
  HealthThresholds pending;
  pending.max_pending = 4;
  EXPECT_FALSE(Judge(s, pending, std::chrono::seconds(10), now).healthy);
  HealthThresholds messages;
  messages.max_lag_messages = 10;
  EXPECT_TRUE(Judge(s, messages, std::chrono::seconds(10), now).healthy);
  messages.max_lag_messages = 9;
  EXPECT_FALSE(Judge(s, messages, std::chrono::seconds(10), now).healthy);
}

TEST(MetricsTest, RenderedWithNamespaceSubsystemShardLabelsAndCumulativeBuckets) {
  MetricsOptions o;
  o.name_space = "hl";
  o.subsystem = "db";
  const std::string text = RenderMetrics(o, Sample(Now()));
  for (const char* line : {"hl_db_lag_messages{shard=\"1\"} 10", "hl_db_lag_seconds{shard=\"1\"} 2.5",
                           "hl_db_change_log_pending 5", "hl_db_changes_applied_total 42",
                           "hl_db_apply_latency_seconds_bucket{le=\"0.0005\"} 1",
                           "hl_db_apply_latency_seconds_bucket{le=\"0.005\"} 2",
                           "hl_db_apply_latency_seconds_bucket{le=\"+Inf\"} 3",
                           "hl_db_apply_latency_seconds_count 3",
                           "hl_db_info{node_id=\"7\",version=\"9.9\"} 1"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
  o.subsystem = "";
  EXPECT_NE(RenderMetrics(o, Sample(Now())).find("\nhl_connected 1"), std::string::npos);
}

TEST(ServersTest, MetricsAndHealthAnswerOverHttp) {
  std::optional<NodeStatus> current = Sample(Now());
  std::mutex mu;
  StatusSource source = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return current;
  };
  MetricsOptions mo;
  mo.bind = "127.0.0.1:0";
  auto metrics = MetricsServer::Start(mo, source);
  ASSERT_TRUE(metrics.ok()) << metrics.status().ToString();
  HealthOptions ho;
  ho.bind = "127.0.0.1:0";
  ho.path = "/healthz";
  auto health = HealthServer::Start(ho, source);
  ASSERT_TRUE(health.ok()) << health.status().ToString();

  httplib::Client m("127.0.0.1", (*metrics)->port());
  auto scrape = m.Get("/metrics");
  ASSERT_TRUE(scrape);
  EXPECT_EQ(scrape->status, 200);
  EXPECT_NE(scrape->body.find("harmony_lag_messages{shard=\"1\"} 10"), std::string::npos)
      << scrape->body;

  httplib::Client h("127.0.0.1", (*health)->port());
  auto ok = h.Get("/healthz");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
  auto body = nlohmann::json::parse(ok->body);
  EXPECT_EQ(body["status"], "ok");
  EXPECT_EQ(body["node"]["node_id"], 7);
  auto lagging = h.Get("/healthz?max_lag_seconds=1");
  ASSERT_TRUE(lagging);
  EXPECT_EQ(lagging->status, 503) << lagging->body;
  auto bad = h.Get("/healthz?max_lag_seconds=soon");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400) << bad->body;
  {
    std::lock_guard<std::mutex> lock(mu);
    current->connected = false;
  }
  auto down = h.Get("/healthz");
  ASSERT_TRUE(down);
  EXPECT_EQ(down->status, 503);
  EXPECT_NE(down->body.find("not connected to NATS"), std::string::npos) << down->body;

  // A taken port is refused with a line naming the key.
  MetricsOptions taken = mo;
  taken.bind = "127.0.0.1:" + std::to_string((*metrics)->port());
  auto again = MetricsServer::Start(taken, source);
  EXPECT_EQ(again.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(again.status().message().find("prometheus.bind"), std::string::npos);
}

}  // namespace
}  // namespace harmony::monitor
