#include "monitor/node_status.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace harmony::monitor {

uint64_t NodeStatus::MaxLagMessages() const {
  uint64_t max = 0;
  for (const ShardStatus& s : shards) max = std::max(max, s.lag_messages);
  return max;
}

double NodeStatus::MaxLagSeconds() const {
  double max = 0;
  for (const ShardStatus& s : shards) max = std::max(max, s.lag_seconds);
  return max;
}

std::string ToJson(const NodeStatus& s) {
  nlohmann::json shards = nlohmann::json::array();
  for (const ShardStatus& sh : s.shards) {
    shards.push_back({{"shard", sh.shard},
                      {"stream_last_seq", sh.stream_last_seq},
                      {"applied_seq", sh.applied_seq},
                      {"lag_messages", sh.lag_messages},
                      {"lag_seconds", sh.lag_seconds}});
  }
  nlohmann::json j = {{"node_id", s.node_id},
                      {"version", s.version},
                      {"host", s.host},
                      {"pid", s.pid},
                      {"started_unix_ms", s.started_unix_ms},
                      {"reported_unix_ms", s.reported_unix_ms},
                      {"publish", s.publish},
                      {"replicate", s.replicate},
                      {"connected", s.connected},
                      {"captured_seq", s.captured_seq},
                      {"published_seq", s.published_seq},
                      {"pending_changes", s.pending_changes},
                      {"held_batches", s.held_batches},
                      {"dead_letters", s.dead_letters},
                      {"capture_installed", s.capture_installed},
                      {"changes_published", s.changes_published},
                      {"messages_published", s.messages_published},
                      {"publish_failures", s.publish_failures},
                      {"changes_applied", s.changes_applied},
                      {"messages_applied", s.messages_applied},
                      {"changes_held", s.changes_held},
                      {"changes_dead_lettered", s.changes_dead_lettered},
                      {"conflicts", s.conflicts},
                      {"unique_conflicts", s.unique_conflicts},
                      {"tables_tracked", s.tables_tracked},
                      {"last_publish_unix_ms", s.last_publish_unix_ms},
                      {"last_apply_unix_ms", s.last_apply_unix_ms},
                      {"last_snapshot_unix_ms", s.last_snapshot_unix_ms},
                      {"last_snapshot_duration_ms", s.last_snapshot_duration_ms},
                      {"shards", std::move(shards)}};
  return j.dump();
}

Result<NodeStatus> ParseNodeStatus(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Status::Corruption("node status is not a JSON object");
  NodeStatus s;
  try {
    s.node_id = j.value("node_id", uint64_t{0});
    s.version = j.value("version", std::string());
    s.host = j.value("host", std::string());
    s.pid = j.value("pid", int64_t{0});
    s.started_unix_ms = j.value("started_unix_ms", int64_t{0});
    s.reported_unix_ms = j.value("reported_unix_ms", int64_t{0});
    s.publish = j.value("publish", true);
    s.replicate = j.value("replicate", true);
    s.connected = j.value("connected", false);
    s.captured_seq = j.value("captured_seq", uint64_t{0});
    s.published_seq = j.value("published_seq", uint64_t{0});
    s.pending_changes = j.value("pending_changes", uint64_t{0});
    s.held_batches = j.value("held_batches", int64_t{0});
    s.dead_letters = j.value("dead_letters", int64_t{0});
    s.capture_installed = j.value("capture_installed", false);
    s.changes_published = j.value("changes_published", uint64_t{0});
    s.messages_published = j.value("messages_published", uint64_t{0});
    s.publish_failures = j.value("publish_failures", uint64_t{0});
    s.changes_applied = j.value("changes_applied", uint64_t{0});
    s.messages_applied = j.value("messages_applied", uint64_t{0});
    s.changes_held = j.value("changes_held", uint64_t{0});
    s.changes_dead_lettered = j.value("changes_dead_lettered", uint64_t{0});
    s.conflicts = j.value("conflicts", uint64_t{0});
    s.unique_conflicts = j.value("unique_conflicts", uint64_t{0});
    s.tables_tracked = j.value("tables_tracked", uint64_t{0});
    s.last_publish_unix_ms = j.value("last_publish_unix_ms", int64_t{0});
    s.last_apply_unix_ms = j.value("last_apply_unix_ms", int64_t{0});
    s.last_snapshot_unix_ms = j.value("last_snapshot_unix_ms", int64_t{0});
    s.last_snapshot_duration_ms = j.value("last_snapshot_duration_ms", int64_t{0});
    if (j.contains("shards") && j["shards"].is_array()) {
      for (const nlohmann::json& sh : j["shards"]) {
        ShardStatus out;
        out.shard = sh.value("shard", uint32_t{0});
        out.stream_last_seq = sh.value("stream_last_seq", uint64_t{0});
        out.applied_seq = sh.value("applied_seq", uint64_t{0});
        out.lag_messages = sh.value("lag_messages", uint64_t{0});
        out.lag_seconds = sh.value("lag_seconds", 0.0);
        s.shards.push_back(out);
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string("node status: ") + e.what());
  }
  return s;
}

}  // namespace harmony::monitor
