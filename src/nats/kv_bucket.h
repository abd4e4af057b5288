// nats/kv_bucket: what KvLease and KvStore share about JetStream KeyValue buckets. For this
// folder's .cc files only (includes nats.h).
#pragma once

#include <nats/nats.h>

#include <chrono>
#include <memory>
#include <string>

#include "common/result.h"
#include "nats/jetstream.h"

namespace harmony::nats {

struct KvStoreDeleter {
  void operator()(kvStore* p) const noexcept { kvStore_Destroy(p); }
};
struct KvEntryDeleter {
  void operator()(kvEntry* p) const noexcept { kvEntry_Destroy(p); }
};
using KvStorePtr = std::unique_ptr<kvStore, KvStoreDeleter>;
using KvEntryPtr = std::unique_ptr<kvEntry, KvEntryDeleter>;

// How long one KV request (get, put, create, update) waits for its answer. Short: nats.c does
// not abort a request in flight when the connection is closed, so a node stopping while its
// broker is gone waits this long at most for the one its lease or status thread has in flight
// (issue #11, item 7: stop within 2 s). Failed requests are retried by their callers.
inline constexpr std::chrono::milliseconds kKvRequestTimeout{1000};

// The entry's value as bytes ("" when empty).
std::string ValueOf(kvEntry* e);

// Creates bucket `bucket` ([A-Za-z0-9_-]+; history 1, file storage, keys expire `ttl` after
// their last write) if missing, adjusts the TTL and replicas of an existing one, and binds to it.
// While JetStream does not answer (a cluster electing its meta leader) it retries for up to 30 s,
// then returns the last error (kUnavailable). kInvalidArgument for a bad name, TTL or replicas.
// Errors carry `context`.
Result<KvStorePtr> BindBucket(JetStream& js, const std::string& bucket, std::chrono::seconds ttl,
                              int replicas, const std::string& context);

}  // namespace harmony::nats
