// node/node_status: what a node reports about itself (issue #11, item 5): per shard how far it
// has applied and how far behind it is, what it has not published yet, what it set aside. Each
// node puts its NodeStatus into the JetStream KV bucket "harmony-status" (status_report.h);
// `harmony status` and `harmony wait` read them (status_command.h). A plain value type; the JSON
// form is the wire format of that bucket (docs/operations.md, "Status and wait").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace harmony::node {

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
  std::vector<ShardStatus> shards;

  // Largest lag over the shards.
  uint64_t MaxLagMessages() const;
  double MaxLagSeconds() const;
};

// One-line JSON. Never fails.
std::string ToJson(const NodeStatus& status);
// Parses ToJson's output; fields it lacks keep their defaults (reports of other versions).
// kCorruption for text that is not a JSON object.
Result<NodeStatus> ParseNodeStatus(const std::string& json);

}  // namespace harmony::node
