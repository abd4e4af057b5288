// The broker's message size limit against a real nats-server: what the bus reports, that a message
// of exactly Publisher::MaxMessageBytes() is stored, and that a message split with
// change::Fragment goes through and is reassembled.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "change/fragment.h"
#include "nats/connection.h"
#include "tests/integration/bus_fixture.h"

namespace harmony::bus {
namespace {

using std::chrono::seconds;
using test::IsOk;

constexpr size_t kServerDefaultMaxPayload = size_t{1} << 20;

// The longest Nats-Msg-Id change::MessageId can produce: five 20-digit numbers and a 10-digit
// shard, so the header margin is tested against the worst case.
std::string LongestMsgId() {
  const std::string u64 = "18446744073709551615";
  return u64 + "-" + u64 + "-" + u64 + "-" + u64 + "-4294967295-4294967295";
}

std::string Pattern(size_t n, char salt) {
  std::string out(n, '\0');
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<char>(i * 31 + (i >> 8) + salt);
  return out;
}

TEST_F(BusTest, MaxPayloadIsTheServersOneMebibyteDefault) {
  EXPECT_EQ(bus_->MaxPayload(), kServerDefaultMaxPayload);
  auto publisher = bus_->NewPublisher();
  EXPECT_EQ(publisher->MaxMessageBytes(), kServerDefaultMaxPayload - 1024);

  nats::ConnectionOptions options;
  options.urls = {server_->url()};
  options.connect_retries = 0;
  auto conn = nats::Connection::Connect(options);
  ASSERT_TRUE(IsOk(conn));
  EXPECT_EQ(conn.value()->MaxPayload(), kServerDefaultMaxPayload);
}

TEST_F(BusTest, MessageOfExactlyMaxMessageBytesIsStored) {
  ASSERT_TRUE(IsOk(bus_->EnsureStreams()));
  auto publisher = bus_->NewPublisher();
  const std::string payload = Pattern(publisher->MaxMessageBytes(), 'a');
  ASSERT_TRUE(IsOk(publisher->PublishAsync(1, LongestMsgId(), payload)));
  ASSERT_TRUE(IsOk(publisher->WaitForAcks(seconds(10))));
  auto state = bus_->State(1);
  ASSERT_TRUE(IsOk(state));
  EXPECT_EQ(state->messages, 1u);

  Collector collector;
  auto sub = bus_->NewSubscriber()->Subscribe(1, 1, collector.Handler());
  ASSERT_TRUE(IsOk(sub));
  ASSERT_TRUE(collector.AwaitCount(1, seconds(5)));
  EXPECT_TRUE(collector.Deliveries()[0].payload == payload);
}

TEST_F(BusTest, MessageOverMaxPayloadIsNotStored) {
  // Why fragments exist: such a message is refused (nats.c already refuses to queue it, counting
  // headers and payload against the server's max_payload).
  ASSERT_TRUE(IsOk(bus_->EnsureStreams()));
  auto publisher = bus_->NewPublisher();
  const std::string payload = Pattern(bus_->MaxPayload() + 1, 'b');
  Status status = publisher->PublishAsync(1, "too-big", payload);
  if (status.ok()) status = publisher->WaitForAcks(seconds(10));
  EXPECT_FALSE(status.ok());
  // The connection survives it: a normal message still goes through.
  auto state = bus_->State(1);
  ASSERT_TRUE(IsOk(state));
  EXPECT_EQ(state->messages, 0u);
  ASSERT_TRUE(IsOk(PublishRange(*publisher, 1, 1, 1)));
}

TEST_F(BusTest, FragmentedMessagesOfTwoSendersInterleaveAndReassemble) {
  ASSERT_TRUE(IsOk(bus_->EnsureStreams()));
  auto publisher = bus_->NewPublisher();
  const size_t max = publisher->MaxMessageBytes();
  const std::string big_a = Pattern(5 << 20, 'a');
  const std::string big_b = Pattern(3 << 20, 'b');
  const std::vector<std::string> a = change::Fragment(big_a, max, 1);
  const std::vector<std::string> b = change::Fragment(big_b, max, 2);
  ASSERT_EQ(a.size(), 6u);
  ASSERT_EQ(b.size(), 4u);
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_TRUE(IsOk(publisher->PublishAsync(1, "a-" + std::to_string(i), a[i])));
    if (i < b.size()) {
      ASSERT_TRUE(IsOk(publisher->PublishAsync(1, "b-" + std::to_string(i), b[i])));
    }
  }
  ASSERT_TRUE(IsOk(publisher->WaitForAcks(seconds(30))));

  Collector collector;
  auto sub = bus_->NewSubscriber()->Subscribe(1, 1, collector.Handler());
  ASSERT_TRUE(IsOk(sub));
  ASSERT_TRUE(collector.AwaitCount(a.size() + b.size(), seconds(10)));
  change::Reassembler reassembler;
  std::vector<std::string> complete;
  for (const Delivery& d : collector.Deliveries()) {
    ASSERT_TRUE(change::IsFragment(d.payload));
    auto got = reassembler.Add(d.shard, d.payload, d.stream_seq);
    ASSERT_TRUE(IsOk(got));
    if (got->has_value()) complete.push_back(std::move(**got));
  }
  ASSERT_EQ(complete.size(), 2u);
  EXPECT_TRUE(complete[0] == big_b);  // b has fewer fragments, so it completes first
  EXPECT_TRUE(complete[1] == big_a);
  EXPECT_FALSE(reassembler.HasPartial());
}

}  // namespace
}  // namespace harmony::bus
