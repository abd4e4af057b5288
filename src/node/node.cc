#include "node/node.h"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "apply/applier.h"
#include "apply/own_progress.h"
#include "bus/jetstream_bus.h"
#include "nats/kv_lease.h"
#include "nats/request_reply.h"
#include "nats_server/embedded_server.h"
#include "node/bootstrap.h"
#include "node/database_file.h"
#include "node/database_lock.h"
#include "node/file_modes.h"
#include "node/leaf_options.h"
#include "node/monitoring.h"
#include "node/node_id_claim.h"
#include "node/schema_status.h"
#include "node/service_notify.h"
#include "node/signals.h"
#include "node/snapshot_saver.h"
#include "node/snapshots.h"
#include "node/startup_stop.h"
#include "replication/apply_loop.h"
#include "replication/database_checks.h"
#include "replication/publish_loop.h"

namespace harmony::node {
namespace {

// How often the main thread makes sure the database lock file is still the one it locked.
constexpr std::chrono::seconds kLockCheckEvery{1};
// How long shutdown waits on the broker before closing the connection under the steps still
// waiting (ShutdownDeadline).
constexpr std::chrono::milliseconds kShutdownGrace{500};

}  // namespace

Node::Node(const NodeOptions& options) : options_(options) {}

Result<std::unique_ptr<Node>> Node::Start(const NodeOptions& options, StartupStop& startup) {
  std::unique_ptr<Node> node(new Node(options));
  bool stopped = false;
  HARMONY_RETURN_IF_ERROR(node->Open(startup, &stopped));
  if (stopped) return std::unique_ptr<Node>();
  return node;
}

Status Node::Open(StartupStop& startup, bool* stopped) {
  HARMONY_ASSIGN_OR_RETURN(const bool created,
                           PrepareDatabaseFile(options_.db_path, options_.restore.snapshots));
  // Before the lock file, the broker's store or a snapshot copy is created.
  HARMONY_RETURN_IF_ERROR(AdoptDatabaseMode(options_.db_path));
  // Before anything touches the database: a second harmony on it would publish every change
  // twice and fight over its state tables.
  auto locked = DatabaseLock::Acquire(options_.db_path);
  if (!locked.ok()) {
    if (locked.status().code() != Status::Code::kUnavailable) return locked.status();
    return Status::Unavailable(locked.status().message() + ": run one harmony per database");
  }
  db_lock_ = std::move(locked).value();
  spdlog::info("harmony {} on {} (publish={}, replicate={}, shards={})", HARMONY_VERSION,
               options_.db_path, options_.publish, options_.replicate, options_.streams.shards);
  HARMONY_ASSIGN_OR_RETURN(bool checked,
                           replication::CheckDatabaseAtStart(options_.db_path, startup.token()));
  if (!checked) {
    *stopped = true;
    return Status::Ok();
  }
  auto capture = PrepareCapture(options_.capture);
  if (!capture.ok()) return capture.status().WithContext("install change capture");
  capture_ = std::move(capture).value();

  HARMONY_RETURN_IF_ERROR(OpenBroker(startup));

  if (options_.snapshots) {
    HARMONY_ASSIGN_OR_RETURN(snapshots_, OpenSnapshotStore(options_.snapshot, bus_->connection()));
  }
  auto restored_or = RestoreIfNeeded(options_.restore, capture_.schema_version, *bus_,
                                     snapshots_.get(), startup.token());
  if (!restored_or.ok() && restored_or.status().code() == Status::Code::kCancelled) {
    spdlog::info("stopped before start-up completed ({})", restored_or.status().message());
    *stopped = true;
    return Status::Ok();
  }
  HARMONY_ASSIGN_OR_RETURN(bool restored, std::move(restored_or));
  if (created && !restored) HARMONY_RETURN_IF_ERROR(RefuseUnfilledDatabase(options_.db_path));
  if (restored) {
    // The snapshot carries no capture objects: install them afresh (nothing to backfill: the
    // rows came from the cluster).
    capture = PrepareCapture(options_.capture);
    if (!capture.ok()) return capture.status().WithContext("install change capture");
    capture_ = std::move(capture).value();
  }

  // Where each shard stream ends now: every message this node published before is at or before.
  std::map<uint32_t, uint64_t> stream_ends;
  for (uint32_t shard = 1; shard <= options_.streams.shards; ++shard) {
    HARMONY_ASSIGN_OR_RETURN(bus::StreamState state, bus_->State(shard));
    stream_ends[shard] = state.last_seq;
  }
  if (options_.publish && options_.replicate) {
    own_progress_ = std::make_unique<apply::OwnProgress>();
  }
  HARMONY_RETURN_IF_ERROR(StartApplying());
  HARMONY_RETURN_IF_ERROR(StartPublishing(stream_ends));
  HARMONY_RETURN_IF_ERROR(StartSnapshots());

  // Reports this node's positions and lag for `harmony status` and `harmony wait`, metrics and
  // health; through the reporter only (StatusReporter::Latest).
  StatusOptions status = options_.status;
  status.publish_stats = publish_loop_ ? &publish_loop_->stats() : nullptr;
  status.apply_stats = applier_ ? &applier_->stats() : nullptr;
  status.snapshot_stats = saver_ ? &saver_->stats() : nullptr;
  HARMONY_ASSIGN_OR_RETURN(monitoring_,
                           Monitoring::Start(options_.monitoring, std::move(status), bus_.get()));
  // -schema-status-cluster asks every running node for its schema hash.
  HARMONY_ASSIGN_OR_RETURN(
      schema_responder_,
      StartSchemaStatusResponder(bus_->connection(), options_.schema_status, options_.node_id));
  return Status::Ok();
}

Status Node::OpenBroker(StartupStop& startup) {
  bus::ConnectOptions connect = options_.connect;
  connect.stop = startup.token();
  if (options_.embedded) {
    nats_server::EmbeddedServerOptions embedded = *options_.embedded;
    embedded.stop = startup.token();
    std::error_code ec;
    std::filesystem::create_directories(embedded.store_dir, ec);
    if (ec) return Status::IoError("create " + embedded.store_dir + ": " + ec.message());
    spdlog::info("starting embedded nats-server on {}:{} (store {}{}{})", embedded.host,
                 embedded.port, embedded.store_dir, DescribeLeaf(embedded.leaf),
                 !embedded.config_file.empty()   ? ", config " + embedded.config_file
                 : !embedded.client_auth.empty() ? ", clients must authenticate"
                                                 : "");
    HARMONY_ASSIGN_OR_RETURN(server_, nats_server::EmbeddedServer::Start(std::move(embedded)));
    connect.urls = {server_->ClientUrl()};
  }
  HARMONY_ASSIGN_OR_RETURN(bus_, bus::JetStreamBus::Connect(connect, options_.streams));
  HARMONY_RETURN_IF_ERROR(bus_->EnsureStreams());
  // Before this node publishes or applies anything under its id.
  HARMONY_ASSIGN_OR_RETURN(claim_,
                           NodeIdClaim::Acquire(bus_->connection(), options_.claim, &errors_));
  return Status::Ok();
}

Status Node::StartApplying() {
  if (!options_.replicate) {
    spdlog::info("replicate = false: changes from other nodes are not applied");
    return Status::Ok();
  }
  apply::ApplyOptions apply = options_.apply;
  apply.epoch = capture_.epoch;
  apply.own_progress = own_progress_.get();
  HARMONY_ASSIGN_OR_RETURN(applier_, apply::Applier::Open(apply, options_.pending_keys));
  subscriber_ = bus_->NewSubscriber();
  replication::ApplyLoopOptions loop = options_.apply_loop;
  loop.on_fatal = [this](const Status& s) { errors_.Record(s.WithContext("apply loop")); };
  apply_loop_ = std::make_unique<replication::ApplyLoop>(loop, applier_.get(), subscriber_.get());
  return apply_loop_->Start();
}

Status Node::StartPublishing(const std::map<uint32_t, uint64_t>& stream_ends) {
  if (!options_.publish) return Status::Ok();
  publisher_ = bus_->NewPublisher();
  replication::PublishLoopOptions loop = options_.publish_loop;
  loop.schema_version = capture_.schema_version;
  loop.schema_fingerprint = capture_.schema_fingerprint;
  loop.reported_skipped = capture_.reported_skipped;
  loop.own_progress = own_progress_.get();
  loop.stream_ends = stream_ends;
  loop.backfill_after_catch_up = options_.replicate;
  loop.background_error = &errors_;
  publish_loop_ = std::make_unique<replication::PublishLoop>(std::move(loop), publisher_.get());
  return publish_loop_->Start();
}

Status Node::StartSnapshots() {
  if (!snapshots_) return Status::Ok();
  HARMONY_ASSIGN_OR_RETURN(snapshot_lease_,
                           nats::KvLease::Open(bus_->connection(), kSnapshotLeaseBucket,
                                               kSnapshotLeaseTtl, options_.snapshot.nats_replicas));
  bus::JetStreamBus* bus = bus_.get();
  const uint32_t shards = options_.streams.shards;
  saver_ = std::make_unique<SnapshotSaver>(
      options_.snapshot, options_.node_id, snapshots_.get(), snapshot_lease_.get(),
      [bus, shards]() -> Result<std::map<uint32_t, std::pair<uint64_t, uint64_t>>> {
        std::map<uint32_t, std::pair<uint64_t, uint64_t>> bounds;
        for (uint32_t shard = 1; shard <= shards; ++shard) {
          HARMONY_ASSIGN_OR_RETURN(bus::StreamState state, bus->State(shard));
          bounds[shard] = {state.first_seq, state.last_seq};
        }
        return bounds;
      });
  saver_->Start();
  SnapshotSaver* requested = saver_.get();
  const std::string me = "node " + std::to_string(options_.node_id);
  HARMONY_ASSIGN_OR_RETURN(
      snapshot_responder_,
      nats::Responder::Start(bus_->connection(), options_.snapshot.request_subject,
                             [requested, me](const std::string& request) {
                               spdlog::info("{}: saving one now", request);
                               requested->RequestNow();
                               return me + " saves one now unless another node is saving one";
                             }));
  return Status::Ok();
}

Status Node::Run(StopSignals& signals, StartupStop& startup) {
  // From here on the stop signals are this thread's; one that came during start-up stops now.
  int sig = startup.Finish();
  if (sig == 0) {
    spdlog::info("node {} ready", options_.node_id);
    NotifyReady("node " + std::to_string(options_.node_id) + " ready");
  }
  while (sig == 0 && !errors_.failed()) {
    sig = signals.Wait(kLockCheckEvery, errors_.wake_fd());
    if (sig != 0) break;
    if (Status held = db_lock_->CheckHeld(); !held.ok()) errors_.Record(held);
  }
  const Status error = errors_.Get();
  NotifyStopping(error.ok() ? "stopping on signal " + std::to_string(sig) : error.message());
  if (error.ok()) {
    spdlog::info("received signal {}, shutting down", sig);
  } else {
    spdlog::info("unrecoverable error, shutting down");  // the error itself is the exit line
  }
  return error;
}

Node::~Node() {
  // Best-effort steps that wait on the broker (withdrawing the status report, the node-id
  // claim's release, when the KV bucket's server is gone: seconds per request) must not hold up
  // the exit: after 500 ms the connection closes and they fail at once (their failures are
  // warnings; the claim then expires by its TTL, the report by kStatusLiveFor).
  if (bus_) {
    deadline_.emplace(kShutdownGrace, [connection = bus_->connection()] {
      spdlog::warn("shutdown still waits for the broker after 500 ms: closing the connection");
      connection->Close();
    });
  }
  // The reporter reads the loops' and the saver's counters: joined before any of them goes (a
  // report in flight on a broker that is gone ends at the deadline's close).
  if (monitoring_) {
    monitoring_->BeginStop();
    monitoring_->StopReporter();
  }
  // The members now go in reverse order of declaration: monitoring, the responders before the
  // saver they call, the loops before what they feed, the claim while the broker is still there,
  // then the deadline, the connection, and the embedded broker after every holder of the
  // connection (one that outlived it would start reconnecting, and closing it would then wait out
  // a reconnect_wait).
}

Status Run(const config::Config& config, const ClusterFlags& flags) {
  HARMONY_ASSIGN_OR_RETURN(const NodeOptions options, NodeOptionsOf(config, flags));
  StopSignals signals;
  while (true) {
    StartupStop startup(signals);
    Status s;
    bool ran = false;
    {
      auto node = Node::Start(options, startup);
      if (!node.ok()) {
        s = node.status();
      } else if (*node == nullptr) {
        spdlog::info("stopped before start-up completed");
        NotifyStopping("stopped before start-up completed");
        return Status::Ok();
      } else {
        ran = true;
        s = (*node)->Run(signals, startup);
      }
    }  // the node stops here
    if (ran) spdlog::info("stopped");
    if (startup.Finish() != 0 && !s.ok()) {
      // What failed was cut short by the stop (a closed connection, an ended wait).
      spdlog::info("stopped before start-up completed ({})", s.message());
      NotifyStopping("stopped before start-up completed");
      return Status::Ok();
    }
    // Writers outran this node: the streams dropped messages it had not applied yet (seen only
    // once applying, e.g. right after a restore under heavy load). Start over, which restores a
    // newer snapshot, rather than exit: issue #9, item 7.
    if (!apply::IsStreamGap(s)) return s;
    spdlog::warn("{}; starting over to restore a snapshot", s.message());
  }
}

}  // namespace harmony::node
