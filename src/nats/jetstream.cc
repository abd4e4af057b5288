#include "nats/jetstream.h"

#include <algorithm>

#include "nats/connection_impl.h"
#include "nats/handles.h"
#include "nats/jetstream_impl.h"
#include "nats/nats_error.h"

namespace harmony::nats {
namespace {

constexpr int64_t kNanosPerMilli = 1000 * 1000;

StreamInfo ToStreamInfo(const jsStreamInfo& si) {
  StreamInfo info;
  if (si.Config != nullptr) {
    const jsStreamConfig& c = *si.Config;
    if (c.Name != nullptr) info.config.name = c.Name;
    if (c.SubjectsLen > 0 && c.Subjects != nullptr && c.Subjects[0] != nullptr) {
      info.config.subject = c.Subjects[0];
    }
    info.config.max_msgs = c.MaxMsgs;
    info.config.replicas = static_cast<int>(c.Replicas);
    info.config.duplicate_window = std::chrono::milliseconds(c.Duplicates / kNanosPerMilli);
    if (c.Description != nullptr) info.config.description = c.Description;
    info.limits_file_stream = c.Storage == js_FileStorage && c.Retention == js_LimitsPolicy;
    info.discard_old = c.Discard == js_DiscardOld;
  }
  info.first_seq = si.State.FirstSeq;
  info.last_seq = si.State.LastSeq;
  info.messages = si.State.Msgs;
  info.created_ns = si.Created;
  return info;
}

// JetStream API requests made while reconnecting would sit in the reconnect buffer until the
// request timeout; answer at once instead, the caller retries.
Status RequireConnection(const Connection& connection, const std::string& context) {
  if (connection.IsConnected()) return Status::Ok();
  return Status::Unavailable(context + ": not connected to NATS (reconnecting)");
}

// Per-request options: only Wait is set; zero keeps the context's default.
jsOptions RequestOptions(std::chrono::milliseconds timeout) {
  jsOptions o;
  jsOptions_Init(&o);
  o.Wait = timeout.count();
  return o;
}

}  // namespace

JetStream::JetStream(std::shared_ptr<Connection> connection, std::unique_ptr<Impl> impl)
    : connection_(std::move(connection)), impl_(std::move(impl)) {}

JetStream::~JetStream() = default;

Status JetStream::CheckConnected(const std::string& context) const {
  return RequireConnection(*connection_, context);
}

Result<std::unique_ptr<JetStream>> JetStream::Create(std::shared_ptr<Connection> connection,
                                                     const JetStreamOptions& options) {
  jsOptions o;
  jsOptions_Init(&o);
  o.Wait = options.api_timeout.count();
  jsCtx* raw = nullptr;
  natsStatus s = natsConnection_JetStream(&raw, connection->impl().nc.get(), &o);
  if (s != NATS_OK) return FromNats(s, "create JetStream context");
  auto impl = std::make_unique<Impl>();
  impl->js.reset(raw);
  return std::unique_ptr<JetStream>(new JetStream(std::move(connection), std::move(impl)));
}

Result<StreamInfo> JetStream::GetStreamInfo(const std::string& name,
                                            std::chrono::milliseconds timeout) {
  HARMONY_RETURN_IF_ERROR(RequireConnection(*connection_, "get info of stream '" + name + "'"));
  jsStreamInfo* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  jsOptions o = RequestOptions(timeout);
  natsStatus s = js_GetStreamInfo(&raw, impl_->js.get(), name.c_str(), &o, &code);
  StreamInfoPtr si(raw);
  if (s != NATS_OK) return FromJetStream(s, code, "get info of stream '" + name + "'");
  return ToStreamInfo(*si);
}

Result<int64_t> JetStream::MessageTimeNs(const std::string& name, uint64_t seq,
                                        std::chrono::milliseconds timeout) {
  const std::string context = "get message " + std::to_string(seq) + " of stream '" + name + "'";
  HARMONY_RETURN_IF_ERROR(RequireConnection(*connection_, context));
  jsOptions o = RequestOptions(timeout);
  natsMsg* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetMsg(&raw, impl_->js.get(), name.c_str(), seq, &o, &code);
  MsgPtr msg(raw);
  if (s != NATS_OK) return FromJetStream(s, code, context);
  return natsMsg_GetTime(msg.get());
}

bool JetStream::SameManagedConfig(const StreamInfo& info, const StreamConfig& want) {
  const StreamConfig& c = info.config;
  return info.discard_old && c.subject == want.subject && c.max_msgs == want.max_msgs &&
         std::max(c.replicas, 1) == std::max(want.replicas, 1) &&
         c.duplicate_window == want.duplicate_window && c.description == want.description;
}

namespace {

// The jsStreamConfig for `config`; points into `config` and `subjects`, which must outlive it.
jsStreamConfig ToJs(const StreamConfig& config, const char* (&subjects)[1]) {
  subjects[0] = config.subject.c_str();
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = config.name.c_str();
  cfg.Description = config.description.empty() ? nullptr : config.description.c_str();
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  cfg.Retention = js_LimitsPolicy;
  cfg.Storage = js_FileStorage;
  cfg.Discard = js_DiscardOld;
  cfg.MaxMsgs = config.max_msgs;
  cfg.Replicas = config.replicas;
  cfg.Duplicates = config.duplicate_window.count() * kNanosPerMilli;
  return cfg;
}

}  // namespace

Result<AddedStream> JetStream::AddStream(const StreamConfig& config,
                                         std::chrono::milliseconds timeout) {
  const std::string context = "create stream '" + config.name + "'";
  if (config.name.empty() || config.subject.empty()) {
    return Status::InvalidArgument(context + ": empty stream name or subject");
  }
  HARMONY_RETURN_IF_ERROR(RequireConnection(*connection_, context));
  jsOptions o = RequestOptions(timeout);
  // Look first: creating a stream that exists with other settings is an error on the server,
  // and one that exists with the same settings would be indistinguishable from a new one.
  auto existing = GetStreamInfo(config.name, timeout);
  if (existing.ok()) return AddedStream{std::move(existing).value(), false};
  if (existing.status().code() != Status::Code::kNotFound) return existing.status();

  const char* subjects[1] = {nullptr};
  jsStreamConfig cfg = ToJs(config, subjects);
  jsStreamInfo* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_AddStream(&raw, impl_->js.get(), &cfg, &o, &code);
  StreamInfoPtr created(raw);
  if (s != NATS_OK && code == JSStreamNameExistErr) {
    // Another node created it between our lookup and our create: report it as it stands.
    HARMONY_ASSIGN_OR_RETURN(StreamInfo info, GetStreamInfo(config.name, timeout));
    return AddedStream{std::move(info), false};
  }
  if (s != NATS_OK) return FromJetStream(s, code, context);
  return AddedStream{ToStreamInfo(*created), true};
}

Result<StreamInfo> JetStream::UpdateStream(const StreamConfig& config,
                                           std::chrono::milliseconds timeout) {
  const std::string context = "update stream '" + config.name + "'";
  HARMONY_RETURN_IF_ERROR(RequireConnection(*connection_, context));
  HARMONY_ASSIGN_OR_RETURN(StreamInfo existing, GetStreamInfo(config.name, timeout));
  if (!existing.limits_file_stream) {
    return Status::InvalidArgument(context +
                                   ": exists with memory storage or a non-limits retention "
                                   "policy; delete it first (JetStream cannot change these)");
  }
  jsOptions o = RequestOptions(timeout);
  const char* subjects[1] = {nullptr};
  jsStreamConfig cfg = ToJs(config, subjects);
  jsStreamInfo* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_UpdateStream(&raw, impl_->js.get(), &cfg, &o, &code);
  StreamInfoPtr updated(raw);
  if (s != NATS_OK) return FromJetStream(s, code, context);
  return ToStreamInfo(*updated);
}

}  // namespace harmony::nats
