// JetStreamBus against a real nats-server: streams, publishing with acks and de-duplication,
// ordered subscriptions.
#include <gtest/gtest.h>

#include "nats/connection.h"
#include "nats/jetstream.h"
#include "tests/integration/bus_fixture.h"

namespace harmony::bus {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using test::IsOk;

// Reads a stream's configuration through harmony_nats, which the bus does not expose.
nats::StreamInfo Inspect(const std::string& url, const std::string& stream) {
  nats::ConnectionOptions options;
  options.urls = {url};
  options.connect_retries = 0;
  auto conn = nats::Connection::Connect(options);
  EXPECT_TRUE(IsOk(conn));
  if (!conn.ok()) return {};
  auto js = nats::JetStream::Create(conn.value());
  EXPECT_TRUE(IsOk(js));
  if (!js.ok()) return {};
  auto info = js.value()->GetStreamInfo(stream);
  EXPECT_TRUE(IsOk(info));
  return info.ok() ? info.value() : nats::StreamInfo{};
}

TEST_F(BusTest, EnsureStreamsCreatesEveryShardStreamWithItsLimits) {
  ASSERT_TRUE(IsOk(bus_->EnsureStreams()));
  for (uint32_t shard = 1; shard <= streams_.shards; ++shard) {
    auto state = bus_->State(shard);
    ASSERT_TRUE(IsOk(state));
    EXPECT_EQ(state->messages, 0u);
    EXPECT_EQ(state->first_seq, 0u);
    EXPECT_EQ(state->last_seq, 0u);
    nats::StreamInfo info = Inspect(server_->url(), StreamName(streams_, shard));
    EXPECT_EQ(info.config.subject, SubjectName(streams_, shard));
    EXPECT_EQ(info.config.max_msgs, 5000);
    EXPECT_EQ(info.config.replicas, 1);
    EXPECT_EQ(info.config.duplicate_window, std::chrono::minutes(2));
  }
  EXPECT_EQ(bus_->State(4).status().code(), Status::Code::kInvalidArgument);
}

TEST_F(BusTest, EnsureStreamsIsIdempotentAndChangesLimitsOnlyWhenToldTo) {
  ASSERT_TRUE(IsOk(bus_->EnsureStreams()));
  ASSERT_TRUE(IsOk(bus_->EnsureStreams()));
  StreamOptions smaller = streams_;
  smaller.max_entries = 100;
  auto refused = ConnectBus(smaller);
  ASSERT_NE(refused, nullptr);
  const Status s = refused->EnsureStreams();
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("replication_log.max_entries"), std::string::npos) << s.ToString();
  EXPECT_EQ(Inspect(server_->url(), StreamName(streams_, 2)).config.max_msgs,
            streams_.max_entries);

  smaller.update_existing = true;
  auto other = ConnectBus(smaller);
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(IsOk(other->EnsureStreams()));
  EXPECT_EQ(Inspect(server_->url(), StreamName(streams_, 2)).config.max_msgs, 100);

  // Discard old: the newest max_entries messages stay.
  auto publisher = other->NewPublisher();
  ASSERT_TRUE(IsOk(PublishRange(*publisher, 2, 1, 150)));
  auto state = other->State(2);
  ASSERT_TRUE(IsOk(state));
  EXPECT_EQ(state->messages, 100u);
  EXPECT_EQ(state->first_seq, 51u);
  EXPECT_EQ(state->last_seq, 150u);
}

TEST_F(BusTest, StateOfAMissingStreamIsNotFound) {
  EXPECT_EQ(bus_->State(1).status().code(), Status::Code::kNotFound);
}

