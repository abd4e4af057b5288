#include "bus/jetstream_bus.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "bus/jetstream_pubsub.h"
#include "bus/stream_settings.h"
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
  config.description = StreamDescription(streams, shard);
  return config;
}

// Describes what an update changes, "max_entries 140 -> 50, replicas 1 -> 3".
std::string Changes(const std::vector<SettingMismatch>& mismatches) {
  std::string out;
  for (const SettingMismatch& m : mismatches) {
    out += (out.empty() ? "" : ", ") + m.key + " " + m.theirs + " -> " + m.ours;
  }
  return out.empty() ? "settings recorded" : out;
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
                           std::shared_ptr<nats::JetStream> jetstream, std::stop_token stop)
    : streams_(std::move(streams)),
      stop_(std::move(stop)),
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
  options.stop = connect.stop;
  options.credentials = connect.credentials;
  options.tls = connect.tls;
  options.hints = connect.hints;
  HARMONY_ASSIGN_OR_RETURN(std::shared_ptr<nats::Connection> connection,
                           nats::Connection::Connect(options));
  HARMONY_ASSIGN_OR_RETURN(std::shared_ptr<nats::JetStream> jetstream,
                           nats::JetStream::Create(connection));
  return std::unique_ptr<JetStreamBus>(
      new JetStreamBus(streams, std::move(connection), std::move(jetstream), connect.stop));
}

Status JetStreamBus::EnsureStreams(std::chrono::milliseconds timeout) {
  using std::chrono::milliseconds;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool told = false;
  // Short requests first: before a cluster has elected its meta leader, requests get no answer
  // at all, and a short timeout notices the election sooner.
  milliseconds attempt_timeout{1000};
  auto retrying = [&](auto request) {
    RetryOptions retry;
    retry.timeout = std::max(milliseconds(1), std::chrono::duration_cast<milliseconds>(
                                                  deadline - std::chrono::steady_clock::now()));
    retry.stop = stop_;
    return RetryWhileUnavailable(
        retry,
        [&](milliseconds left) {
          auto result = request(std::min(attempt_timeout, left));
          attempt_timeout = std::min(attempt_timeout * 2, milliseconds(5000));
          return result;
        },
        [&](const Status& error) {
          // Expected for a few seconds after a clustered server starts (meta leader election).
          if (!told) spdlog::info("bus: waiting for JetStream: {}", error.message());
          told = true;
        });
  };
  auto not_ready = [&](const Status& s) {
    if (stop_.stop_requested()) return Status::Cancelled("waiting for JetStream: stopped");
    return s.code() == Status::Code::kUnavailable
               ? s.WithContext("JetStream not ready after " + std::to_string(timeout.count()) +
                               " ms")
               : s;
  };

  for (uint32_t shard = 1; shard <= streams_.shards; ++shard) {
    const nats::StreamConfig want = ConfigFor(streams_, shard);
    auto added = retrying([&](milliseconds t) { return jetstream_->AddStream(want, t); });
    if (!added.ok()) return not_ready(added.status());
    if (added->created) continue;
    const nats::StreamInfo& info = added->info;
    if (!info.limits_file_stream) {
      return Status::InvalidArgument("stream '" + want.name +
                                     "' exists with memory storage or a non-limits retention "
                                     "policy, which harmony cannot use; delete it first");
    }
    const std::vector<SettingMismatch> mismatches = CompareStreamSettings(
        streams_, {shard, info.config.subject, info.config.max_msgs, info.config.replicas,
                   info.config.description});
    bool fixed = false;
    for (const SettingMismatch& m : mismatches) fixed = fixed || !m.changeable;
    if (fixed || (!mismatches.empty() && !streams_.update_existing)) {
      return Status::InvalidArgument(
          DescribeMismatches(want.name, mismatches, streams_.update_existing));
    }
    if (shard == 1 && !ParseStreamDescription(info.config.description).shards) {
      // Made by a harmony that recorded no settings: infer the shard count from the streams.
      HARMONY_RETURN_IF_ERROR(not_ready(CheckLegacyShards(retrying)));
    }
    if (nats::JetStream::SameManagedConfig(info, want)) continue;
    auto updated = retrying([&](milliseconds t) { return jetstream_->UpdateStream(want, t); });
    if (!updated.ok()) return not_ready(updated.status());
    spdlog::info("bus: stream '{}' updated: {}{}", want.name, Changes(mismatches),
                 mismatches.empty() ? "" : " (replication_log.update_existing = true)");
  }
  // A cluster with more shards than this node: every stream up to ours matched, the next exists.
  const std::string next = StreamName(streams_, streams_.shards + 1);
  auto beyond = retrying([&](milliseconds t) { return jetstream_->GetStreamInfo(next, t); });
  if (beyond.ok()) {
    const auto recorded = ParseStreamDescription(beyond->config.description).shards;
    return Status::InvalidArgument(
        "stream '" + next + "' exists: the cluster uses " +
        (recorded ? std::to_string(*recorded) : "more than " + std::to_string(streams_.shards)) +
        " shards, this node has replication_log.shards = " + std::to_string(streams_.shards) +
        "; every node must use the same value");
  }
  if (beyond.status().code() != Status::Code::kNotFound) return not_ready(beyond.status());
  return Status::Ok();
}

template <typename Retrying>
Status JetStreamBus::CheckLegacyShards(Retrying& retrying) {
  using std::chrono::milliseconds;
  if (streams_.shards == 1) return Status::Ok();
  const std::string last = StreamName(streams_, streams_.shards);
  auto info = retrying([&](milliseconds t) { return jetstream_->GetStreamInfo(last, t); });
  if (info.ok()) return Status::Ok();
  if (info.status().code() != Status::Code::kNotFound) return info.status();
  if (streams_.update_existing) {
    spdlog::warn("bus: stream '{}' records no settings (made by an older harmony) and '{}' does "
                 "not exist; creating the missing streams (replication_log.update_existing = "
                 "true): every node must now run with shards = {}",
                 StreamName(streams_, 1), last, streams_.shards);
    return Status::Ok();
  }
  return Status::InvalidArgument(
      "stream '" + StreamName(streams_, 1) +
      "' records no settings (made by an older harmony) and stream '" + last +
      "' does not exist: the cluster seems to use fewer shards than this node's "
      "replication_log.shards = " + std::to_string(streams_.shards) +
      "; use the cluster's value, or set replication_log.update_existing = true if every node "
      "runs with " + std::to_string(streams_.shards));
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

Result<int64_t> JetStreamBus::StoredTimeNs(uint32_t shard, uint64_t seq) {
  return jetstream_->MessageTimeNs(StreamName(streams_, shard), seq);
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
