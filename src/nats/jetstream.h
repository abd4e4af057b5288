#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"
#include "common/status.h"
#include "nats/connection.h"
#include "nats/subscription.h"

namespace harmony::nats {

// The stream settings Harmony manages. Everything else is fixed: one subject, limits retention,
// file storage, discard old.
struct StreamConfig {
  std::string name;
  std::string subject;
  int64_t max_msgs = -1;  // -1: unlimited
  int replicas = 1;
  std::chrono::milliseconds duplicate_window = std::chrono::minutes(2);  // Nats-Msg-Id dedupe
};

struct StreamInfo {
  StreamConfig config;
  // As the server reports them: when the stream is empty, first_seq is last_seq + 1.
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
  uint64_t messages = 0;
  // When the server created the stream (jsStreamInfo.Created), ns since the Unix epoch: a stream
  // deleted and created again under the same name has another value.
  int64_t created_ns = 0;
};

struct JetStreamOptions {
  // How long a JetStream API request (stream info, create, subscribe) waits for its answer.
  std::chrono::milliseconds api_timeout{5000};
};

// A JetStream context for stream management and ordered subscriptions. Thread-safe.
// Publishing has its own context per publisher: see AsyncPublisher.
class JetStream {
 public:
  static Result<std::unique_ptr<JetStream>> Create(std::shared_ptr<Connection> connection,
                                                   const JetStreamOptions& options = {});
  JetStream(const JetStream&) = delete;
  JetStream& operator=(const JetStream&) = delete;
  ~JetStream();

  // kNotFound when the stream does not exist; kUnavailable while JetStream cannot answer
  // (no meta leader yet, server restarting, request timeout, disconnected). `timeout` bounds
  // each request; zero means JetStreamOptions::api_timeout.
  Result<StreamInfo> GetStreamInfo(const std::string& name, std::chrono::milliseconds timeout = {});

  // Creates the stream if absent; otherwise updates it when the subject, max_msgs, replicas or
  // duplicate window differ (kInvalidArgument if it is not a file-storage limits stream).
  Result<StreamInfo> AddOrUpdateStream(const StreamConfig& config,
                                       std::chrono::milliseconds timeout = {});

  // See Subscription. Fails with kNotFound if the stream does not exist.
  Result<std::unique_ptr<Subscription>> SubscribeOrdered(const OrderedSubscribeOptions& options,
                                                         MessageHandler handler);

  const std::shared_ptr<Connection>& connection() const { return connection_; }

  // For src/nats internals only: holds the jsCtx.
  struct Impl;
  Impl& impl() const { return *impl_; }
  // kUnavailable (naming `context`) unless the connection is up.
  Status CheckConnected(const std::string& context) const;

 private:
  JetStream(std::shared_ptr<Connection> connection, std::unique_ptr<Impl> impl);
  std::shared_ptr<Connection> connection_;
  std::unique_ptr<Impl> impl_;  // after connection_: destroyed first
};

}  // namespace harmony::nats
