// Shared fixture of the bus integration tests: a nats-server per test and a JetStreamBus on it.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bus/bus.h"
#include "bus/jetstream_bus.h"
#include "tests/support/nats_server_process.h"
#include "tests/support/status_matchers.h"

namespace harmony::bus {

// Collects deliveries from a subscription; tests wait on it with a deadline.
class Collector {
 public:
  DeliveryHandler Handler() {
    return [this](Delivery&& d) {
      std::lock_guard<std::mutex> lock(mu_);
      deliveries_.push_back(std::move(d));
      changed_.notify_all();
    };
  }

  // True once at least `n` deliveries arrived within `timeout`.
  bool AwaitCount(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, timeout, [&] { return deliveries_.size() >= n; });
  }

  std::vector<uint64_t> Sequences() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<uint64_t> seqs;
    for (const auto& d : deliveries_) seqs.push_back(d.stream_seq);
    return seqs;
  }

  std::vector<Delivery> Deliveries() {
    std::lock_guard<std::mutex> lock(mu_);
    return deliveries_;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<Delivery> deliveries_;  // guarded by mu_
};

inline std::vector<uint64_t> Range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> out;
  for (uint64_t s = first; s <= last; ++s) out.push_back(s);
  return out;
}

class BusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = test::NatsServerProcess::Start();
    ASSERT_TRUE(test::IsOk(server));
    server_ = std::move(server).value();
    streams_.shards = 3;
    streams_.max_entries = 5000;
    bus_ = ConnectBus(streams_);
    ASSERT_NE(bus_, nullptr);
  }

  std::unique_ptr<JetStreamBus> ConnectBus(const StreamOptions& streams) {
    ConnectOptions connect;
    connect.urls = {server_->url()};
    connect.connect_retries = 0;
    connect.reconnect_wait_seconds = 1;
    connect.name = "bus-integration-test";
    auto bus = JetStreamBus::Connect(connect, streams);
    EXPECT_TRUE(test::IsOk(bus));
    return bus.ok() ? std::move(bus).value() : nullptr;
  }

  // Publishes payloads "p<first>".."p<last>" with msg ids "id-<i>" to `shard` and waits.
  Status PublishRange(Publisher& publisher, uint32_t shard, int first, int last) {
    for (int i = first; i <= last; ++i) {
      HARMONY_RETURN_IF_ERROR(
          publisher.PublishAsync(shard, "id-" + std::to_string(i), "p" + std::to_string(i)));
    }
    return publisher.WaitForAcks(std::chrono::seconds(10));
  }

  std::unique_ptr<test::NatsServerProcess> server_;
  StreamOptions streams_;
  std::unique_ptr<JetStreamBus> bus_;
};

}  // namespace harmony::bus
