#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "apply/applier.h"
#include "bus/bus.h"
#include "common/status.h"

namespace harmony::node {

struct ApplyLoopOptions {
  uint32_t shards = 1;
  size_t queue_capacity = 256;       // messages held between the subscriptions and the applier
  size_t max_messages_per_txn = 256;
  // A sender that stopped in the middle of a multi-part batch never sends the rest; after this
  // long without any message the partial batch is committed rather than holding the database.
  std::chrono::milliseconds open_batch_timeout{30000};
};

// Subscribes to every shard from the applier's stored positions and feeds one applier thread
// through a bounded queue. Subscription callbacks block when the queue is full, which pushes back
// on the broker through the consumer's flow control.
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
  apply::Applier* applier_;       // not owned
  bus::Subscriber* subscriber_;   // not owned
  std::vector<std::unique_ptr<bus::Subscription>> subscriptions_;
  std::thread thread_;

  // Guarded by mu_.
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<apply::Incoming> queue_;
  bool stop_ = false;
};

}  // namespace harmony::node
