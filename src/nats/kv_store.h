#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "common/status.h"
#include "nats/connection.h"
#include "nats/jetstream.h"

namespace harmony::nats {

// A JetStream KeyValue bucket of small values, last value per key (history 1), whose keys expire
// `ttl` after their last put (the bucket stream's max age; JetStream KV's TTL). For reports that
// each writer owns one key of, such as a node's status (node/status_report.h).
//
// Thread-safe: each call is self-contained and nats.c serialises access to the connection.
class KvStore {
 public:
  // Binds to bucket `bucket` ([A-Za-z0-9_-]+), creating it if missing (see BindBucket in
  // kv_bucket.h: an existing bucket's TTL and replicas are adjusted). kUnavailable while
  // JetStream cannot answer after 30 s of retries; kInvalidArgument for a bad name.
  static Result<std::unique_ptr<KvStore>> Open(std::shared_ptr<Connection> connection,
                                               const std::string& bucket,
                                               std::chrono::seconds ttl, int replicas);
  KvStore(const KvStore&) = delete;
  KvStore& operator=(const KvStore&) = delete;
  ~KvStore();

  // Sets `key` ([A-Za-z0-9_=./-]+, as JetStream KV allows) to `value`, restarting its TTL.
  // kUnavailable when not connected or the broker does not answer.
  Status Put(const std::string& key, const std::string& value);
  // Deletes `key` (a delete marker: Get and ReadAll no longer see it). kUnavailable when not
  // connected or the broker does not answer.
  Status Delete(const std::string& key);
  // The key's value; nullopt when it was never set, was deleted or has expired.
  Result<std::optional<std::string>> Get(const std::string& key);
  // Every live key and its value. kUnavailable on broker trouble.
  Result<std::map<std::string, std::string>> ReadAll();

  const std::string& bucket() const { return bucket_; }

  struct Impl;  // the kvStore; defined in kv_store.cc

 private:
  KvStore(std::shared_ptr<Connection> connection, std::unique_ptr<JetStream> js,
          std::unique_ptr<Impl> impl, std::string bucket);

  std::shared_ptr<Connection> connection_;
  std::unique_ptr<JetStream> js_;
  std::unique_ptr<Impl> impl_;  // after js_: destroyed first
  const std::string bucket_;
};

}  // namespace harmony::nats
