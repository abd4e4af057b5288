#include "nats/kv_store.h"

#include <vector>

#include "nats/handles.h"
#include "nats/jetstream_impl.h"
#include "nats/kv_bucket.h"
#include "nats/nats_error.h"

namespace harmony::nats {
struct KvStore::Impl {
  KvStorePtr kv;
};

KvStore::KvStore(std::shared_ptr<Connection> connection, std::unique_ptr<JetStream> js,
                 std::unique_ptr<Impl> impl, std::string bucket)
    : connection_(std::move(connection)),
      js_(std::move(js)),
      impl_(std::move(impl)),
      bucket_(std::move(bucket)) {}

KvStore::~KvStore() = default;

Result<std::unique_ptr<KvStore>> KvStore::Open(std::shared_ptr<Connection> connection,
                                               const std::string& bucket,
                                               std::chrono::seconds ttl, int replicas) {
  const std::string context = "open bucket '" + bucket + "'";
  HARMONY_ASSIGN_OR_RETURN(std::unique_ptr<JetStream> js,
                           JetStream::Create(connection, {.api_timeout = kKvRequestTimeout}));
  auto impl = std::make_unique<Impl>();
  HARMONY_ASSIGN_OR_RETURN(impl->kv, BindBucket(*js, bucket, ttl, replicas, context));
  return std::unique_ptr<KvStore>(
      new KvStore(std::move(connection), std::move(js), std::move(impl), bucket));
}

Status KvStore::Put(const std::string& key, const std::string& value) {
  const std::string context = "put '" + key + "' in bucket '" + bucket_ + "'";
  HARMONY_RETURN_IF_ERROR(js_->CheckConnected(context));
  natsStatus s = kvStore_Put(nullptr, impl_->kv.get(), key.c_str(), value.data(),
                             static_cast<int>(value.size()));
  return s == NATS_OK ? Status::Ok() : FromNats(s, context);
}

Status KvStore::Delete(const std::string& key) {
  const std::string context = "delete '" + key + "' from bucket '" + bucket_ + "'";
  HARMONY_RETURN_IF_ERROR(js_->CheckConnected(context));
  natsStatus s = kvStore_Delete(impl_->kv.get(), key.c_str());
  return s == NATS_OK ? Status::Ok() : FromNats(s, context);
}

Result<std::optional<std::string>> KvStore::Get(const std::string& key) {
  const std::string context = "get '" + key + "' from bucket '" + bucket_ + "'";
  HARMONY_RETURN_IF_ERROR(js_->CheckConnected(context));
  kvEntry* raw = nullptr;
  natsStatus s = kvStore_Get(&raw, impl_->kv.get(), key.c_str());
  KvEntryPtr entry(raw);
  if (s == NATS_NOT_FOUND) return std::optional<std::string>();
  if (s != NATS_OK) return FromNats(s, context);
  return std::optional<std::string>(ValueOf(entry.get()));
}

Result<std::map<std::string, std::string>> KvStore::ReadAll() {
  const std::string context = "list keys of bucket '" + bucket_ + "'";
  HARMONY_RETURN_IF_ERROR(js_->CheckConnected(context));
  kvKeysList raw_keys{};
  natsStatus s = kvStore_Keys(&raw_keys, impl_->kv.get(), nullptr);
  std::map<std::string, std::string> out;
  if (s == NATS_NOT_FOUND) return out;  // an empty bucket
  if (s != NATS_OK) return FromNats(s, context);
  std::vector<std::string> keys;
  for (int i = 0; i < raw_keys.Count; ++i) keys.emplace_back(raw_keys.Keys[i]);
  kvKeysList_Destroy(&raw_keys);
  for (const std::string& key : keys) {
    HARMONY_ASSIGN_OR_RETURN(std::optional<std::string> value, Get(key));
    if (value) out.emplace(key, std::move(*value));
  }
  return out;
}

}  // namespace harmony::nats
