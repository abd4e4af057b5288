#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/status.h"
#include "nats/connection.h"

namespace harmony::nats {

struct AsyncPublisherOptions {
  // Publish blocks once this many acks are outstanding, for up to `stall_wait`, then fails.
  int64_t max_pending = 256;
  std::chrono::milliseconds stall_wait{5000};
};

// Counts of what the broker acknowledged since the publisher was created.
struct PublishCounters {
  uint64_t stored = 0;
  uint64_t duplicates = 0;  // dropped by the stream's de-duplication window (still "stored")
  uint64_t failed = 0;
};

// Pipelined JetStream publishing (js_PublishMsgAsync with a Nats-Msg-Id header) over its own
// JetStream context, so that its acks, errors and pending set are its own.
//
// Thread-safety: one thread calls Publish and WaitForAcks; acks are processed on a nats.c
// thread and meet the caller under an internal mutex.
class AsyncPublisher {
 public:
  static Result<std::unique_ptr<AsyncPublisher>> Create(std::shared_ptr<Connection> connection,
                                                        const AsyncPublisherOptions& options = {});
  AsyncPublisher(const AsyncPublisher&) = delete;
  AsyncPublisher& operator=(const AsyncPublisher&) = delete;
  // Drops whatever is still waiting for an ack.
  ~AsyncPublisher();

  // Queues one message. `msg_id` (may be empty) becomes the Nats-Msg-Id header used by the
  // stream's de-duplication window. While disconnected the message goes to the reconnect buffer;
  // fails if that is full, the connection is closed, or too many acks are outstanding.
  Status Publish(const std::string& subject, const std::string& msg_id, std::string_view payload);

  // Waits until every message published since the last call is acknowledged. Ok if all were
  // stored or were duplicates; otherwise the first failure (kNotFound: no stream has the
  // subject; kUnavailable: timeout or broker trouble). Afterwards nothing is pending, whatever
  // the outcome; a message abandoned on timeout may still be stored later if it reached the
  // broker, so re-publish it with the same msg_id.
  Status WaitForAcks(std::chrono::milliseconds timeout);

  // After a WaitForAcks that returned Ok: for each stream the group's messages went to, the
  // highest stream sequence they were stored at. Empty after a failed WaitForAcks.
  std::map<std::string, uint64_t> AckedSequences() const;

  size_t Pending() const;
  PublishCounters counters() const;

  struct State;  // shared with the nats.c ack handler; defined in async_publisher.cc

 private:
  AsyncPublisher(std::shared_ptr<Connection> connection, std::shared_ptr<State> state);
  std::shared_ptr<Connection> connection_;
  std::shared_ptr<State> state_;  // owns the jsCtx; anchored in connection_ as well
};

}  // namespace harmony::nats
