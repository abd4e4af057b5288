// End-to-end: a node's Prometheus metrics scraped by a real `prometheus` server (Debian's), which
// answers a PromQL query for the lag over its HTTP API; and the node's health endpoint, with
// thresholds, turning 503 when the broker goes away (issue #11, items 3 and 4).
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/e2e/cluster_fixture.h"
#include "tests/support/await.h"
#include "tests/support/free_port.h"

namespace harmony::test {
namespace {

using std::chrono::seconds;

class MonitoringTest : public ClusterTest {
 protected:
  void SetUp() override {
    ports_ = FreePorts(3);
    ClusterTest::SetUp();
  }
  // Node 1 serves metrics and health.
  std::string ExtraConfig(int node) const override {
    if (node != 0) return "";
    return "[prometheus]\nenable = true\nbind = \"127.0.0.1:" + std::to_string(ports_[0]) +
           "\"\nnamespace = \"hl\"\n"
           "[health_check]\nenable = true\nbind = \"127.0.0.1:" +
           std::to_string(ports_[1]) + "\"\npath = \"/healthz\"\n";
  }

  // GET on node 1's health endpoint: status and body (status 0 when it does not answer).
  std::pair<int, std::string> Health(const std::string& query = "") {
    httplib::Client client("127.0.0.1", ports_[1]);
    client.set_connection_timeout(2);
    auto res = client.Get("/healthz" + query);
    if (!res) return {0, ""};
    return {res->status, res->body};
  }

  std::vector<int> ports_;
};

TEST_F(MonitoringTest, RealPrometheusScrapesTheNodeAndAnswersForItsLag) {
  Exec(1, "INSERT INTO items VALUES(1, 'x', 1)");
  ASSERT_TRUE(WaitForSameData());
  const std::string dir = dir_.Sub("prometheus");
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/prometheus.yml")
      << "global:\n  scrape_interval: 1s\n"
      << "scrape_configs:\n  - job_name: harmony\n    static_configs:\n"
      << "      - targets: ['127.0.0.1:" << ports_[0] << "']\n";
  HarmonyProcess prometheus({"--config.file=" + dir + "/prometheus.yml",
                             "--storage.tsdb.path=" + dir + "/data",
                             "--web.listen-address=127.0.0.1:" + std::to_string(ports_[2])},
                            dir_.Sub("prometheus.log"), "/usr/bin/prometheus");
  ASSERT_TRUE(prometheus.Start());
  httplib::Client api("127.0.0.1", ports_[2]);
  std::string last;
  // The lag of shard 1 as Prometheus stored it from a scrape of node 1: 0 once caught up.
  const bool answered = PollUntil(
      [&] {
        auto res = api.Get("/api/v1/query?query=hl_lag_messages%7Bshard%3D%221%22%7D");
        if (!res || res->status != 200) return false;
        last = res->body;
        auto body = nlohmann::json::parse(res->body, nullptr, false);
        if (!body.is_object() || body["status"] != "success") return false;
        auto& result = body["data"]["result"];
        return result.is_array() && !result.empty() && result[0]["value"][1] == "0" &&
               result[0]["metric"]["job"] == "harmony";
      },
      std::chrono::seconds(60), std::chrono::milliseconds(250));
  EXPECT_TRUE(answered) << last << "\n" << prometheus.Log();
  // Applied changes are counted.
  httplib::Client metrics("127.0.0.1", ports_[0]);
  auto scrape = metrics.Get("/metrics");
  ASSERT_TRUE(scrape);
  EXPECT_NE(scrape->body.find("hl_changes_applied_total 1"), std::string::npos) << scrape->body;
  EXPECT_NE(scrape->body.find("hl_info{node_id=\"1\""), std::string::npos) << scrape->body;
  EXPECT_EQ(prometheus.Stop(), 0) << prometheus.Log();
}

TEST_F(MonitoringTest, HealthAnswersWithThresholdsAndTurnsUnhealthyWithoutTheBroker) {
  ASSERT_TRUE(PollUntil([&] { return Health().first == 200; }, seconds(30)));
  auto [code, body] = Health();
  auto json = nlohmann::json::parse(body);
  EXPECT_EQ(json["status"], "ok") << body;
  EXPECT_EQ(json["node"]["node_id"], 1) << body;
  EXPECT_EQ(json["node"]["capture_installed"], true) << body;
  EXPECT_EQ(Health("?max_lag_seconds=5&max_pending=1000").first, 200);
  EXPECT_EQ(Health("?max_pending=-3").first, 400);
  nats_->Stop();
  std::string down;
  EXPECT_TRUE(PollUntil(
      [&] {
        auto [c, b] = Health();
        down = b;
        return c == 503;
      },
      seconds(30)))
      << down;
  EXPECT_NE(down.find("not connected to NATS"), std::string::npos) << down;
  ASSERT_TRUE(nats_->Restart().ok());
  EXPECT_TRUE(PollUntil([&] { return Health().first == 200; }, seconds(60)));
}

}  // namespace
}  // namespace harmony::test
