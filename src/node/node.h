// A running node: the composition root that owns every component, started in dependency order
// and stopped in the reverse order (issue #11, item 9).
#pragma once

#include <map>
#include <memory>
#include <optional>

#include "common/result.h"
#include "common/status.h"
#include "config/config.h"
#include "node/broker_options.h"
#include "node/capture_setup.h"
#include "node/node_options.h"
#include "node/shutdown_deadline.h"
#include "replication/background_error.h"

namespace harmony::apply {
class Applier;
class OwnProgress;
}  // namespace harmony::apply
namespace harmony::bus {
class JetStreamBus;
class Publisher;
class Subscriber;
}  // namespace harmony::bus
namespace harmony::nats {
class KvLease;
class Responder;
}  // namespace harmony::nats
namespace harmony::nats_server {
class EmbeddedServer;
}
namespace harmony::replication {
class ApplyLoop;
class PublishLoop;
}  // namespace harmony::replication
namespace harmony::snapshot {
class SnapshotStore;
}

namespace harmony::node {

class DatabaseLock;
class Monitoring;
class NodeIdClaim;
class SnapshotSaver;
class StartupStop;
class StopSignals;

// One life of a node, from start-up (restoring a snapshot when needed) to a stop signal or an
// unrecoverable error. Its members are declared in the order they are started, each after what
// it uses, so destruction stops each component before anything it uses goes away. Used from one
// thread (the main thread); the components run their own threads.
class Node {
 public:
  // Starts everything: the database lock, capture, the broker (embedded or not), the streams,
  // the node-id claim, a restore when needed, the loops, the snapshot saver, monitoring. A stop
  // signal during start-up (on `startup`) ends it early: then nullptr, or the error the stop cut
  // short (the caller tells them apart with startup.signal()). Errors: each step's, with context.
  static Result<std::unique_ptr<Node>> Start(const NodeOptions& options, StartupStop& startup);

  // Runs until a stop signal (returns Ok) or a component's unrecoverable error (returns it).
  // Finishes `startup` first (a signal that came during start-up stops at once); tells systemd
  // READY and STOPPING.
  Status Run(StopSignals& signals, StartupStop& startup);

  // Stops everything in reverse order; best-effort steps waiting on a broker that is gone are cut
  // short after 500 ms (ShutdownDeadline), so the process exits within 2 s of the signal.
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

 private:
  explicit Node(const NodeOptions& options);
  // The start-up steps, filling the members in order. Sets *stopped when a stop ended it early.
  Status Open(StartupStop& startup, bool* stopped);
  Status OpenBroker(StartupStop& startup);
  Status StartApplying();
  Status StartPublishing(const std::map<uint32_t, uint64_t>& stream_ends);
  Status StartSnapshots();

  NodeOptions options_;
  std::unique_ptr<DatabaseLock> db_lock_;  // first: nobody else runs on this database
  replication::BackgroundError errors_;    // the first unrecoverable error of any thread
  CaptureState capture_;
  std::unique_ptr<nats_server::EmbeddedServer> server_;  // when [nats] urls is empty
  std::unique_ptr<bus::JetStreamBus> bus_;
  // Armed at shutdown; cancelled (destroyed) after every user of bus_'s connection is gone and
  // before bus_ itself goes.
  std::optional<ShutdownDeadline> deadline_;
  std::unique_ptr<NodeIdClaim> claim_;  // before anything is published or applied under the id
  std::unique_ptr<snapshot::SnapshotStore> snapshots_;
  // With both directions on: the applier learns from the publish loop when this node's own
  // changes are in the stream.
  std::unique_ptr<apply::OwnProgress> own_progress_;
  std::unique_ptr<apply::Applier> applier_;
  std::unique_ptr<bus::Subscriber> subscriber_;
  std::unique_ptr<replication::ApplyLoop> apply_loop_;
  std::unique_ptr<bus::Publisher> publisher_;
  std::unique_ptr<replication::PublishLoop> publish_loop_;
  std::unique_ptr<nats::KvLease> snapshot_lease_;
  std::unique_ptr<SnapshotSaver> saver_;
  std::unique_ptr<nats::Responder> snapshot_responder_;  // requests from joining nodes
  std::unique_ptr<nats::Responder> schema_responder_;    // -schema-status-cluster
  // Last: reads the loops' and the saver's counters (through its reporter only).
  std::unique_ptr<Monitoring> monitoring_;
};

// Runs nodes until SIGINT/SIGTERM (Ok) or a fatal error (the error): maps the config once, then
// starts a Node, and starts over when the streams dropped messages this node had not applied (a
// new snapshot closes the gap: issue #9, item 7). The caller must have blocked those signals in
// every thread first (see signals.h).
Status Run(const config::Config& config, const ClusterFlags& flags);

}  // namespace harmony::node
