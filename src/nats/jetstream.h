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
  // JetStream's free-text stream description; the bus records its cluster-wide settings here.
  std::string description;
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
  // File storage and limits retention: the kind of stream Harmony manages. A stream of another
  // kind under the same name cannot be changed into one (JetStream refuses).
  bool limits_file_stream = true;
  bool discard_old = true;  // the oldest messages go when MaxMsgs is reached
};

// What AddStream found or made.
struct AddedStream {
  StreamInfo info;
  bool created = false;  // false: the stream existed already, `info` is as it stands
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

  // Creates the stream unless one of that name exists; an existing stream is left exactly as
  // it is and returned with created = false, whatever its settings (the caller decides whether
  // they may change: JetStream's create is idempotent only for identical configs, and two nodes
  // may race to create). kUnavailable while JetStream cannot answer; kInvalidArgument for an
  // empty name or subject.
  Result<AddedStream> AddStream(const StreamConfig& config, std::chrono::milliseconds timeout = {});
  // Replaces the managed settings of an existing stream (JetStream stream update: subjects,
  // MaxMsgs, replicas, duplicate window, description). kNotFound if it does not exist;
  // kInvalidArgument if it is not a limits file stream (JetStream cannot change that).
  Result<StreamInfo> UpdateStream(const StreamConfig& config,
                                  std::chrono::milliseconds timeout = {});
  // True when `info`'s managed settings (subject, max_msgs, replicas, duplicate window,
  // description, discard old) equal `want`'s. The server normalises replicas 0 to 1.
  static bool SameManagedConfig(const StreamInfo& info, const StreamConfig& want);

  // When JetStream stored message `seq` of stream `name`, in ns since the Unix epoch (a direct
  // get of the message; js_GetMsg). kNotFound when the stream or the message does not exist
  // (never stored, or dropped by the limits); kUnavailable on broker trouble.
  Result<int64_t> MessageTimeNs(const std::string& name, uint64_t seq,
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