TEST_F(BusTest, ThousandAsyncPublishesAreAllAcknowledgedAndStored) {
  ASSERT_TRUE(IsOk(bus_->EnsureStreams()));
  auto publisher = bus_->NewPublisher();
  for (int i = 1; i <= 1000; ++i) {
    ASSERT_TRUE(IsOk(publisher->PublishAsync(1, "m-" + std::to_string(i), std::string(100, 'x'))));
  }
  ASSERT_TRUE(IsOk(publisher->WaitForAcks(seconds(10))));
  auto state = bus_->State(1);
  ASSERT_TRUE(IsOk(state));
  EXPECT_EQ(state->messages, 1000u);
  EXPECT_EQ(state->first_seq, 1u);
  EXPECT_EQ(state->last_seq, 1000u);
  // Nothing is pending afterwards.
  EXPECT_TRUE(IsOk(publisher->WaitForAcks(milliseconds(1))));
}

TEST_F(BusTest, SameMsgIdIsStoredOnceAndCountsAsSuccess) {
  ASSERT_TRUE(IsOk(bus_->EnsureStreams()));
  auto publisher = bus_->NewPublisher();
  ASSERT_TRUE(IsOk(publisher->PublishAsync(1, "dup", "first")));
  ASSERT_TRUE(IsOk(publisher->PublishAsync(1, "dup", "second")));
  ASSERT_TRUE(IsOk(publisher->WaitForAcks(seconds(5))));
  // A later group re-publishing the same id (the retry case) is a duplicate too.
  ASSERT_TRUE(IsOk(publisher->PublishAsync(1, "dup", "third")));
  ASSERT_TRUE(IsOk(publisher->WaitForAcks(seconds(5))));
  auto state = bus_->State(1);
  ASSERT_TRUE(IsOk(state));
  EXPECT_EQ(state->messages, 1u);

  Collector collector;
  auto sub = bus_->NewSubscriber()->Subscribe(1, 1, collector.Handler());
  ASSERT_TRUE(IsOk(sub));
  ASSERT_TRUE(collector.AwaitCount(1, seconds(5)));
  EXPECT_EQ(collector.Deliveries()[0].payload, "first");
}

TEST_F(BusTest, AckedPositionsGiveTheLastGroupsHighestStreamSeqPerShard) {
  ASSERT_TRUE(IsOk(bus_->EnsureStreams()));
  auto publisher = bus_->NewPublisher();
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(IsOk(publisher->PublishAsync(1, "a-" + std::to_string(i), "x")));
  }
  ASSERT_TRUE(IsOk(publisher->PublishAsync(3, "b-1", "y")));
  ASSERT_TRUE(IsOk(publisher->WaitForAcks(seconds(5))));
  EXPECT_EQ(publisher->AckedPositions(), (std::map<uint32_t, uint64_t>{{1, 3}, {3, 1}}));
  // A duplicate reports where the original was stored; shards of earlier groups are gone.
  ASSERT_TRUE(IsOk(publisher->PublishAsync(1, "a-2", "x")));
  ASSERT_TRUE(IsOk(publisher->WaitForAcks(seconds(5))));
  EXPECT_EQ(publisher->AckedPositions(), (std::map<uint32_t, uint64_t>{{1, 2}}));
}

TEST_F(BusTest, PublishingToAShardWithoutStreamFailsAtWaitForAcks) {
  // No EnsureStreams: nothing captures the subject, so the server answers "no responders".
  auto publisher = bus_->NewPublisher();
  ASSERT_TRUE(IsOk(publisher->PublishAsync(1, "x", "payload")));
  Status acks = publisher->WaitForAcks(seconds(5));
  EXPECT_EQ(acks.code(), Status::Code::kNotFound) << acks.message();
  EXPECT_TRUE(publisher->AckedPositions().empty());
  EXPECT_TRUE(IsOk(publisher->WaitForAcks(milliseconds(1))));  // nothing left pending
}

