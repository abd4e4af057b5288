// node/status_report: collects this node's NodeStatus and reports it into the JetStream KV bucket
// kStatusBucket, key "node-<id>", once per interval, so that `harmony status` and `harmony wait`
// can see every live node (issue #11, item 5). The status is read from the database (positions,
// change-log marks, held batches, dead letters: what the loops have committed) and from the
// streams (their last sequences; the stored time of the oldest message not taken in yet), never
// from the loops' own state, so it needs no access to their threads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/result.h"
#include "monitor/node_status.h"

namespace harmony::apply {
struct ApplyStats;
}
namespace harmony::bus {
class JetStreamBus;
}
namespace harmony::nats {
class KvStore;
}
namespace harmony::sqlite {
class Database;
}

namespace harmony::replication {
struct PublishStats;
}

namespace harmony::node {

using monitor::NodeStatus;
using monitor::ParseNodeStatus;
using monitor::ShardStatus;
using monitor::ToJson;

// The bucket every node reports into; its keys expire kStatusTtl after the last report, so a
// node that stopped drops out on its own.
inline constexpr char kStatusBucket[] = "harmony-status";
inline constexpr std::chrono::seconds kStatusTtl{60};
// A report older than this (by the reader's clock) is from a node taken as not running.
inline constexpr std::chrono::seconds kStatusLiveFor{10};

struct SnapshotSaverStats;

struct StatusOptions {
  std::string db_path;
  uint64_t node_id = 0;
  bool publish = true;
  bool replicate = true;
  uint32_t shards = 1;
  int replicas = 1;  // of the bucket
  std::chrono::milliseconds interval{1000};
  // Counters of the loops, where they run (null otherwise). Atomics: read from the reporter's
  // thread. Must outlive the reporter.
  const replication::PublishStats* publish_stats = nullptr;
  const apply::ApplyStats* apply_stats = nullptr;
  const SnapshotSaverStats* snapshot_stats = nullptr;
};

// Reads the status of the node serving `options.db_path` from its database and the streams.
// Errors: SQLite's and the broker's (kUnavailable while disconnected).
Result<NodeStatus> CollectStatus(const StatusOptions& options, sqlite::Database& db,
                                 bus::JetStreamBus& bus);

// Owns one thread that collects and puts the status every interval. Failures are logged once per
// outage and retried at the next interval; they never stop the node. Not copyable; Stop (or the
// destructor) joins the thread. `bus` must outlive it.
class StatusReporter {
 public:
  // Opens the bucket (creating it) and its own database connection; kUnavailable if the broker
  // does not answer within 30 s.
  static Result<std::unique_ptr<StatusReporter>> Start(StatusOptions options,
                                                       bus::JetStreamBus* bus);
  StatusReporter(const StatusReporter&) = delete;
  StatusReporter& operator=(const StatusReporter&) = delete;
  ~StatusReporter();
  // Asks the thread to stop after the report in flight, without waiting (a report blocked on a
  // broker that is gone ends when the connection closes). Stop() then joins, and withdraws this
  // node's report from the bucket (best effort: a failure is logged at debug level), so that
  // `status` and `wait` stop counting a node that stopped cleanly at once, instead of after
  // kStatusLiveFor. Stop() is idempotent.
  void RequestStop();
  void Stop();
  // The newest status collected (nullopt before the first); for metrics and health. Thread-safe.
  std::optional<NodeStatus> Latest() const;

 private:
  StatusReporter(StatusOptions options, bus::JetStreamBus* bus, std::unique_ptr<nats::KvStore> kv,
                 std::unique_ptr<sqlite::Database> db);
  void Run();
  Status ReportOnce();

  const StatusOptions options_;
  bus::JetStreamBus* bus_;  // not owned
  bool withdrawn_ = false;  // Stop() deleted the report (owner thread only)
  std::unique_ptr<nats::KvStore> kv_;
  std::unique_ptr<sqlite::Database> db_;
  const int64_t started_unix_ms_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;                 // guarded by mu_
  std::optional<NodeStatus> latest_;  // guarded by mu_
  std::thread thread_;                // last: runs over everything above
};

// The key of node `node_id`'s report.
std::string StatusKey(uint64_t node_id);

// Milliseconds since the Unix epoch, now.
int64_t UnixMillisNow();

}  // namespace harmony::node
