#include "bus/jetstream_pubsub.h"

#include <utility>

#include "nats/async_publisher.h"
#include "nats/connection.h"
#include "nats/jetstream.h"
#include "nats/subscription.h"

namespace harmony::bus {
namespace {

// The broker counts headers against max_payload. Ours are "NATS/1.0" and a Nats-Msg-Id of a few
// dozen characters; JetStream adds none on publish. 1 KiB leaves ample room.
constexpr size_t kHeaderMarginBytes = 1024;

Status CheckShard(const StreamOptions& streams, uint32_t shard) {
  if (shard >= 1 && shard <= streams.shards) return Status::Ok();
  return Status::InvalidArgument("shard " + std::to_string(shard) + " is outside 1.." +
                                 std::to_string(streams.shards));
}

// Not thread-safe (bus.h): one thread publishes and waits.
class JetStreamPublisher final : public Publisher {
 public:
  JetStreamPublisher(std::shared_ptr<nats::Connection> connection, StreamOptions streams)
      : connection_(std::move(connection)), streams_(std::move(streams)) {}

  Status PublishAsync(uint32_t shard, const std::string& msg_id,
                      const std::string& payload) override {
    HARMONY_RETURN_IF_ERROR(CheckShard(streams_, shard));
    if (publisher_ == nullptr) {
      // Created on first use so that a failure surfaces as a Status of this call.
      auto created = nats::AsyncPublisher::Create(connection_);
      if (!created.ok()) return created.status();
      publisher_ = std::move(created).value();
    }
    return publisher_->Publish(SubjectName(streams_, shard), msg_id, payload);
  }

  Status WaitForAcks(std::chrono::milliseconds timeout) override {
    if (publisher_ == nullptr) return Status::Ok();
    return publisher_->WaitForAcks(timeout);
  }

  std::map<uint32_t, uint64_t> AckedPositions() const override {
    std::map<uint32_t, uint64_t> positions;
    if (publisher_ == nullptr) return positions;
    const std::map<std::string, uint64_t> acked = publisher_->AckedSequences();
    for (uint32_t shard = 1; shard <= streams_.shards; ++shard) {
      auto it = acked.find(StreamName(streams_, shard));
      if (it != acked.end()) positions[shard] = it->second;
    }
    return positions;
  }

  size_t MaxMessageBytes() const override {
    const size_t max = connection_->MaxPayload();
    // A broker configured with a tiny max_payload still leaves half of it for the payload.
    return max > 2 * kHeaderMarginBytes ? max - kHeaderMarginBytes : max / 2;
  }

 private:
  std::shared_ptr<nats::Connection> connection_;
  const StreamOptions streams_;
  std::unique_ptr<nats::AsyncPublisher> publisher_;
};

class JetStreamSubscription final : public Subscription {
 public:
  explicit JetStreamSubscription(std::unique_ptr<nats::Subscription> sub) : sub_(std::move(sub)) {}

 private:
  std::unique_ptr<nats::Subscription> sub_;  // its destructor stops delivery (see bus.h)
};

class JetStreamSubscriber final : public Subscriber {
 public:
  JetStreamSubscriber(std::shared_ptr<nats::JetStream> jetstream, StreamOptions streams)
      : jetstream_(std::move(jetstream)), streams_(std::move(streams)) {}

  Result<std::unique_ptr<Subscription>> Subscribe(uint32_t shard, uint64_t start_seq,
                                                  DeliveryHandler handler) override {
    HARMONY_RETURN_IF_ERROR(CheckShard(streams_, shard));
    if (!handler) return Status::InvalidArgument("subscribe: empty delivery handler");
    nats::OrderedSubscribeOptions options;
    options.stream = StreamName(streams_, shard);
    options.subject = SubjectName(streams_, shard);
    options.start_seq = start_seq;
    auto sub = jetstream_->SubscribeOrdered(
        options, [shard, handler = std::move(handler)](nats::ReceivedMessage&& msg) {
          handler(Delivery{shard, msg.stream_seq, std::move(msg.data)});
        });
    if (!sub.ok()) return sub.status().WithContext("shard " + std::to_string(shard));
    return std::unique_ptr<Subscription>(new JetStreamSubscription(std::move(sub).value()));
  }

 private:
  std::shared_ptr<nats::JetStream> jetstream_;
  const StreamOptions streams_;
};

}  // namespace

std::unique_ptr<Publisher> NewJetStreamPublisher(std::shared_ptr<nats::Connection> connection,
                                                 const StreamOptions& streams) {
  return std::make_unique<JetStreamPublisher>(std::move(connection), streams);
}

std::unique_ptr<Subscriber> NewJetStreamSubscriber(std::shared_ptr<nats::JetStream> jetstream,
                                                   const StreamOptions& streams) {
  return std::make_unique<JetStreamSubscriber>(std::move(jetstream), streams);
}

}  // namespace harmony::bus
