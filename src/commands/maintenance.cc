#include "commands/maintenance.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <memory>

#include "bus/jetstream_bus.h"
#include "capture/change_log.h"
#include "nats/kv_lease.h"
#include "node/broker_options.h"
#include "node/database_lock.h"
#include "node/file_modes.h"
#include "node/node_options.h"
#include "node/snapshots.h"
#include "sqlite/database.h"

namespace harmony::commands {

using node::AdoptDatabaseMode;
using node::DatabaseLock;
using node::EmbeddedStoreDir;
using node::kSnapshotLeaseBucket;
using node::kSnapshotLeaseTtl;
using node::NodeIdOf;
using node::OpenSnapshotStore;
using node::SaveSnapshot;
using node::SnapshotOptions;
using node::SnapshotOptionsOf;
using node::StreamOptionsOf;
using node::ToolConnectOptions;
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

}  // namespace

Status SaveSnapshotNow(const config::Config& config) {
  HARMONY_RETURN_IF_ERROR(CheckDatabaseFile(config.db_path));
  HARMONY_RETURN_IF_ERROR(AdoptDatabaseMode(config.db_path));
  const uint64_t node_id = NodeIdOf(config);
  const SnapshotOptions options = SnapshotOptionsOf(config);
  HARMONY_ASSIGN_OR_RETURN(const bus::ConnectOptions connect,
                           ToolConnectOptions(config, "save-snapshot"));
  HARMONY_ASSIGN_OR_RETURN(std::unique_ptr<bus::JetStreamBus> bus,
                           bus::JetStreamBus::Connect(connect, StreamOptionsOf(config)));
  HARMONY_ASSIGN_OR_RETURN(std::unique_ptr<snapshot::SnapshotStore> store,
                           OpenSnapshotStore(options, bus->connection()));
  HARMONY_ASSIGN_OR_RETURN(std::unique_ptr<nats::KvLease> lease,
                           nats::KvLease::Open(bus->connection(), kSnapshotLeaseBucket,
                                               kSnapshotLeaseTtl, options.nats_replicas));
  const std::string holder = std::to_string(node_id) + "-cli";
  HARMONY_ASSIGN_OR_RETURN(bool held, lease->TryAcquire("save", holder));
  if (!held) {
    return Status::Unavailable("another node is saving a snapshot right now; try again shortly");
  }
  auto saved = SaveSnapshot(options.db_path, node_id, *store);
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

}  // namespace harmony::commands
