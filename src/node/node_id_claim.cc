#include "node/node_id_claim.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <random>
#include <sstream>

#include "nats/kv_lease.h"

namespace harmony::node {
namespace {

// How often start-up looks at another holder's entry while deciding whether it is alive.
constexpr std::chrono::milliseconds kWatchEvery{250};

std::string RandomInstanceId() {
  std::random_device random;
  char buf[33];
  std::snprintf(buf, sizeof buf, "%08x%08x%08x%08x", random(), random(), random(), random());
  return buf;
}

std::string HostName() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "unknown";
  return host;
}

std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The value of "name=" in a holder string, or "".
std::string Field(const std::string& holder, const std::string& name) {
  std::istringstream words(holder);
  std::string word;
  while (words >> word) {
    if (word.rfind(name + "=", 0) == 0) return word.substr(name.size() + 1);
  }
  return "";
}

Status AlreadyUsed(uint64_t node_id, const std::string& holder) {
  return Status::InvalidArgument("node_id " + std::to_string(node_id) +
                                 " is already used by a running node (" + DescribeHolder(holder) +
                                 "): give every node its own node_id");
}

}  // namespace

std::string NodeIdHolder(const std::string& instance, const std::string& host, int64_t pid,
                         const std::string& since) {
  return "instance=" + instance + " host=" + host + " pid=" + std::to_string(pid) +
         " since=" + since;
}

std::string DescribeHolder(const std::string& holder) {
  const std::string host = Field(holder, "host");
  const std::string pid = Field(holder, "pid");
  const std::string since = Field(holder, "since");
  if (host.empty() || pid.empty() || since.empty()) return holder;
  return "host " + host + ", pid " + pid + ", up since " + since;
}

NodeIdClaim::NodeIdClaim(NodeIdClaimOptions options, std::unique_ptr<nats::KvLease> lease,
                         std::string holder, replication::BackgroundError* errors)
    : options_(std::move(options)),
      key_(std::to_string(options_.node_id)),
      lease_(std::move(lease)),
      holder_(std::move(holder)),
      errors_(errors) {
  renewer_ = std::thread([this] { RenewLoop(); });
}

NodeIdClaim::~NodeIdClaim() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (renewer_.joinable()) renewer_.join();
  Status released = lease_->Release(key_, holder_);
  // Not fatal: the entry expires after the TTL anyway; a restart then waits that long at most.
  if (!released.ok())
    spdlog::warn("release of node_id {}: {}", options_.node_id, released.message());
}

Result<std::unique_ptr<NodeIdClaim>> NodeIdClaim::Acquire(
    std::shared_ptr<nats::Connection> connection, const NodeIdClaimOptions& options,
    replication::BackgroundError* errors) {
  HARMONY_ASSIGN_OR_RETURN(
      std::unique_ptr<nats::KvLease> lease,
      nats::KvLease::Open(std::move(connection), options.bucket, options.ttl, options.replicas));
  const std::string key = std::to_string(options.node_id);
  const std::string holder =
      NodeIdHolder(RandomInstanceId(), HostName(), static_cast<int64_t>(getpid()), UtcNow());
  // Alive means renewed: a holder whose entry is not renewed within a TTL has died (its entry
  // expires). Waiting a little longer than that allows for the server's expiry timer.
  const auto deadline = std::chrono::steady_clock::now() + options.ttl + 2 * options.renew_every;
  std::optional<nats::KvLease::Entry> seen;
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(bool ours, lease->TryAcquire(key, holder));
    if (ours) {
      if (seen) spdlog::info("node_id {} was not renewed by its holder: taken over", key);
      return std::unique_ptr<NodeIdClaim>(
          new NodeIdClaim(options, std::move(lease), holder, errors));
    }
    HARMONY_ASSIGN_OR_RETURN(std::optional<nats::KvLease::Entry> current, lease->Read(key));
    if (current) {
      if (!seen) {
        spdlog::info(
            "node_id {} is claimed by another process ({}); waiting up to {} s to see "
            "whether it is alive",
            key, DescribeHolder(current->holder),
            std::chrono::duration_cast<std::chrono::seconds>(deadline -
                                                             std::chrono::steady_clock::now())
                .count());
        seen = current;
      } else if (current->revision != seen->revision) {
        return AlreadyUsed(options.node_id, current->holder);
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        // Neither renewed nor expired: the broker keeps it; treat it as alive rather than guess.
        return AlreadyUsed(options.node_id, current->holder);
      }
    }
    // Another process's renewals raise no event here; a KV watcher would do, at the cost of a
    // subscription for a wait of seconds that happens only when ids clash or after a crash.
    std::this_thread::sleep_for(kWatchEvery);
  }
}

void NodeIdClaim::RenewLoop() {
  bool failing = false;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_cv_.wait_for(lock, options_.renew_every, [this] { return stop_; })) {
    lock.unlock();
    auto renewed = lease_->TryAcquire(key_, holder_);
    if (renewed.ok() && !*renewed) {
      // Our entry expired (the broker was out of reach for a TTL) and another process with this
      // node_id took it: two nodes now share an id, and this one stops.
      auto other = lease_->Holder(key_);
      const std::string who = other.ok() && other->has_value() ? **other : "unknown";
      errors_->Record(
          Status::InvalidArgument("node_id " + key_ + " was taken over by another node (" +
                                  DescribeHolder(who) + "): give every node its own node_id"));
      return;
    }
    if (!renewed.ok() && !failing) {
      spdlog::warn("renewing the claim on node_id {}: {}; retrying", key_,
                   renewed.status().message());
    }
    if (renewed.ok() && failing) spdlog::info("claim on node_id {} renewed again", key_);
    failing = !renewed.ok();
    lock.lock();
  }
}

}  // namespace harmony::node
