#include "replication/apply_loop.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "replication/background_error.h"

namespace harmony::replication {

bool IsFatalApplyError(const Status& s) {
  // kNotFound: the stream dropped messages this node never applied (see Applier::Apply), or the
  // database file is gone.
  return IsUnrecoverable(s) || s.code() == Status::Code::kNotFound;
}

Status ApplyLoop::Start() {
  thread_ = std::thread([this] { Run(); });
  for (uint32_t shard = 1; shard <= options_.shards; ++shard) {
    const uint64_t start = applier_->Position(shard) + 1;
    auto sub =
        subscriber_->Subscribe(shard, start, [this](bus::Delivery&& d) { Enqueue(std::move(d)); });
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
  std::chrono::milliseconds backoff(0);
  std::vector<apply::Incoming> batch;  // taken from the queue, not committed yet
  std::string last_error;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (!batch.empty()) {
        // Retrying after a failure: wait out the back-off, but wake up at once to stop.
        cv_.wait_for(lock, backoff, [this] { return stop_; });
      } else {
        cv_.wait_for(lock, std::chrono::milliseconds(1000),
                     [this] { return stop_ || !queue_.empty(); });
        const size_t n = std::min(queue_.size(), options_.max_messages_per_txn);
        batch.reserve(n);
        for (size_t i = 0; i < n; ++i) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      if (stop_) break;
    }
    cv_.notify_all();
    if (batch.empty()) {
      Status s = applier_->HeldMayBeReleasable() ? applier_->Apply(batch) : applier_->Flush();
      if (!s.ok()) spdlog::debug("idle apply round: {}", s.message());
      continue;
    }
    Status s = applier_->Apply(batch);
    if (s.ok()) {
      if (!last_error.empty()) spdlog::info("applying resumed");
      last_error.clear();
      backoff = std::chrono::milliseconds(0);
      batch.clear();
      continue;
    }
    if (IsFatalApplyError(s)) {
      // Not logged here: the node stops with it as its one-line reason (BackgroundError).
      if (options_.on_fatal) options_.on_fatal(s);
      break;
    }
    if (s.message() != last_error) {
      spdlog::error(
          "{}; retrying the same {} message(s) (replication is paused until it "
          "succeeds)",
          s.message(), batch.size());
      last_error = s.message();
    }
    backoff = std::min(std::chrono::milliseconds(5000),
                       std::max(std::chrono::milliseconds(200), backoff * 2));
  }
  Status flushed = applier_->Flush();
  if (!flushed.ok()) spdlog::warn("store apply positions at stop: {}", flushed.message());
}

}  // namespace harmony::replication
