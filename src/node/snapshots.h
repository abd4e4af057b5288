#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "config/config.h"
#include "snapshot/manifest.h"
#include "snapshot/store.h"

namespace harmony::nats {
class Connection;
}

namespace harmony::node {

// The store [snapshot] selects: the JetStream object store reachable over `connection`, or the
// directory of [snapshot.file].
Result<std::unique_ptr<snapshot::SnapshotStore>> OpenSnapshotStore(
    const config::Config& config, std::shared_ptr<nats::Connection> connection);

// Saves one snapshot of config.db_path into `store` now (logging its progress) and returns its
// manifest. Keeps replicating meanwhile: the copy is made from a read transaction.
Result<snapshot::Manifest> SaveSnapshot(const config::Config& config, uint64_t node_id,
                                        snapshot::SnapshotStore& store);

// What start-up learned about the streams and this node's positions.
struct StreamView {
  std::map<uint32_t, uint64_t> first_seq;  // shard -> oldest sequence the stream still holds
  std::map<uint32_t, uint64_t> last_seq;   // shard -> newest sequence
  std::map<uint32_t, uint64_t> applied;    // shard -> this node's stored apply position
  bool new_node = false;  // the database is missing or holds no table and no position
};

// The core NATS subject on which running nodes with a snapshot saver take requests for a snapshot
// ("<stream_prefix>-snapshot-request"; docs/operations.md, "Adding a node"). A request's payload
// names the asking node; the answer names the node that heard it.
std::string SnapshotRequestSubject(const config::Config& config);

// Why this node cannot catch up by replay alone ("" when it can).
std::string ReplayGap(const StreamView& view);

// Restores the newest snapshot into config.db_path: downloads it next to the database, verifies
// size and checksum, installs it with SQLite's backup API (safe while the application has the
// file open) and stores its positions, so that replay continues right after them. Fails, leaving
// the database untouched, when no snapshot covers the gap or it is corrupt. `publish_pending` runs
// first, to get local changes into the stream before their rows are replaced.
Status RestoreSnapshot(const config::Config& config, const StreamView& view,
                       snapshot::SnapshotStore& store,
                       const std::function<Status()>& publish_pending);

// Whether a database file exists and holds no user table and no harmony position (a new node).
Result<bool> IsNewDatabase(const std::string& db_path);

}  // namespace harmony::node
