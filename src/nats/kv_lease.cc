#include "nats/kv_lease.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <string_view>

#include "common/retry.h"
#include "nats/handles.h"
#include "nats/jetstream_impl.h"
#include "nats/kv_bucket.h"
#include "nats/nats_error.h"

namespace harmony::nats {
namespace {

struct PubAckDeleter {
  void operator()(jsPubAck* p) const noexcept { jsPubAck_Destroy(p); }
};
using PubAckPtr = std::unique_ptr<jsPubAck, PubAckDeleter>;

// Attempts of TryAcquire when the key changes between our reads and writes (e.g. it expires).
constexpr int kAcquireAttempts = 3;

}  // namespace

struct KvLease::Impl {
  KvStorePtr kv;
};

KvLease::KvLease(std::shared_ptr<Connection> connection, std::unique_ptr<JetStream> js,
                 std::unique_ptr<Impl> impl, std::string bucket)
    : connection_(std::move(connection)),
      js_(std::move(js)),
      impl_(std::move(impl)),
      bucket_(std::move(bucket)) {}

KvLease::~KvLease() = default;

Result<std::unique_ptr<KvLease>> KvLease::Open(std::shared_ptr<Connection> connection,
                                               const std::string& bucket, std::chrono::seconds ttl,
                                               int replicas) {
  const std::string context = "open lease bucket '" + bucket + "'";
  HARMONY_ASSIGN_OR_RETURN(std::unique_ptr<JetStream> js,
                           JetStream::Create(connection, {.api_timeout = kKvRequestTimeout}));
  auto impl = std::make_unique<Impl>();
  HARMONY_ASSIGN_OR_RETURN(impl->kv, BindBucket(*js, bucket, ttl, replicas, context));
  return std::unique_ptr<KvLease>(
      new KvLease(std::move(connection), std::move(js), std::move(impl), bucket));
}

Result<bool> KvLease::TryAcquire(const std::string& key, const std::string& holder) {
  const std::string context =
      "acquire lease '" + key + "' in bucket '" + bucket_ + "' for '" + holder + "'";
  if (key.empty() || holder.empty()) {
    return Status::InvalidArgument(context + ": empty key or holder");
  }
  HARMONY_RETURN_IF_ERROR(js_->CheckConnected(context));
  kvStore* kv = impl_->kv.get();
  const int len = static_cast<int>(holder.size());
  Status last_error;
  for (int attempt = 0; attempt < kAcquireAttempts; ++attempt) {
    // Succeeds only if the key has no value (never set, deleted, or expired).
    natsStatus s = kvStore_Create(nullptr, kv, key.c_str(), holder.data(), len);
    if (s == NATS_OK) return true;
    if (s == NATS_INVALID_ARG) return FromNats(s, context);
    // nats.c reports no error code, so "someone holds it" and broker trouble look alike until
    // we read the key.
    last_error = FromNats(s, "create");
    kvEntry* raw = nullptr;
    s = kvStore_Get(&raw, kv, key.c_str());
    KvEntryPtr entry(raw);
    if (s == NATS_NOT_FOUND) continue;  // released or expired in between
    if (s != NATS_OK) {
      return FromNats(s, "read the current holder")
          .WithContext(context + " (after " + last_error.message() + ")");
    }
    if (ValueOf(entry.get()) != holder) return false;
    // Ours: renew, conditional on the revision just read, so a takeover after an expiry wins.
    s = kvStore_Update(nullptr, kv, key.c_str(), holder.data(), len, kvEntry_Revision(entry.get()));
    if (s == NATS_OK) return true;
    last_error = FromNats(s, "renew");
  }
  return Status::Unavailable(context + ": gave up after " + std::to_string(kAcquireAttempts) +
                             " attempts; last: " + last_error.message());
}

Status KvLease::Release(const std::string& key, const std::string& holder) {
  const std::string context =
      "release lease '" + key + "' in bucket '" + bucket_ + "' by '" + holder + "'";
  HARMONY_RETURN_IF_ERROR(js_->CheckConnected(context));
  kvEntry* raw = nullptr;
  natsStatus s = kvStore_Get(&raw, impl_->kv.get(), key.c_str());
  KvEntryPtr entry(raw);
  if (s == NATS_NOT_FOUND) return Status::Ok();
  if (s != NATS_OK) return FromNats(s, context + ": read the current holder");
  if (ValueOf(entry.get()) != holder) return Status::Ok();

  // kvStore_Delete is unconditional; write the delete marker ourselves, as the Go client's
  // Delete(key, LastRevision(rev)) does, so it fails if the key changed since we read it.
  const std::string subject = "$KV." + bucket_ + "." + key;
  natsMsg* msg_raw = nullptr;
  s = natsMsg_Create(&msg_raw, subject.c_str(), nullptr, nullptr, 0);
  MsgPtr msg(msg_raw);
  if (s == NATS_OK) s = natsMsgHeader_Set(msg.get(), "KV-Operation", "DEL");
  if (s != NATS_OK) return FromNats(s, context + ": create delete marker");
  const std::string stream = "KV_" + bucket_;
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.ExpectStream = stream.c_str();
  po.ExpectLastSubjectSeq = kvEntry_Revision(entry.get());
  jsPubAck* ack_raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  s = js_PublishMsg(&ack_raw, js_->impl().js.get(), msg.get(), &po, &code);
  PubAckPtr ack(ack_raw);
  if (s != NATS_OK && code == JSStreamWrongLastSequenceErr) return Status::Ok();  // taken over
  return FromJetStream(s, code, context + ": write delete marker");
}

Result<std::optional<std::string>> KvLease::Holder(const std::string& key) {
  const std::string context = "read lease '" + key + "' in bucket '" + bucket_ + "'";
  HARMONY_RETURN_IF_ERROR(js_->CheckConnected(context));
  kvEntry* raw = nullptr;
  natsStatus s = kvStore_Get(&raw, impl_->kv.get(), key.c_str());
  KvEntryPtr entry(raw);
  if (s == NATS_NOT_FOUND) return std::optional<std::string>();
  if (s != NATS_OK) return FromNats(s, context);
  return std::optional<std::string>(ValueOf(entry.get()));
}

Result<std::optional<KvLease::Entry>> KvLease::Read(const std::string& key) {
  const std::string context = "read lease '" + key + "' in bucket '" + bucket_ + "'";
  HARMONY_RETURN_IF_ERROR(js_->CheckConnected(context));
  kvEntry* raw = nullptr;
  natsStatus s = kvStore_Get(&raw, impl_->kv.get(), key.c_str());
  KvEntryPtr entry(raw);
  if (s == NATS_NOT_FOUND) return std::optional<Entry>();
  if (s != NATS_OK) return FromNats(s, context);
  return std::optional<Entry>(Entry{ValueOf(entry.get()), kvEntry_Revision(entry.get())});
}

}  // namespace harmony::nats
