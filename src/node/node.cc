#include "node/node.h"

#include <spdlog/spdlog.h>
#include <unistd.h>
#include <xxhash.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>

#include "apply/applier.h"
#include "bus/jetstream_bus.h"
#include "capture/catalog.h"
#include "capture/change_log.h"
#include "capture/scanner.h"
#include "capture/schema_apply.h"
#include "capture/schema_sync.h"
#include "capture/triggers.h"
#include "nats_server/embedded_server.h"
#include "nats/kv_lease.h"
#include "nats/request_reply.h"
#include "node/apply_loop.h"
#include "node/background_error.h"
#include "node/bootstrap.h"
#include "node/broker_options.h"
#include "node/database_checks.h"
#include "node/database_lock.h"
#include "node/file_modes.h"
#include "node/leaf_options.h"
#include "node/node_id_claim.h"
#include "node/publish_loop.h"
#include "node/schema_status.h"
#include "node/service_notify.h"
#include "node/shutdown_deadline.h"
#include "node/signals.h"
#include "node/snapshot_saver.h"
#include "node/snapshots.h"
#include "node/monitoring.h"
#include "node/startup_stop.h"
#include "sqlite/database.h"

namespace harmony::node {
namespace {

namespace fs = std::filesystem;

Status CheckDatabaseFile(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return Status::NotFound("database " + path +
                            " does not exist (db_path must name the application's SQLite file)");
  }
  if (!fs::is_regular_file(path, ec)) {
    return Status::InvalidArgument("database " + path + " is not a regular file");
  }
  return Status::Ok();
}

// Splits "host:port"; an empty host means every interface, "[v6]" loses its brackets, and port
// -1 asks for any free port (nats-server's convention, HarmonyLite's default ":-1").
Status ParseHostPort(const std::string& address, std::string* host, int* port) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) {
    return Status::InvalidArgument("bind_address '" + address + "' is not host:port");
  }
  *host = address.substr(0, colon);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  if (host->empty()) *host = "0.0.0.0";
  try {
    *port = std::stoi(address.substr(colon + 1));
  } catch (...) {
    return Status::InvalidArgument("bind_address '" + address + "' has no valid port");
  }
  if ((*port <= 0 || *port > 65535) && *port != -1) {
    return Status::InvalidArgument("bind_address '" + address + "' port out of range");
  }
  return Status::Ok();
}

// One node saves a snapshot at a time: it holds this lease while it does (expiring, should it die).
constexpr char kSnapshotLeaseBucket[] = "harmony-snapshot-lease";
constexpr std::chrono::seconds kSnapshotLeaseTtl{300};
// How often the main thread makes sure the database lock file is still the one it locked.
constexpr std::chrono::seconds kLockCheckEvery{1};

struct CaptureState {
  int64_t schema_version = -1;  // what the triggers match, for noticing later schema changes
  uint64_t epoch = 0;           // of this database's change log
  std::set<std::string> reported_skipped;  // tables whose "not replicated" warning was logged
  uint64_t schema_fingerprint = 0;         // capture::SchemaState::fingerprint of that install
};

