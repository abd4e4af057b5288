#include "monitor/node_status.h"

#include <gtest/gtest.h>

namespace harmony::monitor {
namespace {

TEST(NodeStatusTest, JsonRoundTripsEveryField) {
  NodeStatus s;
  s.node_id = (uint64_t{1} << 53) - 1;
  s.version = "1.2.3";
  s.host = "h";
  s.pid = 42;
  s.started_unix_ms = 1000;
  s.reported_unix_ms = 2000;
  s.publish = false;
  s.replicate = true;
  s.connected = true;
  s.captured_seq = 9;
  s.published_seq = 7;
  s.pending_changes = 2;
  s.held_batches = 3;
  s.dead_letters = 4;
  s.capture_installed = true;
  s.tables_tracked = 11;
  s.changes_published = 12;
  s.messages_published = 13;
  s.publish_failures = 14;
  s.changes_applied = 15;
  s.messages_applied = 16;
  s.changes_held = 17;
  s.changes_dead_lettered = 18;
  s.conflicts = 19;
  s.unique_conflicts = 20;
  s.last_publish_unix_ms = 21;
  s.last_apply_unix_ms = 22;
  s.last_snapshot_unix_ms = 23;
  s.last_snapshot_duration_ms = 24;
  s.shards = {{1, 100, 90, 10, 1.5}, {2, 5, 5, 0, 0}};
  auto back = ParseNodeStatus(ToJson(s));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(ToJson(*back), ToJson(s));
  EXPECT_EQ(back->MaxLagMessages(), 10u);
  EXPECT_DOUBLE_EQ(back->MaxLagSeconds(), 1.5);
}

TEST(NodeStatusTest, MissingFieldsKeepDefaultsAndGarbageIsCorruption) {
  auto partial = ParseNodeStatus("{\"node_id\": 5}");
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ(partial->node_id, 5u);
  EXPECT_TRUE(partial->shards.empty());
  EXPECT_EQ(ParseNodeStatus("not json").status().code(), Status::Code::kCorruption);
  EXPECT_EQ(ParseNodeStatus("[1]").status().code(), Status::Code::kCorruption);
  EXPECT_EQ(ParseNodeStatus("{\"node_id\": \"x\"}").status().code(), Status::Code::kCorruption);
}

}  // namespace
}  // namespace harmony::monitor
