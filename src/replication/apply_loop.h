#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "apply/applier.h"
#include "bus/bus.h"
#include "common/status.h"

namespace harmony::replication {

struct ApplyLoopOptions {
  uint32_t shards = 1;
  size_t queue_capacity = 256;  // messages held between the subscriptions and the applier
  size_t max_messages_per_txn = 256;
  // Called once, from the applier thread, with an error that retrying cannot fix (a damaged
  // database); the loop then stops applying. Transient errors (busy, locked, a full disk) are
  // retried with back-off instead and never reach it.
  std::function<void(const Status&)> on_fatal;
};

// True for an apply error that no retry can fix: IsUnrecoverable (background_error.h: a damaged
// database, an I/O error), or a shard stream dropped messages this node never applied (only a
// snapshot restore, at start-up, can close that gap).
bool IsFatalApplyError(const Status& s);

// Subscribes to every shard from the applier's stored positions and feeds one applier thread
// through a bounded queue. Subscription callbacks block when the queue is full, which pushes back
// on the broker through the consumer's flow control. Messages taken from the queue stay with the
// loop until the applier has committed them: after a failure the very same messages are retried
// (with back-off) before anything newer, so nothing is skipped whatever happens meanwhile
// (issue #9, item 4).
class ApplyLoop {
 public:
  // "applier" and "subscriber" must outlive the loop.
  ApplyLoop(ApplyLoopOptions options, apply::Applier* applier, bus::Subscriber* subscriber)
      : options_(options), applier_(applier), subscriber_(subscriber) {}
  ~ApplyLoop() { Stop(); }

  Status Start();
  void Stop();

 private:
  void Enqueue(bus::Delivery&& d);
  void Run();

  ApplyLoopOptions options_;
  apply::Applier* applier_;      // not owned
  bus::Subscriber* subscriber_;  // not owned
  std::vector<std::unique_ptr<bus::Subscription>> subscriptions_;
  std::thread thread_;

  // Guarded by mu_.
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<apply::Incoming> queue_;
  bool stop_ = false;
};

}  // namespace harmony::replication