// Installs capture (or removes it when publish = false).
Result<CaptureState> PrepareCapture(const config::Config& config) {
  sqlite::OpenOptions open;
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, sqlite::Database::Open(config.db_path, open));
  if (!config.publish) {
    spdlog::info("publish = false: local changes are not captured");
    HARMONY_RETURN_IF_ERROR(capture::RemoveTriggers(db));
    return CaptureState{};
  }
  // Tables created while harmony was stopped are backfilled; the very first install is not.
  HARMONY_ASSIGN_OR_RETURN(bool installed_before, capture::CaptureInstalled(db));
  const capture::SchemaCapture schema =
      config.replicate_ddl ? capture::SchemaCapture::kPublish : capture::SchemaCapture::kRecord;
  // Backfills at start-up wait until this node has applied what is already in the streams (its
  // rows may be stale): capture/backfill.h.
  const capture::BackfillMode backfill = !installed_before ? capture::BackfillMode::kNone
                                         : config.replicate ? capture::BackfillMode::kDeferred
                                                            : capture::BackfillMode::kNow;
  HARMONY_ASSIGN_OR_RETURN(capture::SyncResult sync,
                           capture::SyncCapture(db, CatalogOptionsOf(config), backfill, schema));
  LogSchemaChange(sync, schema);
  if (sync.promoted) {
    spdlog::info("publish = true after publish = false: capture installed again without sending "
                 "existing rows (what was written while publishing was off stays local)");
  }
  std::set<std::string> reported;
  for (const capture::SkippedTable& skipped : sync.skipped) {
    spdlog::warn("table \"{}\" is not replicated: {}", skipped.name, skipped.reason);
    reported.insert(skipped.name);
  }
  std::string names;
  for (const auto& t : sync.tracked) names += (names.empty() ? "" : ", ") + t.schema.name;
  if (config.replication_log.shards > 1) {
    std::string one_shard;
    for (const auto& t : sync.tracked) {
      if (t.schema.one_shard) one_shard += (one_shard.empty() ? "" : ", ") + t.schema.name;
    }
    if (!one_shard.empty()) {
      spdlog::info("table(s) with a UNIQUE constraint besides the primary key, each sent in one "
                   "shard so that colliding rows are ordered: {}",
                   one_shard);
    }
  }
  spdlog::info("capturing changes on {} table(s): {}", sync.tracked.size(), names);
  if (sync.backfilled_rows || sync.recaptured_rows) {
    spdlog::info("{} row(s) of new tables backfilled, {} re-captured after column changes",
                 sync.backfilled_rows, sync.recaptured_rows);
  }
  HARMONY_ASSIGN_OR_RETURN(uint64_t epoch, capture::ReadEpoch(db));
  return CaptureState{sync.schema_version, epoch, std::move(reported), sync.fingerprint};
}

Result<std::unique_ptr<nats_server::EmbeddedServer>> StartEmbedded(const config::Config& config,
                                                            const ClusterFlags& flags,
                                                            uint64_t node_id,
                                                            std::stop_token stop) {
  nats_server::EmbeddedServerOptions opts;
  opts.stop = std::move(stop);
  HARMONY_RETURN_IF_ERROR(ParseHostPort(config.nats.bind_address, &opts.host, &opts.port)
                              .WithContext("[nats] bind_address"));
  opts.store_dir = EmbeddedStoreDir(config.db_path);
  opts.server_name = "harmony-" + std::to_string(node_id);
  opts.cluster_addr = flags.cluster_addr;
  opts.cluster_peers = flags.cluster_peers;
  opts.leaf = {.remotes = flags.leaf_servers, .hub_domain = flags.hub_domain};
  HARMONY_RETURN_IF_ERROR(SecureEmbeddedServer(config.nats, &opts));
  std::error_code ec;
  fs::create_directories(opts.store_dir, ec);
  if (ec) return Status::IoError("create " + opts.store_dir + ": " + ec.message());
  opts.log_file = opts.store_dir + "/nats-server.log";
  spdlog::info("starting embedded nats-server on {}:{} (store {}{}{})", opts.host, opts.port,
               opts.store_dir, DescribeLeaf(flags),
               !opts.config_file.empty()   ? ", config " + opts.config_file
               : !opts.client_auth.empty() ? ", clients must authenticate"
                                           : "");
  return nats_server::EmbeddedServer::Start(opts);
}

}  // namespace

std::string EmbeddedStoreDir(const std::string& db_path) {
  return fs::absolute(db_path).string() + "-harmony-nats";
}

uint64_t DeriveNodeId(const std::string& db_path) {
  std::string seed;
  std::ifstream machine_id("/etc/machine-id");
  if (machine_id) std::getline(machine_id, seed);
  if (seed.empty()) {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    seed = host;
  }
  seed += '\0';
  seed += fs::absolute(db_path).lexically_normal().string();
  // 53 bits: exact in JSON numbers and in every language's double, and never 0.
  uint64_t id = XXH3_64bits(seed.data(), seed.size()) & ((uint64_t{1} << 53) - 1);
  return id == 0 ? 1 : id;
}

