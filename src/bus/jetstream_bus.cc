#include "bus/jetstream_bus.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "bus/jetstream_pubsub.h"
#include "common/retry.h"
#include "nats/connection.h"
#include "nats/jetstream.h"

namespace harmony::bus {
namespace {

bool HasAnyOf(const std::string& s, std::string_view chars) {
  return s.find_first_of(chars) != std::string::npos;
}

nats::StreamConfig ConfigFor(const StreamOptions& streams, uint32_t shard) {
  nats::StreamConfig config;
  config.name = StreamName(streams, shard);
  config.subject = SubjectName(streams, shard);
  config.max_msgs = streams.max_entries;
  config.replicas = streams.replicas;
  return config;
}

}  // namespace

Status ValidateStreamOptions(const StreamOptions& options) {
  // Stream names become file names on the server and may not contain these.
  if (options.stream_prefix.empty() || HasAnyOf(options.stream_prefix, ". *>/\\\t\r\n")) {
    return Status::InvalidArgument("stream_prefix '" + options.stream_prefix +
                                   "' must be non-empty, without '.', '*', '>', '/', '\\' or "
                                   "whitespace");
  }
  if (options.subject_prefix.empty() || HasAnyOf(options.subject_prefix, " *>\t\r\n") ||
      options.subject_prefix.front() == '.' || options.subject_prefix.back() == '.') {
    return Status::InvalidArgument("subject_prefix '" + options.subject_prefix +
                                   "' must be a non-empty subject without wildcards or "
                                   "whitespace");
  }
  if (options.shards < 1) return Status::InvalidArgument("shards must be at least 1");
  if (options.max_entries == 0 || options.max_entries < -1) {
    return Status::InvalidArgument("max_entries must be positive (or -1 for unlimited)");
  }
  if (options.replicas < 1 || options.replicas > 5) {
    return Status::InvalidArgument("replicas must be in 1..5 (JetStream's limit)");
  }
  return Status::Ok();
}

JetStreamBus::JetStreamBus(StreamOptions streams, std::shared_ptr<nats::Connection> connection,
                           std::shared_ptr<nats::JetStream> jetstream)
    : streams_(std::move(streams)),
      connection_(std::move(connection)),
      jetstream_(std::move(jetstream)) {}

JetStreamBus::~JetStreamBus() = default;

Result<std::unique_ptr<JetStreamBus>> JetStreamBus::Connect(const ConnectOptions& connect,
                                                            const StreamOptions& streams) {
  HARMONY_RETURN_IF_ERROR(ValidateStreamOptions(streams));
  nats::ConnectionOptions options;
  options.urls = connect.urls;
  options.name = connect.name;
  options.connect_retries = connect.connect_retries;
  options.reconnect_wait_seconds = connect.reconnect_wait_seconds;
  HARMONY_ASSIGN_OR_RETURN(std::shared_ptr<nats::Connection> connection,
                           nats::Connection::Connect(options));
  HARMONY_ASSIGN_OR_RETURN(std::shared_ptr<nats::JetStream> jetstream,
                           nats::JetStream::Create(connection));
  return std::unique_ptr<JetStreamBus>(
      new JetStreamBus(streams, std::move(connection), std::move(jetstream)));
}

Status JetStreamBus::EnsureStreams(std::chrono::milliseconds timeout) {
  using std::chrono::milliseconds;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool told = false;
  for (uint32_t shard = 1; shard <= streams_.shards; ++shard) {
    const nats::StreamConfig config = ConfigFor(streams_, shard);
    // Short requests first: before a cluster has elected its meta leader, requests get no
    // answer at all, and a short timeout notices the election sooner.
    milliseconds attempt_timeout{1000};
    RetryOptions retry;
    retry.timeout = std::chrono::duration_cast<milliseconds>(deadline -
                                                             std::chrono::steady_clock::now());
    Status s = RetryWhileUnavailable(
        retry,
        [&](milliseconds left) -> Status {
          auto info = jetstream_->AddOrUpdateStream(config, std::min(attempt_timeout, left));
          attempt_timeout = std::min(attempt_timeout * 2, milliseconds(5000));
          return info.ok() ? Status::Ok() : info.status();
        },
        [&](const Status& error) {
          // Expected for a few seconds after a clustered server starts (meta leader election).
          if (!told) spdlog::info("bus: waiting for JetStream: {}", error.message());
          told = true;
        });
    if (s.code() == Status::Code::kUnavailable) {
      return s.WithContext("JetStream not ready after " + std::to_string(timeout.count()) +
                           " ms");
    }
    HARMONY_RETURN_IF_ERROR(s);
  }
  return Status::Ok();
}

Result<StreamState> JetStreamBus::State(uint32_t shard) {
  if (shard < 1 || shard > streams_.shards) {
    return Status::InvalidArgument("shard " + std::to_string(shard) + " is outside 1.." +
                                   std::to_string(streams_.shards));
  }
  HARMONY_ASSIGN_OR_RETURN(nats::StreamInfo info,
                           jetstream_->GetStreamInfo(StreamName(streams_, shard)));
  StreamState state;
  state.messages = info.messages;
  state.last_seq = info.last_seq;
  state.created_ns = info.created_ns;
  // JetStream reports last_seq + 1 as the first sequence of an empty stream; bus.h says 0.
  state.first_seq = info.messages == 0 ? 0 : info.first_seq;
  return state;
}

std::unique_ptr<Publisher> JetStreamBus::NewPublisher() {
  return NewJetStreamPublisher(connection_, streams_);
}

std::unique_ptr<Subscriber> JetStreamBus::NewSubscriber() {
  return NewJetStreamSubscriber(jetstream_, streams_);
}

bool JetStreamBus::IsConnected() const { return connection_->IsConnected(); }

size_t JetStreamBus::MaxPayload() const { return connection_->MaxPayload(); }

}  // namespace harmony::bus
