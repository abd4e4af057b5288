#include "nats/kv_bucket.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "common/retry.h"
#include "nats/handles.h"
#include "nats/jetstream_impl.h"
#include "nats/nats_error.h"

namespace harmony::nats {
namespace {

bool ValidBucket(const std::string& bucket) {
  return !bucket.empty() && std::all_of(bucket.begin(), bucket.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '_' || c == '-';
  });
}

}  // namespace

std::string ValueOf(kvEntry* e) {
  const void* data = kvEntry_Value(e);
  const int len = kvEntry_ValueLen(e);
  if (data == nullptr || len <= 0) return "";
  return std::string(static_cast<const char*>(data), static_cast<size_t>(len));
}

namespace {

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

Result<KvStorePtr> BindBucket(JetStream& js, const std::string& bucket, std::chrono::seconds ttl,
                              int replicas, const std::string& context) {
  if (!ValidBucket(bucket)) {
    return Status::InvalidArgument(context + ": a bucket name is made of A-Z a-z 0-9 _ -");
  }
  if (ttl.count() <= 0 || replicas < 1) {
    return Status::InvalidArgument(context + ": TTL and replicas must be positive");
  }
  HARMONY_RETURN_IF_ERROR(js.CheckConnected(context));
  const int64_t ttl_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(ttl).count();
  KvStorePtr kv;
  // At start-up the cluster may still be electing its meta leader (or re-electing one after a
  // server left): wait for it as the streams do rather than fail the node's start.
  Status bound = RetryWhileUnavailable(
      RetryOptions{},
      [&](std::chrono::milliseconds) -> Status {
        HARMONY_RETURN_IF_ERROR(
            EnsureBucket(js.impl().js.get(), bucket, ttl_ns, replicas).WithContext(context));
        kvStore* raw = nullptr;
        natsStatus s = js_KeyValue(&raw, js.impl().js.get(), bucket.c_str());
        kv.reset(raw);
        return s == NATS_OK ? Status::Ok() : FromNats(s, context + ": bind");
      },
      [&](const Status& error) { spdlog::info("waiting for JetStream: {}", error.message()); });
  HARMONY_RETURN_IF_ERROR(bound);
  return kv;
}

}  // namespace harmony::nats
