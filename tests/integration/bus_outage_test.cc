// JetStreamBus across broker outages: the connection, subscriptions and publishers survive a
// nats-server restart on the same store dir; publishing into an outage fails within the timeout.
#include <gtest/gtest.h>

#include "tests/integration/bus_fixture.h"
#include "tests/support/await.h"

namespace harmony::bus {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using test::IsOk;

// Retries publishing one message until the broker stores it, for up to `timeout`: after a
// restart JetStream needs a moment to recover its streams, and the client to reconnect.
Status PublishUntilStored(Publisher& publisher, uint32_t shard, const std::string& id,
                          const std::string& payload, milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  Status last;
  while (std::chrono::steady_clock::now() < deadline) {
    last = publisher.PublishAsync(shard, id, payload);
    if (last.ok()) last = publisher.WaitForAcks(milliseconds(500));
    if (last.ok()) return last;
  }
  return last;
}

TEST_F(BusTest, SubscriptionKeepsReceivingAfterTheServerRestarts) {
  ASSERT_TRUE(IsOk(bus_->EnsureStreams()));
  auto publisher = bus_->NewPublisher();
  ASSERT_TRUE(IsOk(PublishRange(*publisher, 1, 1, 5)));
  Collector collector;
  auto sub = bus_->NewSubscriber()->Subscribe(1, 1, collector.Handler());
  ASSERT_TRUE(IsOk(sub));
  ASSERT_TRUE(collector.AwaitCount(5, seconds(5)));

  const pid_t old_pid = server_->pid();
  ASSERT_TRUE(IsOk(server_->Restart()));
  EXPECT_NE(server_->pid(), old_pid);

  for (int i = 6; i <= 10; ++i) {
    ASSERT_TRUE(IsOk(PublishUntilStored(*publisher, 1, "id-" + std::to_string(i),
                                        "p" + std::to_string(i), seconds(15))));
  }
  ASSERT_TRUE(collector.AwaitCount(10, seconds(15)));
  EXPECT_EQ(collector.Sequences(), Range(1, 10));
  auto state = bus_->State(1);
  ASSERT_TRUE(IsOk(state));
  EXPECT_EQ(state->last_seq, 10u);
}

TEST_F(BusTest, PublishWhileTheServerIsDownFailsWithinTheTimeout) {
  ASSERT_TRUE(IsOk(bus_->EnsureStreams()));
  auto publisher = bus_->NewPublisher();
  ASSERT_TRUE(IsOk(PublishRange(*publisher, 1, 1, 3)));

  server_->Stop();
  ASSERT_TRUE(test::PollUntil([&] { return !bus_->IsConnected(); }, seconds(5)));

  const auto start = std::chrono::steady_clock::now();
  // Queuing may succeed (into the reconnect buffer) or fail; either way the group must fail.
  Status queued = publisher->PublishAsync(1, "id-4", "p4");
  Status acks = publisher->WaitForAcks(milliseconds(1000));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(queued.ok() && acks.ok());
  if (queued.ok()) {
    EXPECT_EQ(acks.code(), Status::Code::kUnavailable) << acks.message();
  }
  EXPECT_LT(elapsed, seconds(3));
  EXPECT_FALSE(bus_->State(1).ok());

  // And the same bus and publisher work again once the server is back.
  ASSERT_TRUE(IsOk(server_->Restart()));
  ASSERT_TRUE(IsOk(PublishUntilStored(*publisher, 1, "id-4", "p4", seconds(15))));
  auto state = bus_->State(1);
  ASSERT_TRUE(IsOk(state));
  EXPECT_EQ(state->messages, 4u);  // the buffered copy of id-4, if sent, was de-duplicated
}

}  // namespace
}  // namespace harmony::bus
