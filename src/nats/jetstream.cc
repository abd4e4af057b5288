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
  }
  info.first_seq = si.State.FirstSeq;
  info.last_seq = si.State.LastSeq;
  info.messages = si.State.Msgs;
  info.created_ns = si.Created;
  return info;
}

// Compares what Harmony manages. The server normalises replicas 0 to 1.
bool SameManagedConfig(const jsStreamInfo& si, const StreamConfig& want) {
  if (si.Config == nullptr) return false;
  const jsStreamConfig& c = *si.Config;
  const bool one_subject = c.SubjectsLen == 1 && c.Subjects != nullptr &&
                           c.Subjects[0] != nullptr && want.subject == c.Subjects[0];
  return one_subject && c.MaxMsgs == want.max_msgs &&
         std::max<int64_t>(c.Replicas, 1) == std::max(want.replicas, 1) &&
         c.Duplicates == want.duplicate_window.count() * kNanosPerMilli &&
         c.Discard == js_DiscardOld;
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

Result<StreamInfo> JetStream::AddOrUpdateStream(const StreamConfig& config,
                                                std::chrono::milliseconds timeout) {
  const std::string context = "create or update stream '" + config.name + "'";
  if (config.name.empty() || config.subject.empty()) {
    return Status::InvalidArgument(context + ": empty stream name or subject");
  }
  HARMONY_RETURN_IF_ERROR(RequireConnection(*connection_, context));
  jsOptions o = RequestOptions(timeout);
  jsStreamInfo* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&raw, impl_->js.get(), config.name.c_str(), &o, &code);
  StreamInfoPtr existing(raw);
  if (s != NATS_OK && s != NATS_NOT_FOUND) return FromJetStream(s, code, context);

  if (existing != nullptr && existing->Config != nullptr) {
    const jsStreamConfig& c = *existing->Config;
    if (c.Storage != js_FileStorage || c.Retention != js_LimitsPolicy) {
      return Status::InvalidArgument(context +
                                     ": exists with memory storage or a non-limits retention "
                                     "policy; delete it first (these cannot be changed)");
    }
    if (SameManagedConfig(*existing, config)) return ToStreamInfo(*existing);
  }

  const char* subjects[] = {config.subject.c_str()};
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = config.name.c_str();
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  cfg.Retention = js_LimitsPolicy;
  cfg.Storage = js_FileStorage;
  cfg.Discard = js_DiscardOld;
  cfg.MaxMsgs = config.max_msgs;
  cfg.Replicas = config.replicas;
  cfg.Duplicates = config.duplicate_window.count() * kNanosPerMilli;

  jsStreamInfo* updated_raw = nullptr;
  code = static_cast<jsErrCode>(0);
  if (existing == nullptr) {
    s = js_AddStream(&updated_raw, impl_->js.get(), &cfg, &o, &code);
    if (s != NATS_OK && code == JSStreamNameExistErr) {
      // Another node created it between our lookup and our create: converge by updating.
      code = static_cast<jsErrCode>(0);
      s = js_UpdateStream(&updated_raw, impl_->js.get(), &cfg, &o, &code);
    }
  } else {
    s = js_UpdateStream(&updated_raw, impl_->js.get(), &cfg, &o, &code);
  }
  StreamInfoPtr updated(updated_raw);
  if (s != NATS_OK) return FromJetStream(s, code, context);
  return ToStreamInfo(*updated);
}

}  // namespace harmony::nats
