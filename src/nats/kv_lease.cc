#include "nats/kv_lease.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <string_view>

#include "common/retry.h"
#include "nats/handles.h"
#include "nats/jetstream_impl.h"
#include "nats/nats_error.h"

namespace harmony::nats {
namespace {

struct KvStoreDeleter {
  void operator()(kvStore* p) const noexcept { kvStore_Destroy(p); }
};
struct KvEntryDeleter {
  void operator()(kvEntry* p) const noexcept { kvEntry_Destroy(p); }
};
struct PubAckDeleter {
  void operator()(jsPubAck* p) const noexcept { jsPubAck_Destroy(p); }
};
using KvStorePtr = std::unique_ptr<kvStore, KvStoreDeleter>;
using KvEntryPtr = std::unique_ptr<kvEntry, KvEntryDeleter>;
using PubAckPtr = std::unique_ptr<jsPubAck, PubAckDeleter>;

// Attempts of TryAcquire when the key changes between our reads and writes (e.g. it expires).
constexpr int kAcquireAttempts = 3;

bool ValidBucket(const std::string& bucket) {
  return !bucket.empty() && std::all_of(bucket.begin(), bucket.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '_' || c == '-';
  });
}

std::string ValueOf(kvEntry* e) {
  const void* data = kvEntry_Value(e);
  const int len = kvEntry_ValueLen(e);
  if (data == nullptr || len <= 0) return "";
  return std::string(static_cast<const char*>(data), static_cast<size_t>(len));
}

// The bucket's stream "KV_<bucket>": created through nats.c (which sets what a KV bucket
// needs), or adjusted to `ttl_ns` and `replicas` if it exists with others.
Status EnsureBucket(jsCtx* js, const std::string& bucket, int64_t ttl_ns, int replicas) {
  const std::string stream = "KV_" + bucket;
  jsStreamInfo* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&raw, js, stream.c_str(), nullptr, &code);
  StreamInfoPtr si(raw);
  if (s == NATS_NOT_FOUND) {
    kvConfig cfg;
    kvConfig_Init(&cfg);
    cfg.Bucket = bucket.c_str();
    cfg.History = 1;
    cfg.TTL = ttl_ns;  // the stream's max age, in nanoseconds
    cfg.StorageType = js_FileStorage;
    cfg.Replicas = replicas;
    kvStore* kv_raw = nullptr;
    s = js_CreateKeyValue(&kv_raw, js, &cfg);
    KvStorePtr kv(kv_raw);
    if (s == NATS_OK) return Status::Ok();
    Status create_error = FromNats(s, "create bucket");
    // Another node may have created it meanwhile (nats.c reports no error code here): check.
    code = static_cast<jsErrCode>(0);
    s = js_GetStreamInfo(&raw, js, stream.c_str(), nullptr, &code);
    si.reset(raw);
    if (s != NATS_OK) return create_error;
  }
  if (s != NATS_OK) return FromJetStream(s, code, "look up stream '" + stream + "'");
  if (si->Config == nullptr) return Status::Internal("stream info without a configuration");
  jsStreamConfig& c = *si->Config;
  if (c.MaxAge == ttl_ns && std::max<int64_t>(c.Replicas, 1) == std::max(replicas, 1)) {
    return Status::Ok();
  }
  c.MaxAge = ttl_ns;
  c.Replicas = replicas;
  // The server rejects a de-duplication window longer than the max age.
  c.Duplicates = std::min(c.Duplicates, ttl_ns);
  jsStreamInfo* updated_raw = nullptr;
  code = static_cast<jsErrCode>(0);
  s = js_UpdateStream(&updated_raw, js, &c, nullptr, &code);
  StreamInfoPtr updated(updated_raw);
  return FromJetStream(s, code, "update TTL or replicas of stream '" + stream + "'");
}

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
  if (!ValidBucket(bucket)) {
    return Status::InvalidArgument(context + ": a bucket name is made of A-Z a-z 0-9 _ -");
  }
  if (ttl.count() <= 0 || replicas < 1) {
    return Status::InvalidArgument(context + ": TTL and replicas must be positive");
  }
  HARMONY_ASSIGN_OR_RETURN(std::unique_ptr<JetStream> js, JetStream::Create(connection));
  HARMONY_RETURN_IF_ERROR(js->CheckConnected(context));
  const int64_t ttl_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(ttl).count();
  auto impl = std::make_unique<Impl>();
  // At start-up the cluster may still be electing its meta leader (or re-electing one after a
  // server left): wait for it as the streams do rather than fail the node's start.
  Status bound = RetryWhileUnavailable(
      RetryOptions{},
      [&](std::chrono::milliseconds) -> Status {
        HARMONY_RETURN_IF_ERROR(
            EnsureBucket(js->impl().js.get(), bucket, ttl_ns, replicas).WithContext(context));
        kvStore* raw = nullptr;
        natsStatus s = js_KeyValue(&raw, js->impl().js.get(), bucket.c_str());
        impl->kv.reset(raw);
        return s == NATS_OK ? Status::Ok() : FromNats(s, context + ": bind");
      },
      [&](const Status& error) { spdlog::info("waiting for JetStream: {}", error.message()); });
  HARMONY_RETURN_IF_ERROR(bound);
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
