#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace harmony::nats {

class Connection;

// One message delivered by a JetStream subscription, copied out of nats.c.
struct ReceivedMessage {
  std::string subject;
  std::string data;
  uint64_t stream_seq = 0;    // the message's sequence in its stream
  uint64_t consumer_seq = 0;  // restarts at 1 whenever an ordered consumer resets itself
  uint64_t pending = 0;       // messages left in the stream after this one for this consumer
  int64_t timestamp_ns = 0;   // when the stream stored it, nanoseconds since the Unix epoch
};

// Runs on the subscription's nats.c delivery thread, one message at a time. Blocking in it
// delays later messages of this subscription only. If it throws, the exception is logged and
// the subscription stops delivering (rather than skip a message and leave a gap).
using MessageHandler = std::function<void(ReceivedMessage&&)>;

struct OrderedSubscribeOptions {
  std::string stream;      // bound by name, so no stream lookup request is made
  std::string subject;     // filter subject within the stream
  uint64_t start_seq = 1;  // <= 1: from the first message the stream holds
  // Idle heartbeat of the push consumer. nats.c recreates an ordered consumer after two missed
  // heartbeats, and also right after a reconnect; a short value shortens recovery when the
  // server came back but the recreate attempt at reconnect failed (JetStream not ready yet).
  std::chrono::milliseconds heartbeat{2000};
};

// An ordered push consumer subscription (js_Subscribe with Ordered = true): an ephemeral
// consumer, no acks, flow control and heartbeats; on a gap or a reconnect nats.c recreates the
// consumer from the next expected stream sequence, so messages arrive in stream order without
// gaps or duplicates.
//
// Destroying it stops delivery: it waits for a handler call in progress on another thread to
// return (so objects the handler uses may be destroyed right after), and no call starts after.
// It may also be destroyed from inside its own handler. Not thread-safe otherwise.
class Subscription {
 public:
  struct State;  // shared with the nats.c callbacks; defined in subscription.cc

  Subscription(std::shared_ptr<Connection> connection, std::shared_ptr<State> state);
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  ~Subscription();

 private:
  std::shared_ptr<Connection> connection_;  // outlives state_'s natsSubscription
  std::shared_ptr<State> state_;
};

}  // namespace harmony::nats