TEST_F(BusTest, PublishRejectsShardOutOfRange) {
  auto publisher = bus_->NewPublisher();
  EXPECT_EQ(publisher->PublishAsync(0, "x", "y").code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(publisher->PublishAsync(4, "x", "y").code(), Status::Code::kInvalidArgument);
}

TEST_F(BusTest, SubscribeFromStartDeliversEverySequenceInOrderThenFollows) {
  ASSERT_TRUE(IsOk(bus_->EnsureStreams()));
  auto publisher = bus_->NewPublisher();
  ASSERT_TRUE(IsOk(PublishRange(*publisher, 2, 1, 20)));
  ASSERT_TRUE(IsOk(PublishRange(*publisher, 3, 1, 7)));  // another shard, not delivered

  Collector collector;
  auto sub = bus_->NewSubscriber()->Subscribe(2, 1, collector.Handler());
  ASSERT_TRUE(IsOk(sub));
  ASSERT_TRUE(collector.AwaitCount(20, seconds(5)));
  ASSERT_TRUE(IsOk(PublishRange(*publisher, 2, 21, 25)));
  ASSERT_TRUE(collector.AwaitCount(25, seconds(5)));

  std::vector<Delivery> got = collector.Deliveries();
  ASSERT_EQ(got.size(), 25u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].shard, 2u);
    EXPECT_EQ(got[i].stream_seq, i + 1);
    EXPECT_EQ(got[i].payload, "p" + std::to_string(i + 1));
  }
}

TEST_F(BusTest, SubscribeFromAMiddleSequenceStartsThere) {
  ASSERT_TRUE(IsOk(bus_->EnsureStreams()));
  auto publisher = bus_->NewPublisher();
  ASSERT_TRUE(IsOk(PublishRange(*publisher, 1, 1, 20)));

  Collector collector;
  auto sub = bus_->NewSubscriber()->Subscribe(1, 11, collector.Handler());
  ASSERT_TRUE(IsOk(sub));
  ASSERT_TRUE(collector.AwaitCount(10, seconds(5)));
  ASSERT_TRUE(IsOk(PublishRange(*publisher, 1, 21, 21)));
  ASSERT_TRUE(collector.AwaitCount(11, seconds(5)));
  EXPECT_EQ(collector.Sequences(), Range(11, 21));
}

TEST_F(BusTest, SubscribeToAMissingStreamFails) {
  Collector collector;
  auto sub = bus_->NewSubscriber()->Subscribe(1, 1, collector.Handler());
  EXPECT_FALSE(sub.ok());
}

TEST_F(BusTest, DestroyingTheSubscriptionStopsDelivery) {
  ASSERT_TRUE(IsOk(bus_->EnsureStreams()));
  auto publisher = bus_->NewPublisher();
  ASSERT_TRUE(IsOk(PublishRange(*publisher, 1, 1, 3)));
  Collector collector;
  auto sub = bus_->NewSubscriber()->Subscribe(1, 1, collector.Handler());
  ASSERT_TRUE(IsOk(sub));
  ASSERT_TRUE(collector.AwaitCount(3, seconds(5)));
  sub.value().reset();
  ASSERT_TRUE(IsOk(PublishRange(*publisher, 1, 4, 6)));
  // A second subscription sees the new messages; the destroyed one must not.
  Collector witness;
  auto other = bus_->NewSubscriber()->Subscribe(1, 4, witness.Handler());
  ASSERT_TRUE(IsOk(other));
  ASSERT_TRUE(witness.AwaitCount(3, seconds(5)));
  EXPECT_EQ(collector.Sequences(), Range(1, 3));
}

TEST_F(BusTest, ASubscriptionMayBeDestroyedFromItsOwnHandler) {
  ASSERT_TRUE(IsOk(bus_->EnsureStreams()));
  auto publisher = bus_->NewPublisher();
  ASSERT_TRUE(IsOk(PublishRange(*publisher, 1, 1, 5)));
  std::mutex mu;
  std::condition_variable cv;
  std::unique_ptr<Subscription> sub;  // guarded by mu
  int calls = 0;                      // guarded by mu
  auto created = bus_->NewSubscriber()->Subscribe(1, 1, [&](Delivery&&) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return sub != nullptr; });
    ++calls;
    sub.reset();  // from inside the handler: must neither deadlock nor deliver again
    cv.notify_all();
  });
  ASSERT_TRUE(IsOk(created));
  {
    std::lock_guard<std::mutex> lock(mu);
    sub = std::move(created).value();
    cv.notify_all();
  }
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, seconds(5), [&] { return calls > 0 && sub == nullptr; }));
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace harmony::bus
