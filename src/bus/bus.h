// bus: moves encoded change batches between nodes. Publisher and Subscriber are narrow interfaces
// with their contracts written down; jetstream_bus.h implements them over NATS JetStream, one
// stream per shard. Knows nothing of SQLite or of what a payload means.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "common/result.h"
#include "common/status.h"

namespace harmony::bus {

struct StreamOptions {
  std::string stream_prefix = "harmony-changes";     // stream of shard s: "<stream_prefix>-<s>"
  std::string subject_prefix = "harmony-change-log";  // subject of shard s: "<subject_prefix>-<s>"
  uint32_t shards = 1;
  int64_t max_entries = 1024;  // per-stream message limit (MaxMsgs); oldest are discarded
  int replicas = 1;
  // Whether this node's publishers zstd-compress payloads. Receivers decode both forms; it is
  // recorded with the streams so that every node is configured alike (stream_settings.h).
  bool compress = true;
  // HarmonyLite's replication_log.update_existing: existing streams whose max_entries, replicas
  // or compress differ from these are changed to match instead of refusing the start.
  bool update_existing = false;
};

std::string StreamName(const StreamOptions& options, uint32_t shard);
std::string SubjectName(const StreamOptions& options, uint32_t shard);

// Publishes payloads to shard streams. Not thread-safe: one thread owns a Publisher.
class Publisher {
 public:
  virtual ~Publisher() = default;
  // Queues `payload` for shard `shard` (1-based) with JetStream de-duplication id `msg_id` and
  // returns without waiting for the broker's ack. Fails only if the message cannot be queued.
  virtual Status PublishAsync(uint32_t shard, const std::string& msg_id,
                              const std::string& payload) = 0;
  // Waits until every message queued since the last WaitForAcks has been acknowledged by
  // JetStream. Returns Ok only if all were stored (a duplicate dropped by the de-duplication window
  // counts as stored); otherwise an error naming the first failure. After it returns, whatever
  // the outcome, nothing is pending: the caller re-publishes the whole group on error.
  virtual Status WaitForAcks(std::chrono::milliseconds timeout) = 0;
  // After a WaitForAcks that returned Ok: shard -> the highest stream sequence that group's
  // messages for the shard were stored at (shards without messages are absent).
  virtual std::map<uint32_t, uint64_t> AckedPositions() const = 0;
  // The largest `payload` PublishAsync is sure to get stored: the broker's limit less room for
  // the message's headers. Larger payloads must be split first (change::Fragment). May change
  // after a reconnect to a broker with a different limit; never 0 once connected.
  virtual size_t MaxMessageBytes() const = 0;
};

// One message delivered from a shard stream.
struct Delivery {
  uint32_t shard = 0;
  uint64_t stream_seq = 0;  // JetStream stream sequence of this message
  std::string payload;
};

// Called on a library thread, in stream order per shard, never concurrently for one shard.
// Blocking in it applies back-pressure to that shard's delivery.
using DeliveryHandler = std::function<void(Delivery&&)>;

// Live subscription handle; destroying it stops delivery (and waits for an in-flight callback).
class Subscription {
 public:
  virtual ~Subscription() = default;
};

class Subscriber {
 public:
  virtual ~Subscriber() = default;
  // Delivers every message of shard `shard` with stream sequence >= `start_seq` (1 = from the
  // beginning), in order, without gaps that the stream still holds, then follows new messages.
  // Uses an ordered consumer, so a lost message or a reconnect resumes from the next expected
  // sequence instead of skipping.
  virtual Result<std::unique_ptr<Subscription>> Subscribe(uint32_t shard, uint64_t start_seq,
                                                          DeliveryHandler handler) = 0;
};

struct StreamState {
  uint64_t first_seq = 0;  // oldest sequence still held (0 when empty)
  uint64_t last_seq = 0;   // newest sequence stored
  uint64_t messages = 0;
  // When JetStream created the stream, ns since the Unix epoch (0 when unknown): sequences are
  // only comparable between two states with the same value (a re-created stream starts at 1).
  int64_t created_ns = 0;
};

}  // namespace harmony::bus