// One life of the node, from start-up (restoring a snapshot when needed) to a stop signal or an
// unrecoverable error. A stop signal during start-up is `startup`'s (see Run).
static Status RunOnce(const config::Config& config, const ClusterFlags& flags,
                      StopSignals& signals, StartupStop& startup) {
  HARMONY_ASSIGN_OR_RETURN(const bool created, PrepareDatabaseFile(config));
  // Before the lock file, the broker's store or a snapshot copy is created.
  HARMONY_RETURN_IF_ERROR(AdoptDatabaseMode(config.db_path));
  // Before anything touches the database: a second harmony on it would publish every change
  // twice and fight over its state tables.
  auto locked = DatabaseLock::Acquire(config.db_path);
  if (!locked.ok()) {
    if (locked.status().code() != Status::Code::kUnavailable) return locked.status();
    return Status::Unavailable(locked.status().message() + ": run one harmony per database");
  }
  std::unique_ptr<DatabaseLock> db_lock = std::move(locked).value();
  const uint64_t node_id = config.node_id ? config.node_id : DeriveNodeId(config.db_path);
  spdlog::info("harmony {} on {} (publish={}, replicate={}, shards={})", HARMONY_VERSION,
               config.db_path, config.publish, config.replicate, config.replication_log.shards);
  HARMONY_ASSIGN_OR_RETURN(bool checked, CheckDatabaseAtStart(config.db_path, startup.token()));
  if (!checked) {
    spdlog::info("stopped before start-up completed");
    return Status::Ok();
  }
  // The first unrecoverable error of any thread; declared before every thread that records one.
  BackgroundError errors;

  auto capture = PrepareCapture(config);
  if (!capture.ok()) return capture.status().WithContext("install change capture");

  std::unique_ptr<nats_server::EmbeddedServer> server;
  HARMONY_ASSIGN_OR_RETURN(bus::ConnectOptions connect,
                           ConnectOptionsOf(config, "harmony-" + std::to_string(node_id)));
  connect.stop = startup.token();
  if (connect.urls.empty()) {
    HARMONY_ASSIGN_OR_RETURN(server, StartEmbedded(config, flags, node_id, startup.token()));
    connect.urls = {server->ClientUrl()};
  }

  const bus::StreamOptions streams = StreamOptionsOf(config);
  HARMONY_ASSIGN_OR_RETURN(std::unique_ptr<bus::JetStreamBus> bus,
                           bus::JetStreamBus::Connect(connect, streams));
  HARMONY_RETURN_IF_ERROR(bus->EnsureStreams());
  // Before this node publishes or applies anything under its id.
  NodeIdClaimOptions claim_options{.node_id = node_id, .replicas = config.replication_log.replicas};
  HARMONY_ASSIGN_OR_RETURN(std::unique_ptr<NodeIdClaim> claim,
                           NodeIdClaim::Acquire(bus->connection(), claim_options, &errors));

  std::unique_ptr<snapshot::SnapshotStore> snapshots;
  if (config.snapshot.enabled && config.replicate) {
    HARMONY_ASSIGN_OR_RETURN(snapshots, OpenSnapshotStore(config, bus->connection()));
  }
  auto restored_or =
      RestoreIfNeeded(config, node_id, capture->schema_version, *bus, snapshots.get(),
                      startup.token());
  if (!restored_or.ok() && restored_or.status().code() == Status::Code::kCancelled) {
    spdlog::info("stopped before start-up completed ({})", restored_or.status().message());
    return Status::Ok();
  }
  HARMONY_ASSIGN_OR_RETURN(bool restored, std::move(restored_or));
  if (created && !restored) return RefuseUnfilledDatabase(config.db_path);
  if (restored) {
    // The snapshot carries no capture objects: install them afresh (nothing to backfill: the
    // rows came from the cluster).
    capture = PrepareCapture(config);
    if (!capture.ok()) return capture.status().WithContext("install change capture");
  }

  // Where each shard stream ends now: every message this node published before is at or before.
  std::map<uint32_t, uint64_t> stream_ends;
  for (uint32_t shard = 1; shard <= streams.shards; ++shard) {
    HARMONY_ASSIGN_OR_RETURN(bus::StreamState state, bus->State(shard));
    stream_ends[shard] = state.last_seq;
  }

  // With both directions on, the applier learns from the publish loop when this node's changes
  // are in the stream, and skips its own messages.
  std::unique_ptr<apply::OwnProgress> own_progress;
  if (config.publish && config.replicate) own_progress = std::make_unique<apply::OwnProgress>();
  std::unique_ptr<apply::Applier> applier;
  std::unique_ptr<bus::Subscriber> subscriber;
  std::unique_ptr<ApplyLoop> apply_loop;
  if (config.replicate) {
    apply::PendingKeysFn pending;
    if (config.publish) {
      pending = [shards = config.replication_log.shards](sqlite::Database& db,
                                                         std::optional<uint64_t> after) {
        return capture::PendingRowKeys(db, shards, after);
      };
    }
    apply::ApplyOptions apply_options{.db_path = config.db_path,
                                      .node_id = node_id,
                                      .shards = config.replication_log.shards,
                                      .epoch = capture->epoch,
                                      .own_progress = own_progress.get(),
                                      .conflicts_kept = config.conflicts_kept,
                                      .is_replicated = [catalog = CatalogOptionsOf(config)](
                                                           const std::string& table) {
                                        auto excluded = capture::ExclusionReason(table, catalog);
                                        return !excluded.ok() || excluded->empty();
                                      }};
    if (config.replicate_ddl) {
      capture::SchemaApplyOptions schema_options{.catalog = CatalogOptionsOf(config),
                                                 .install_triggers = config.publish};
      apply_options.apply_schema = [schema_options](sqlite::Database& db,
                                                    const change::SchemaChange& change)
          -> Result<apply::SchemaChangeOutcome> {
        HARMONY_ASSIGN_OR_RETURN(capture::SchemaApplyResult r,
                                 capture::ApplySchemaChange(db, change, schema_options));
        return apply::SchemaChangeOutcome{r.steps_done, std::move(r.conflicts),
                                          std::move(r.dropped_tables)};
      };
    }
    HARMONY_ASSIGN_OR_RETURN(applier, apply::Applier::Open(apply_options, pending));
    subscriber = bus->NewSubscriber();
    ApplyLoopOptions loop_options;
    loop_options.shards = config.replication_log.shards;
    loop_options.on_fatal = [&errors](const Status& s) {
      errors.Record(s.WithContext("apply loop"));
    };
    apply_loop = std::make_unique<ApplyLoop>(loop_options, applier.get(), subscriber.get());
    HARMONY_RETURN_IF_ERROR(apply_loop->Start());
  } else {
    spdlog::info("replicate = false: changes from other nodes are not applied");
  }

  std::unique_ptr<bus::Publisher> publisher;
  std::unique_ptr<PublishLoop> publish_loop;
  if (config.publish) {
    publisher = bus->NewPublisher();
    PublishLoopOptions publish_options =
        PublishLoopOptionsFor(config, node_id, capture->schema_version);
    publish_options.reported_skipped = capture->reported_skipped;
    publish_options.schema_fingerprint = capture->schema_fingerprint;
    publish_options.own_progress = own_progress.get();
    publish_options.stream_ends = stream_ends;
    publish_options.backfill_after_catch_up = config.replicate;
    publish_options.background_error = &errors;
    publish_loop = std::make_unique<PublishLoop>(publish_options, publisher.get());
    HARMONY_RETURN_IF_ERROR(publish_loop->Start());
  }

  std::unique_ptr<nats::KvLease> lease;
  std::unique_ptr<SnapshotSaver> saver;
  std::unique_ptr<nats::Responder> responder;  // requests for a snapshot, from joining nodes
  if (snapshots) {
    HARMONY_ASSIGN_OR_RETURN(lease, nats::KvLease::Open(bus->connection(), kSnapshotLeaseBucket,
                                                        kSnapshotLeaseTtl,
                                                        config.snapshot.nats_replicas));
    bus::JetStreamBus* b = bus.get();
    const uint32_t shards = config.replication_log.shards;
    saver = std::make_unique<SnapshotSaver>(
        config, node_id, snapshots.get(), lease.get(),
        [b, shards]() -> Result<std::map<uint32_t, std::pair<uint64_t, uint64_t>>> {
          std::map<uint32_t, std::pair<uint64_t, uint64_t>> bounds;
          for (uint32_t shard = 1; shard <= shards; ++shard) {
            HARMONY_ASSIGN_OR_RETURN(bus::StreamState state, b->State(shard));
            bounds[shard] = {state.first_seq, state.last_seq};
          }
          return bounds;
        });
    saver->Start();
    SnapshotSaver* requested = saver.get();
    const std::string me = "node " + std::to_string(node_id);
    HARMONY_ASSIGN_OR_RETURN(
        responder, nats::Responder::Start(bus->connection(), SnapshotRequestSubject(config),
                                          [requested, me](const std::string& request) {
                                            spdlog::info("{}: saving one now", request);
                                            requested->RequestNow();
                                            return me + " saves one now unless another node "
                                                        "is saving one";
                                          }));
  }

  // Reports this node's positions and lag for `harmony status` and `harmony wait`.
  HARMONY_ASSIGN_OR_RETURN(
      std::unique_ptr<Monitoring> monitoring,
      Monitoring::Start(config,
                        {.db_path = config.db_path,
                         .node_id = node_id,
                         .publish = config.publish,
                         .replicate = config.replicate,
                         .shards = config.replication_log.shards,
                         .replicas = config.replication_log.replicas,
                         .publish_stats = publish_loop ? &publish_loop->stats() : nullptr,
                         .apply_stats = applier ? &applier->stats() : nullptr,
                         .snapshot_stats = saver ? &saver->stats() : nullptr},
                        bus.get()));
  // -schema-status-cluster asks every running node for its schema hash.
  HARMONY_ASSIGN_OR_RETURN(std::unique_ptr<nats::Responder> schema_responder,
                           StartSchemaStatusResponder(bus->connection(), config, node_id));

  // From here on the stop signals are this thread's; one that came during start-up stops now.
  int sig = startup.Finish();
  if (sig == 0) {
    spdlog::info("node {} ready", node_id);
    NotifyReady("node " + std::to_string(node_id) + " ready");
  }
  while (sig == 0 && !errors.failed()) {
    sig = signals.Wait(kLockCheckEvery, errors.wake_fd());
    if (sig != 0) break;
    if (Status held = db_lock->CheckHeld(); !held.ok()) errors.Record(held);
  }
  const Status error = errors.Get();
  NotifyStopping(error.ok() ? "stopping on signal " + std::to_string(sig) : error.message());
  if (error.ok()) {
    spdlog::info("received signal {}, shutting down", sig);
  } else {
    spdlog::info("unrecoverable error, shutting down");  // the error itself is the exit line
  }
  // Best-effort steps that wait on the broker (the node-id claim's release when the KV bucket's
  // server is gone: 5 s per request) must not hold up the exit: after 500 ms the connection closes
  // and they fail at once (their failures are warnings; the claim then expires by its TTL).
  ShutdownDeadline deadline(std::chrono::milliseconds(500), [connection = bus->connection()] {
    spdlog::warn("shutdown still waits for the broker after 500 ms: closing the connection");
    connection->Close();
  });
  // Stop producers before what they feed, and everything before the broker goes away.
  // The reporter reads the loops' and the saver's counters: joined before any of them goes (a
  // report in flight on a broker that is gone ends at the deadline's close).
  monitoring->BeginStop();
  monitoring->StopReporter();
  responder.reset();  // before the saver it calls
  schema_responder.reset();
  saver.reset();
  if (publish_loop) publish_loop->Stop();
  if (apply_loop) apply_loop->Stop();
  publish_loop.reset();
  apply_loop.reset();
  publisher.reset();
  subscriber.reset();
  applier.reset();
  claim.reset();  // released while the broker is still there
  // Every holder of the connection goes before the broker: a connection that outlives it
  // starts reconnecting, and closing it then waits out a reconnect_wait (2 s by default).
  lease.reset();
  snapshots.reset();
  deadline.Cancel();  // before its connection goes
  bus.reset();
  server.reset();
  monitoring.reset();  // its HTTP servers, last: nothing else waits for them
  spdlog::info("stopped");
  return error;
}

