#include "node/snapshot_saver.h"

#include <spdlog/spdlog.h>

#include <string>
#include <utility>

#include "nats/kv_lease.h"
#include "node/snapshots.h"
#include "state/positions.h"

namespace harmony::node {
namespace {

constexpr char kLeaseKey[] = "save";

}  // namespace

void SnapshotSaver::Start() {
  thread_ = std::thread([this] { Run(); });
}

void SnapshotSaver::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SnapshotSaver::RequestNow() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    requested_ = true;
  }
  cv_.notify_all();
}

Result<std::string> SnapshotSaver::Due() {
  const auto interval = options_.interval;
  if (interval.count() > 0 && std::chrono::steady_clock::now() - last_save_ >= interval) {
    return std::string("interval elapsed");
  }
  HARMONY_ASSIGN_OR_RETURN(auto bounds, bounds_());
  HARMONY_ASSIGN_OR_RETURN(std::optional<snapshot::Manifest> latest, store_->Latest());
  const uint64_t max_entries = options_.max_entries;
  for (const auto& [shard, range] : bounds) {
    const auto [first, last] = range;
    const uint64_t pos = latest && latest->positions.count(shard) ? latest->positions.at(shard) : 0;
    if (last <= pos) continue;
    if (auto gap = state::ReplayGap(shard, pos, {first, last})) {
      return "the newest snapshot is too old: " + *gap;
    }
    if (last - pos > max_entries / 2) {
      return "shard " + std::to_string(shard) + " is " + std::to_string(last - pos) +
             " messages past the newest snapshot (max_entries " + std::to_string(max_entries) + ")";
    }
  }
  return std::string();
}

void SnapshotSaver::SaveWithLease(const std::string& why) {
  const std::string holder = std::to_string(node_id_);
  auto acquired = lease_->TryAcquire(kLeaseKey, holder);
  if (!acquired.ok()) {
    spdlog::warn("snapshot lease: {}", acquired.status().message());
    return;
  }
  if (!*acquired) return;  // another node is saving one
  spdlog::info("saving a snapshot: {}", why);
  const auto began = std::chrono::steady_clock::now();
  auto saved = SaveSnapshot(options_.db_path, node_id_, *store_);
  if (!saved.ok()) {
    spdlog::error("saving a snapshot failed: {}", saved.status().message());
    stats_.failures.fetch_add(1, std::memory_order_relaxed);
  } else {
    stats_.last_duration_ms.store(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::steady_clock::now() - began)
                                      .count(),
                                  std::memory_order_relaxed);
    stats_.last_saved_unix_ms.store(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count(),
                                    std::memory_order_relaxed);
  }
  last_save_ = std::chrono::steady_clock::now();
  Status released = lease_->Release(kLeaseKey, holder);
  if (!released.ok()) spdlog::warn("snapshot lease: {}", released.message());
}

void SnapshotSaver::Run() {
  std::string last_error;
  while (true) {
    bool requested = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, kCheckEvery, [this] { return stop_ || requested_; });
      if (stop_) return;
      requested = std::exchange(requested_, false);
    }
    if (requested) {
      SaveWithLease("another node asked for one (a node joining, or closing a gap)");
      continue;
    }
    auto due = Due();
    if (!due.ok()) {
      // One line per kind of trouble, not one every few seconds.
      if (due.status().message() != last_error) {
        spdlog::warn("snapshot check: {}", due.status().message());
        last_error = due.status().message();
      }
      continue;
    }
    last_error.clear();
    if (!due->empty()) SaveWithLease(*due);
  }
}

}  // namespace harmony::node
