#include "node/apply_loop.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace harmony::node {

Status ApplyLoop::Start() {
  thread_ = std::thread([this] { Run(); });
  for (uint32_t shard = 1; shard <= options_.shards; ++shard) {
    const uint64_t start = applier_->Position(shard) + 1;
    auto sub = subscriber_->Subscribe(shard, start,
                                      [this](bus::Delivery&& d) { Enqueue(std::move(d)); });
    if (!sub.ok()) {
      Stop();
      return sub.status().WithContext("subscribe to shard " + std::to_string(shard));
    }
    spdlog::debug("shard {}: applying from stream sequence {}", shard, start);
    subscriptions_.push_back(std::move(sub).value());
  }
  return Status::Ok();
}

void ApplyLoop::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  // Destroying a subscription waits for its in-flight callback, which returns now that stop_ is
  // set. Messages still queued were never committed and are delivered again at the next start.
  subscriptions_.clear();
  if (thread_.joinable()) thread_.join();
}

void ApplyLoop::Enqueue(bus::Delivery&& d) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return stop_ || queue_.size() < options_.queue_capacity; });
  if (stop_) return;
  queue_.push_back({d.shard, d.stream_seq, std::move(d.payload), std::nullopt});
  cv_.notify_all();
}

void ApplyLoop::Run() {
  auto last_message = std::chrono::steady_clock::now();
  std::chrono::milliseconds backoff(0);
  bool failing = false;
  while (true) {
    std::vector<apply::Incoming> batch;
    {
      std::unique_lock<std::mutex> lock(mu_);
      // While retrying after a failure, wake up to retry even if nothing new arrives.
      auto wait = failing ? backoff : std::chrono::milliseconds(1000);
      cv_.wait_for(lock, wait, [this] { return stop_ || !queue_.empty(); });
      if (stop_) break;
      const size_t n = std::min(queue_.size(), options_.max_messages_per_txn);
      batch.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    cv_.notify_all();
    auto now = std::chrono::steady_clock::now();
    if (!batch.empty()) last_message = now;
    if (batch.empty() && !failing && !applier_->HasOpenBatch() &&
        !applier_->HeldMayBeReleasable()) {
      // Idle: store the positions reached by skipped own messages, for lag readers and restarts.
      Status flushed = applier_->Flush();
      if (!flushed.ok()) spdlog::debug("store apply positions: {}", flushed.message());
      continue;
    }
    const bool force = applier_->HasOpenBatch() && batch.empty() &&
                       now - last_message >= options_.open_batch_timeout;
    if (force) spdlog::warn("a multi-part batch stayed incomplete for too long; committing it");
    Status s = applier_->Apply(std::move(batch), force);
    if (!s.ok()) {
      if (!failing) spdlog::error("{}; retrying (replication is paused until it succeeds)",
                                  s.message());
      failing = true;
      backoff = std::min(std::chrono::milliseconds(5000),
                         std::max(std::chrono::milliseconds(200), backoff * 2));
      continue;
    }
    if (failing) spdlog::info("applying resumed");
    failing = false;
    backoff = std::chrono::milliseconds(0);
  }
  if (!applier_->HasOpenBatch()) {
    Status flushed = applier_->Flush();
    if (!flushed.ok()) spdlog::warn("store apply positions at stop: {}", flushed.message());
  }
}

}  // namespace harmony::node
