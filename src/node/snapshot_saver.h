#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "common/result.h"
#include "node/snapshots.h"
#include "snapshot/store.h"

namespace harmony::nats {
class KvLease;
}

namespace harmony::node {

// shard -> (first, last) stream sequence it holds now.
using StreamBounds = std::function<Result<std::map<uint32_t, std::pair<uint64_t, uint64_t>>>()>;

// Saves snapshots in the background: every [snapshot] interval when it is set, and whenever the
// newest snapshot is so far behind a shard stream that JetStream will soon drop (or has dropped)
// messages no snapshot includes: more than half of max_entries behind. Only one node saves at a
// time: the saver takes a lease in JetStream KV first. The node keeps replicating meanwhile.
// What this node's saver has done, readable from any thread.
struct SnapshotSaverStats {
  std::atomic<int64_t> last_saved_unix_ms{0};  // when this node last saved one (0: never)
  std::atomic<int64_t> last_duration_ms{0};    // how long that save took
  std::atomic<uint64_t> failures{0};
};

class SnapshotSaver {
 public:
  // `store` and `lease` are not owned and must outlive the saver. `options`: db_path, interval,
  // max_entries.
  SnapshotSaver(SnapshotOptions options, uint64_t node_id, snapshot::SnapshotStore* store,
                nats::KvLease* lease, StreamBounds bounds)
      : options_(std::move(options)),
        node_id_(node_id),
        store_(store),
        lease_(lease),
        bounds_(std::move(bounds)) {}
  ~SnapshotSaver() { Stop(); }
  SnapshotSaver(const SnapshotSaver&) = delete;
  SnapshotSaver& operator=(const SnapshotSaver&) = delete;

  void Start();
  void Stop();
  const SnapshotSaverStats& stats() const { return stats_; }

  // Asks for a snapshot now, whatever the streams look like (a new node joining asked for one
  // over NATS: issue #10, item 2). Returns at once; the saver thread saves it (under the lease,
  // so if another node is saving one right now this node saves none). Thread-safe.
  void RequestNow();

  // How often the saver looks at the streams.
  static constexpr std::chrono::seconds kCheckEvery{2};

 private:
  void Run();
  SnapshotSaverStats stats_;
  // Whether a snapshot is due now, and why (for the log).
  Result<std::string> Due();
  void SaveWithLease(const std::string& why);

  const SnapshotOptions options_;
  const uint64_t node_id_;
  snapshot::SnapshotStore* store_;  // not owned
  nats::KvLease* lease_;            // not owned
  StreamBounds bounds_;
  std::chrono::steady_clock::time_point last_save_ = std::chrono::steady_clock::now();
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;       // guarded by mu_
  bool requested_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace harmony::node
