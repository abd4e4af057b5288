#pragma once

#include <cstdint>
#include <stop_token>

#include "common/result.h"
#include "node/snapshots.h"
#include "replication/publish_loop.h"
#include "snapshot/store.h"

namespace harmony::bus {
class JetStreamBus;
}

namespace harmony::node {

// What start-up needs to bring the database up to date before the loops start; mapped once from
// the config (node_options.h).
struct RestoreOptions {
  std::string db_path;
  uint64_t node_id = 0;
  uint32_t shards = 1;
  std::string stream_prefix;  // names the shard streams in warnings ("<prefix>-<shard>")
  bool publish = true;        // local changes may be pending: published before a restore
  bool replicate = true;      // false: nothing is ever restored
  bool snapshots = true;      // [snapshot] enabled (and replicate)
  SnapshotOptions snapshot;
  // The publish loop's settings, for publishing pending local changes before a restore
  // (replication::PublishLoop::Sync); schema_version is filled in then.
  replication::PublishLoopOptions publish_loop;
};

// At start-up, before the applier opens: restores the newest snapshot when this node cannot
// catch up by replay alone (JetStream dropped messages it never applied) or is new (an empty
// database: the snapshot brings the schema too). Local changes not yet published are published
// first. When no snapshot is usable it asks the running nodes for one over core NATS
// (SnapshotRequestSubject) and waits for it: a node with a gap up to 5 min, a new node for as
// long as it takes (issue #10, item 2: it never claims ready without the cluster's tables),
// unless the streams have never carried a message. Returns true if it restored one.
// Errors: the restore's (a gap that cannot be closed: replaying past it would diverge; the
// database is then untouched); kCancelled when a stop was requested on `stop` while waiting
// (`bus` should have been connected with the same token: its requests then end at once too).
Result<bool> RestoreIfNeeded(const RestoreOptions& options, int64_t schema_version,
                             bus::JetStreamBus& bus, snapshot::SnapshotStore* store,
                             const std::stop_token& stop);

}  // namespace harmony::node
