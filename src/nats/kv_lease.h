#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "common/status.h"
#include "nats/connection.h"
#include "nats/jetstream.h"

namespace harmony::nats {

// Named leases over a JetStream KeyValue bucket: the key's value is its holder, and the
// bucket's TTL (the stream's max age) is the lease duration, so the key of a holder that
// crashed (stopped renewing) expires on its own. Every change is a compare-and-set on the
// key's revision, so two contenders never both succeed.
//
// A holder must renew (TryAcquire again) well within the TTL; the server expires keys on its
// own clock, so treat a lease as lost somewhat before the TTL has passed since the last
// successful TryAcquire.
//
// Thread-safe: each call is self-contained and nats.c serialises access to the connection.
class KvLease {
 public:
  // Binds to bucket `bucket` ([A-Za-z0-9_-]+), creating it (history 1, file storage) if
  // missing; an existing bucket whose TTL or replicas differ is updated to these. While
  // JetStream does not answer (a cluster electing its meta leader) it retries for up to 30 s,
  // then returns the last error (kUnavailable). Blocks the calling thread meanwhile.
  static Result<std::unique_ptr<KvLease>> Open(std::shared_ptr<Connection> connection,
                                               const std::string& bucket, std::chrono::seconds ttl,
                                               int replicas);
  KvLease(const KvLease&) = delete;
  KvLease& operator=(const KvLease&) = delete;
  ~KvLease();

  // True if `holder` holds lease `key` now: it was free (never taken, released or expired) and
  // we created it, or it was already ours and we renewed it (restarting its TTL). False if
  // someone else holds it. kUnavailable on broker trouble: the caller cannot know, and should
  // behave as if it does not hold the lease.
  Result<bool> TryAcquire(const std::string& key, const std::string& holder);

  // Frees lease `key` if `holder` holds it (a delete conditional on the revision we read, so
  // a lease taken over meanwhile is left alone); Ok and nothing else if it does not.
  Status Release(const std::string& key, const std::string& holder);

  // Who holds lease `key`; nullopt if no one.
  Result<std::optional<std::string>> Holder(const std::string& key);

  // The holder of lease `key` and the revision of its last renewal; nullopt if no one holds it.
  // A revision that moves while the holder stays the same means the holder is alive.
  struct Entry {
    std::string holder;
    uint64_t revision = 0;
  };
  Result<std::optional<Entry>> Read(const std::string& key);

  const std::string& bucket() const { return bucket_; }

  struct Impl;  // the kvStore; defined in kv_lease.cc

 private:
  KvLease(std::shared_ptr<Connection> connection, std::unique_ptr<JetStream> js,
          std::unique_ptr<Impl> impl, std::string bucket);

  std::shared_ptr<Connection> connection_;
  std::unique_ptr<JetStream> js_;
  std::unique_ptr<Impl> impl_;  // after js_: destroyed first
  const std::string bucket_;
};

}  // namespace harmony::nats
