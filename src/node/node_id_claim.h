#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/result.h"
#include "common/status.h"
#include "replication/background_error.h"

namespace harmony::nats {
class Connection;
class KvLease;
}  // namespace harmony::nats

namespace harmony::node {

struct NodeIdClaimOptions {
  uint64_t node_id = 0;
  std::string bucket = "harmony-nodes";  // JetStream KV bucket; key: the node id in decimal
  // An entry not renewed for this long is free: a node killed with SIGKILL is replaced at most
  // this long after its last renewal.
  std::chrono::seconds ttl{10};
  std::chrono::milliseconds renew_every{2000};  // several renewals per TTL
  int replicas = 1;
};

// This process's claim on its node id: two live nodes with one node_id would break last-writer-
// wins without a word (their messages look like one node's). The claim is a lease in a JetStream
// KV bucket whose value describes this process (random instance id, host, pid, start time),
// renewed by a background thread by compare-and-set, and released on destruction.
//
// Not thread-safe: one thread (Run's) acquires and destroys it. Its own renewal thread touches
// nothing but the lease and reports only through the replication::BackgroundError.
class NodeIdClaim {
 public:
  // Claims the node id. Free (never claimed, released, or expired): ours at once. Held by
  // another process: watches the entry for up to one TTL and a renewal period; if that process
  // renews it, it is alive and this fails (kInvalidArgument) with "node_id N is already used by
  // a running node (host H, pid P, up since T): give every node its own node_id"; if it is not
  // renewed, it expires (its holder died without releasing) and is taken over, atomically.
  // kUnavailable on broker trouble. Records in `errors` (which must outlive the claim) if the
  // claim is later found taken over by another process.
  static Result<std::unique_ptr<NodeIdClaim>> Acquire(std::shared_ptr<nats::Connection> connection,
                                                      const NodeIdClaimOptions& options,
                                                      replication::BackgroundError* errors);
  NodeIdClaim(const NodeIdClaim&) = delete;
  NodeIdClaim& operator=(const NodeIdClaim&) = delete;
  // Stops renewing and releases the claim, so a node restarted cleanly claims it at once.
  ~NodeIdClaim();

  const std::string& holder() const { return holder_; }

 private:
  NodeIdClaim(NodeIdClaimOptions options, std::unique_ptr<nats::KvLease> lease, std::string holder,
              replication::BackgroundError* errors);
  void RenewLoop();

  const NodeIdClaimOptions options_;
  const std::string key_;
  std::unique_ptr<nats::KvLease> lease_;
  const std::string holder_;
  replication::BackgroundError* errors_;  // not owned

  std::mutex mu_;
  // Guarded by mu_:
  bool stop_ = false;
  std::condition_variable stop_cv_;

  std::thread renewer_;  // last: started after everything it uses
};

// The value a process stores under its node id: "instance=<hex> host=<h> pid=<p> since=<UTC>".
std::string NodeIdHolder(const std::string& instance, const std::string& host, int64_t pid,
                         const std::string& since);
// "host h, pid 123, up since 2026-11-30T08:00:00Z" from such a value (the raw value if it is not
// one).
std::string DescribeHolder(const std::string& holder);

}  // namespace harmony::node
