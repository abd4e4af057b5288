#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "snapshot/manifest.h"
#include "snapshot/store.h"

namespace harmony::nats {
class Connection;
}

namespace harmony::node {

// [snapshot] and what snapshots need besides, mapped once from the config (node_options.h,
// SnapshotOptionsOf).
struct SnapshotOptions {
  std::string db_path;  // the database snapshots are made of and restored into
  // The core NATS subject of snapshot requests: SnapshotRequestSubject(stream_prefix).
  std::string request_subject;
  std::string store = "nats";                     // "nats" (object store) or "file" (directory)
  std::string file_dir;                           // store = "file": the directory
  std::string nats_bucket = "harmony-snapshots";  // store = "nats": the object store bucket
  int nats_replicas = 1;                          // store = "nats": its replicas
  // The saver also saves this often (0: only when the streams need one).
  std::chrono::milliseconds interval{0};
  // [replication_log] max_entries: a snapshot is due when the newest one is more than half of this
  // behind a shard stream (SnapshotSaver).
  uint64_t max_entries = 1024;
};

// One node saves a snapshot at a time: it holds a lease in this JetStream KV bucket while it does
// (expiring after the TTL, should it die). Shared by the saver and -save-snapshot.
inline constexpr char kSnapshotLeaseBucket[] = "harmony-snapshot-lease";
inline constexpr std::chrono::seconds kSnapshotLeaseTtl{300};

// The store `options.store` selects: the JetStream object store reachable over `connection`, or the
// directory of [snapshot.file].
Result<std::unique_ptr<snapshot::SnapshotStore>> OpenSnapshotStore(
    const SnapshotOptions& options, std::shared_ptr<nats::Connection> connection);

// Saves one snapshot of `db_path` into `store` now (logging its progress) and returns its
// manifest. Keeps replicating meanwhile: the copy is made from a read transaction.
Result<snapshot::Manifest> SaveSnapshot(const std::string& db_path, uint64_t node_id,
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
std::string SnapshotRequestSubject(const std::string& stream_prefix);

// Why this node cannot catch up by replay alone ("" when it can).
std::string ReplayGap(const StreamView& view);

// Restores the newest snapshot into `db_path`: downloads it next to the database, verifies
// size and checksum, installs it with SQLite's backup API (safe while the application has the
// file open) and stores its positions, so that replay continues right after them. Fails, leaving
// the database untouched, when no snapshot covers the gap or it is corrupt. `publish_pending` runs
// first, to get local changes into the stream before their rows are replaced.
Status RestoreSnapshot(const std::string& db_path, const StreamView& view,
                       snapshot::SnapshotStore& store,
                       const std::function<Status()>& publish_pending);

// Whether a database file exists and holds no user table and no harmony position (a new node).
Result<bool> IsNewDatabase(const std::string& db_path);

}  // namespace harmony::node
