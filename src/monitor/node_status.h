// monitor: what operators see of a running node. NodeStatus (this file) is what a node knows
// about itself (issue #11, items 3-5): per shard how far it has applied and how far behind it is,
// what it has not published yet, what it set aside, counters and latencies. node/status_report.h
// collects it once a second; it goes into the JetStream KV bucket "harmony-status" for `harmony
// status` and `harmony wait`, to Prometheus (metrics.h) and to the health endpoint (health.h).
// A plain value type; the JSON form is the wire format of that bucket (docs/operations.md,
// "Status and wait"). Depends on common only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/latency_histogram.h"
#include "common/result.h"

namespace harmony::monitor {

struct ShardStatus {
  uint32_t shard = 0;
  uint64_t stream_last_seq = 0;  // last stream sequence in the shard's stream (0: empty/unknown)
  // Last stream sequence this node has taken in: applied, set aside, held or passed over as its
  // own (state::ShardPosition::stream_seq). 0 for a node that does not replicate.
  uint64_t applied_seq = 0;
  uint64_t lag_messages = 0;  // stream_last_seq - applied_seq; 0 when not replicating
  // How long the oldest message not taken in yet has been in the stream, in seconds (from the
  // time JetStream stored it); 0 when caught up.
  double lag_seconds = 0;
};

struct NodeStatus {
  uint64_t node_id = 0;
  std::string version;
  std::string host;
  int64_t pid = 0;
  int64_t started_unix_ms = 0;
  int64_t reported_unix_ms = 0;  // when this report was made (the node's clock)
  bool publish = true;
  bool replicate = true;
  bool connected = false;        // to NATS
  uint64_t captured_seq = 0;     // highest change-log seq captured (local commits)
  uint64_t published_seq = 0;    // highest change-log seq JetStream acknowledged
  uint64_t pending_changes = 0;  // captured_seq - published_seq
  int64_t held_batches = 0;      // changes held for a table or column not here yet
  int64_t dead_letters = 0;      // pending dead letters (`harmony dead-letters`)
  bool capture_installed = false;  // harmony's triggers are in the database
  uint64_t tables_tracked = 0;     // tables whose changes are captured
  // Counters since this process started.
  uint64_t changes_published = 0;
  uint64_t messages_published = 0;
  uint64_t publish_failures = 0;  // rounds that failed and were retried
  uint64_t changes_applied = 0;
  uint64_t messages_applied = 0;
  uint64_t changes_held = 0;          // set aside for a table or column not here yet
  uint64_t changes_dead_lettered = 0;
  uint64_t conflicts = 0;             // remote changes that lost to a concurrent local one
  uint64_t unique_conflicts = 0;      // upserts that collided through a secondary UNIQUE
  int64_t last_publish_unix_ms = 0;   // 0: none since start
  int64_t last_apply_unix_ms = 0;
  int64_t last_snapshot_unix_ms = 0;  // when this node last saved a snapshot (0: never)
  int64_t last_snapshot_duration_ms = 0;
  std::vector<ShardStatus> shards;
  // Not in the JSON form (metrics only).
  LatencyHistogram::Snapshot publish_latency;
  LatencyHistogram::Snapshot apply_latency;

  // Largest lag over the shards.
  uint64_t MaxLagMessages() const;
  double MaxLagSeconds() const;
};

// One-line JSON. Never fails.
std::string ToJson(const NodeStatus& status);
// Parses ToJson's output; fields it lacks keep their defaults (reports of other versions).
// kCorruption for text that is not a JSON object.
Result<NodeStatus> ParseNodeStatus(const std::string& json);

}  // namespace harmony::monitor
