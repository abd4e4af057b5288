// The edge between the config and the node: every component's small Options struct, filled from
// config::Config once (NodeOptionsOf). Below this, no component sees the config (issue #11,
// item 9); the [nats] keys are mapped in broker_options.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "apply/applier.h"
#include "bus/jetstream_bus.h"
#include "capture/catalog.h"
#include "common/result.h"
#include "config/config.h"
#include "nats_server/embedded_server.h"
#include "node/bootstrap.h"
#include "node/broker_options.h"
#include "node/capture_setup.h"
#include "node/monitoring.h"
#include "node/node_id_claim.h"
#include "node/schema_status.h"
#include "node/snapshots.h"
#include "node/status_report.h"
#include "replication/apply_loop.h"
#include "replication/publish_loop.h"

namespace harmony::node {

// Everything a Node runs with. The parts the node can only know once it runs (the schema state
// capture was installed for, where the streams end, the counters the reporter reads) are filled
// in by the node, as each field's comment says.
struct NodeOptions {
  std::string db_path;
  uint64_t node_id = 0;  // never 0: the config's, or DeriveNodeId's
  bool publish = true;
  bool replicate = true;
  bool snapshots = true;  // [snapshot] enabled and replicate: save, serve and restore them
  RestoreOptions restore;
  CaptureOptions capture;
  // urls empty: the embedded broker's client URL, filled in once it runs.
  bus::ConnectOptions connect;
  std::optional<nats_server::EmbeddedServerOptions> embedded;  // set when [nats] urls is empty
  bus::StreamOptions streams;
  NodeIdClaimOptions claim;
  // The node fills in epoch and own_progress.
  apply::ApplyOptions apply;
  apply::PendingKeysFn pending_keys;  // set when publish: rows with unpublished local changes
  replication::ApplyLoopOptions apply_loop;  // the node sets on_fatal
  // The node fills in the schema state, stream_ends, own_progress and background_error.
  replication::PublishLoopOptions publish_loop;
  SnapshotOptions snapshot;
  SchemaStatusOptions schema_status;
  StatusOptions status;  // the node fills in the counters' pointers
  MonitoringOptions monitoring;
};

// Maps the config and the flags once. Errors: InvalidArgument naming the key (a bad
// bind_address, TLS or NKEY keys the embedded broker cannot honour), and ConnectOptionsOf's (a
// security file that cannot be read, naming key and path). Checks files but starts nothing.
Result<NodeOptions> NodeOptionsOf(const config::Config& config, const ClusterFlags& flags);

// The node id: [node_id], or DeriveNodeId(db_path) when it is 0.
uint64_t NodeIdOf(const config::Config& config);

// The node id used when the config says 0: XXH3 of /etc/machine-id (or the host name) and the
// absolute database path, so it is stable across restarts and distinct per database; 53 bits
// (exact in JSON numbers), never 0.
uint64_t DeriveNodeId(const std::string& db_path);

// Which tables to capture, from include_tables / ignore_tables.
capture::CatalogOptions CatalogOptionsOf(const config::Config& config);

// The publish loop's settings for this config (schema state and the rest filled in by the node).
replication::PublishLoopOptions PublishLoopOptionsFor(const config::Config& config,
                                                      uint64_t node_id);

// [snapshot], db_path, the request subject and max_entries.
SnapshotOptions SnapshotOptionsOf(const config::Config& config);

// db_path, the catalog and the subject (-schema-status, -schema-status-cluster, the responder).
SchemaStatusOptions SchemaStatusOptionsOf(const config::Config& config);

}  // namespace harmony::node
