#include "node/node_options.h"

#include <unistd.h>
#include <xxhash.h>

#include <filesystem>
#include <fstream>

#include "capture/scanner.h"
#include "capture/schema_apply.h"

namespace harmony::node {

namespace fs = std::filesystem;

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

uint64_t NodeIdOf(const config::Config& config) {
  return config.node_id ? config.node_id : DeriveNodeId(config.db_path);
}

capture::CatalogOptions CatalogOptionsOf(const config::Config& config) {
  return {.include_tables = config.include_tables, .ignore_tables = config.ignore_tables};
}

replication::PublishLoopOptions PublishLoopOptionsFor(const config::Config& config,
                                                      uint64_t node_id) {
  replication::PublishLoopOptions o;
  o.db_path = config.db_path;
  o.scan.shards = config.replication_log.shards;
  o.scan.max_changes_per_batch = config.scan_max_changes;
  o.scan.node_id = node_id;
  o.compress = config.replication_log.compress;
  o.polling_interval = std::chrono::milliseconds(config.polling_interval_ms);
  o.cleanup_interval = std::chrono::milliseconds(config.cleanup_interval_ms);
  o.catalog = CatalogOptionsOf(config);
  o.schema_capture =
      config.replicate_ddl ? capture::SchemaCapture::kPublish : capture::SchemaCapture::kRecord;
  return o;
}

SnapshotOptions SnapshotOptionsOf(const config::Config& config) {
  return {.db_path = config.db_path,
          .request_subject = SnapshotRequestSubject(config.nats.stream_prefix),
          .store = config.snapshot.store,
          .file_dir = config.snapshot.file_dir,
          .nats_bucket = config.snapshot.nats_bucket,
          .nats_replicas = config.snapshot.nats_replicas,
          .interval = std::chrono::milliseconds(config.snapshot.interval_ms),
          .max_entries = static_cast<uint64_t>(config.replication_log.max_entries)};
}

SchemaStatusOptions SchemaStatusOptionsOf(const config::Config& config) {
  return {.db_path = config.db_path,
          .catalog = CatalogOptionsOf(config),
          .subject = SchemaStatusSubject(config.nats.stream_prefix)};
}

namespace {

apply::ApplyOptions ApplyOptionsOf(const config::Config& config, uint64_t node_id) {
  apply::ApplyOptions o{
      .db_path = config.db_path,
      .node_id = node_id,
      .shards = config.replication_log.shards,
      .conflicts_kept = config.conflicts_kept,
      .is_replicated = [catalog = CatalogOptionsOf(config)](const std::string& table) {
        auto excluded = capture::ExclusionReason(table, catalog);
        return !excluded.ok() || excluded->empty();
      },
      .apply_schema = {}};
  if (config.replicate_ddl) {
    capture::SchemaApplyOptions schema{.catalog = CatalogOptionsOf(config),
                                       .install_triggers = config.publish};
    o.apply_schema = [schema](
                         sqlite::Database& db,
                         const change::SchemaChange& change) -> Result<apply::SchemaChangeOutcome> {
      HARMONY_ASSIGN_OR_RETURN(capture::SchemaApplyResult r,
                               capture::ApplySchemaChange(db, change, schema));
      return apply::SchemaChangeOutcome{r.steps_done, std::move(r.conflicts),
                                        std::move(r.dropped_tables)};
    };
  }
  return o;
}

MonitoringOptions MonitoringOptionsOf(const config::Config& config) {
  MonitoringOptions o;
  if (config.prometheus.enable) {
    o.metrics = monitor::MetricsOptions{.bind = config.prometheus.bind,
                                        .name_space = config.prometheus.name_space,
                                        .subsystem = config.prometheus.subsystem};
  }
  if (config.health_check.enable) {
    o.health = monitor::HealthOptions{.bind = config.health_check.bind,
                                      .path = config.health_check.path,
                                      .detailed = config.health_check.detailed};
  }
  return o;
}

}  // namespace

Result<NodeOptions> NodeOptionsOf(const config::Config& config, const ClusterFlags& flags) {
  NodeOptions o;
  o.db_path = config.db_path;
  o.node_id = NodeIdOf(config);
  o.publish = config.publish;
  o.replicate = config.replicate;
  o.snapshots = config.snapshot.enabled && config.replicate;
  o.snapshot = SnapshotOptionsOf(config);
  o.publish_loop = PublishLoopOptionsFor(config, o.node_id);
  o.restore = {.db_path = config.db_path,
               .node_id = o.node_id,
               .shards = config.replication_log.shards,
               .stream_prefix = config.nats.stream_prefix,
               .publish = config.publish,
               .replicate = config.replicate,
               .snapshots = o.snapshots,
               .snapshot = o.snapshot,
               .publish_loop = o.publish_loop};
  o.capture = {.db_path = config.db_path,
               .publish = config.publish,
               .replicate = config.replicate,
               .replicate_ddl = config.replicate_ddl,
               .shards = config.replication_log.shards,
               .catalog = CatalogOptionsOf(config)};
  HARMONY_ASSIGN_OR_RETURN(o.connect,
                           ConnectOptionsOf(config, "harmony-" + std::to_string(o.node_id)));
  if (o.connect.urls.empty()) {
    HARMONY_ASSIGN_OR_RETURN(o.embedded, EmbeddedServerOptionsOf(config, flags, o.node_id));
  }
  o.streams = StreamOptionsOf(config);
  o.claim = {.node_id = o.node_id, .replicas = config.replication_log.replicas};
  o.apply = ApplyOptionsOf(config, o.node_id);
  if (config.publish) {
    o.pending_keys = [shards = config.replication_log.shards](sqlite::Database& db,
                                                              std::optional<uint64_t> after) {
      return capture::PendingRowKeys(db, shards, after);
    };
  }
  o.apply_loop.shards = config.replication_log.shards;
  o.schema_status = SchemaStatusOptionsOf(config);
  o.status = {.db_path = config.db_path,
              .node_id = o.node_id,
              .publish = config.publish,
              .replicate = config.replicate,
              .shards = config.replication_log.shards,
              .replicas = config.replication_log.replicas};
  o.monitoring = MonitoringOptionsOf(config);
  return o;
}

}  // namespace harmony::node