Result<std::vector<std::string>> BrokerUrlsForTools(const config::Config& config) {
  if (!config.nats.urls.empty()) return config.nats.urls;
  // The embedded broker of the node running beside this database.
  std::string host;
  int port = 0;
  HARMONY_RETURN_IF_ERROR(ParseHostPort(config.nats.bind_address, &host, &port)
                              .WithContext("[nats] bind_address"));
  if (port == -1) {
    // A port the kernel picked: the running server's ports file in its store says which.
    HARMONY_ASSIGN_OR_RETURN(std::string url,
                             nats_server::RunningServerUrl(EmbeddedStoreDir(config.db_path)));
    return std::vector<std::string>{url};
  }
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return std::vector<std::string>{"nats://" + host + ":" + std::to_string(port)};
}

Status SaveSnapshotNow(const config::Config& config) {
  HARMONY_RETURN_IF_ERROR(CheckDatabaseFile(config.db_path));
  HARMONY_RETURN_IF_ERROR(AdoptDatabaseMode(config.db_path));
  const uint64_t node_id = config.node_id ? config.node_id : DeriveNodeId(config.db_path);
  HARMONY_ASSIGN_OR_RETURN(const bus::ConnectOptions connect,
                           ToolConnectOptions(config, "save-snapshot"));
  HARMONY_ASSIGN_OR_RETURN(std::unique_ptr<bus::JetStreamBus> bus,
                           bus::JetStreamBus::Connect(connect, StreamOptionsOf(config)));
  HARMONY_ASSIGN_OR_RETURN(std::unique_ptr<snapshot::SnapshotStore> store,
                           OpenSnapshotStore(config, bus->connection()));
  HARMONY_ASSIGN_OR_RETURN(std::unique_ptr<nats::KvLease> lease,
                           nats::KvLease::Open(bus->connection(), kSnapshotLeaseBucket,
                                               kSnapshotLeaseTtl, config.snapshot.nats_replicas));
  const std::string holder = std::to_string(node_id) + "-cli";
  HARMONY_ASSIGN_OR_RETURN(bool held, lease->TryAcquire("save", holder));
  if (!held) {
    return Status::Unavailable("another node is saving a snapshot right now; try again shortly");
  }
  auto saved = SaveSnapshot(config, node_id, *store);
  Status released = lease->Release("save", holder);
  if (!saved.ok()) return saved.status();
  if (!released.ok()) spdlog::warn("snapshot lease: {}", released.message());
  return Status::Ok();
}

Status Cleanup(const config::Config& config) {
  HARMONY_RETURN_IF_ERROR(CheckDatabaseFile(config.db_path));
  auto lock = DatabaseLock::Acquire(config.db_path);
  if (!lock.ok()) {
    if (lock.status().code() != Status::Code::kUnavailable) return lock.status();
    return Status::Unavailable("-cleanup refused: " + lock.status().message() +
                               "; stop that node first (cleanup would delete its triggers, "
                               "tables and broker data)");
  }
  sqlite::OpenOptions open;
  open.wal = false;  // leave the journal mode as the application has it
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, sqlite::Database::Open(config.db_path, open));
  HARMONY_RETURN_IF_ERROR(capture::RemoveAllObjects(db).WithContext("cleanup " + config.db_path));
  spdlog::info("removed harmony's triggers and tables from {}", config.db_path);
  const std::string store = EmbeddedStoreDir(config.db_path);
  std::error_code ec;
  if (fs::exists(store, ec)) {
    fs::remove_all(store, ec);
    if (ec) return Status::IoError("remove " + store + ": " + ec.message());
    spdlog::info("removed embedded broker data {}", store);
  }
  return (*lock)->RemoveFile();
}

Status Run(const config::Config& config, const ClusterFlags& flags) {
  StopSignals signals;
  while (true) {
    StartupStop startup(signals);
    Status s = RunOnce(config, flags, signals, startup);
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
