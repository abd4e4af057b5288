#include "node/status_report.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>

#include "apply/applier.h"
#include "bus/jetstream_bus.h"
#include "capture/change_log.h"
#include "nats/kv_store.h"
#include "node/snapshot_saver.h"
#include "replication/publish_loop.h"
#include "sqlite/database.h"
#include "state/dead_letters.h"
#include "state/held_changes.h"
#include "state/positions.h"

namespace harmony::node {
namespace {

std::string HostName() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return host;
}

// Highest change-log seq captured so far (the log keeps its newest row; published rows are
// removed but the mark says how far they went).
Result<uint64_t> CapturedSeq(sqlite::Database& db, uint64_t published) {
  HARMONY_ASSIGN_OR_RETURN(sqlite::Statement max,
                           db.Prepare("SELECT coalesce(max(seq), 0) FROM __harmony_change_log"));
  HARMONY_ASSIGN_OR_RETURN(bool row, max.Step());
  const uint64_t logged = row ? static_cast<uint64_t>(max.ColumnInt(0)) : 0;
  return std::max(logged, published);
}

}  // namespace

std::string StatusKey(uint64_t node_id) { return "node-" + std::to_string(node_id); }

int64_t UnixMillisNow() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<NodeStatus> CollectStatus(const StatusOptions& options, sqlite::Database& db,
                                 bus::JetStreamBus& bus) {
  NodeStatus s;
  s.node_id = options.node_id;
  s.version = HARMONY_VERSION;
  s.host = HostName();
  s.pid = getpid();
  s.publish = options.publish;
  s.replicate = options.replicate;
  s.connected = bus.IsConnected();
  {
    // One read transaction, so the marks agree with each other.
    HARMONY_ASSIGN_OR_RETURN(auto tx,
                             sqlite::Transaction::Begin(db, sqlite::Transaction::Mode::kDeferred));
    HARMONY_ASSIGN_OR_RETURN(s.published_seq, capture::ReadPublishedSeq(db));
    HARMONY_ASSIGN_OR_RETURN(s.captured_seq, CapturedSeq(db, s.published_seq));
    s.pending_changes = options.publish ? s.captured_seq - s.published_seq : 0;
    HARMONY_ASSIGN_OR_RETURN(s.held_batches, state::CountHeldBatches(db));
    HARMONY_ASSIGN_OR_RETURN(state::DeadLetterCounts dead, state::CountDeadLetters(db));
    s.dead_letters = dead.pending;
    HARMONY_ASSIGN_OR_RETURN(state::Positions positions, state::LoadPositions(db));
    HARMONY_ASSIGN_OR_RETURN(
        sqlite::Statement capture,
        db.Prepare("SELECT (SELECT count(*) FROM __harmony_tables WHERE active = 1), "
                   "(SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name LIKE "
                   "'\\_\\_harmony\\_%' ESCAPE '\\')"));
    HARMONY_ASSIGN_OR_RETURN(bool row, capture.Step());
    if (row) {
      s.tables_tracked = static_cast<uint64_t>(capture.ColumnInt(0));
      s.capture_installed = capture.ColumnInt(1) > 0;
    }
    capture.Reset();
    HARMONY_RETURN_IF_ERROR(tx.Commit());
    for (uint32_t shard = 1; shard <= options.shards; ++shard) {
      ShardStatus sh;
      sh.shard = shard;
      sh.applied_seq = options.replicate ? positions.StreamSeq(shard) : 0;
      s.shards.push_back(sh);
    }
  }
  const int64_t now_ms = UnixMillisNow();
  for (ShardStatus& sh : s.shards) {
    HARMONY_ASSIGN_OR_RETURN(bus::StreamState stream, bus.State(sh.shard));
    sh.stream_last_seq = stream.last_seq;
    if (!options.replicate || sh.applied_seq >= stream.last_seq) continue;
    sh.lag_messages = stream.last_seq - sh.applied_seq;
    // The oldest message not taken in; the limits may have dropped it already.
    const uint64_t next = std::max(sh.applied_seq + 1, stream.first_seq);
    auto stored = bus.StoredTimeNs(sh.shard, next);
    if (stored.ok()) {
      sh.lag_seconds = std::max(0.0, (now_ms - *stored / 1000000) / 1000.0);
    } else if (stored.status().code() != Status::Code::kNotFound) {
      return stored.status();
    }
  }
  constexpr auto relaxed = std::memory_order_relaxed;
  if (const replication::PublishStats* p = options.publish_stats) {
    s.changes_published = p->changes.load(relaxed);
    s.messages_published = p->messages.load(relaxed);
    s.publish_failures = p->failures.load(relaxed);
    s.last_publish_unix_ms = p->last_publish_unix_ms.load(relaxed);
    s.publish_latency = p->publish_latency.Read();
  }
  if (const apply::ApplyStats* a = options.apply_stats) {
    s.changes_applied = a->changes.load(relaxed);
    s.messages_applied = a->messages.load(relaxed);
    s.changes_held = a->held.load(relaxed);
    s.changes_dead_lettered = a->dead_letters.load(relaxed);
    s.conflicts = a->conflicts.load(relaxed);
    s.unique_conflicts = a->unique_conflicts.load(relaxed);
    s.last_apply_unix_ms = a->last_commit_unix_ms.load(relaxed);
    s.apply_latency = a->apply_latency.Read();
  }
  if (const SnapshotSaverStats* n = options.snapshot_stats) {
    s.last_snapshot_unix_ms = n->last_saved_unix_ms.load(relaxed);
    s.last_snapshot_duration_ms = n->last_duration_ms.load(relaxed);
  }
  s.reported_unix_ms = now_ms;
  return s;
}

Result<std::unique_ptr<StatusReporter>> StatusReporter::Start(StatusOptions options,
                                                              bus::JetStreamBus* bus) {
  HARMONY_ASSIGN_OR_RETURN(
      std::unique_ptr<nats::KvStore> kv,
      nats::KvStore::Open(bus->connection(), kStatusBucket, kStatusTtl, options.replicas));
  sqlite::OpenOptions open;
  open.wal = false;  // the node set the journal mode already
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, sqlite::Database::Open(options.db_path, open));
  auto reporter = std::unique_ptr<StatusReporter>(new StatusReporter(
      std::move(options), bus, std::move(kv), std::make_unique<sqlite::Database>(std::move(db))));
  reporter->thread_ = std::thread([r = reporter.get()] { r->Run(); });
  return reporter;
}

StatusReporter::StatusReporter(StatusOptions options, bus::JetStreamBus* bus,
                               std::unique_ptr<nats::KvStore> kv,
                               std::unique_ptr<sqlite::Database> db)
    : options_(std::move(options)),
      bus_(bus),
      kv_(std::move(kv)),
      db_(std::move(db)),
      started_unix_ms_(UnixMillisNow()) {}

StatusReporter::~StatusReporter() { Stop(); }

void StatusReporter::RequestStop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
}

void StatusReporter::Stop() {
  RequestStop();
  if (thread_.joinable()) thread_.join();
  if (withdrawn_) return;
  withdrawn_ = true;
  Status s = kv_->Delete(StatusKey(options_.node_id));
  if (!s.ok()) spdlog::debug("status report not withdrawn: {}", s.message());
}

std::optional<NodeStatus> StatusReporter::Latest() const {
  std::lock_guard<std::mutex> lock(mu_);
  return latest_;
}

Status StatusReporter::ReportOnce() {
  auto collected = CollectStatus(options_, *db_, *bus_);
  if (!collected.ok()) {
    // Still say what is known for sure: metrics and health must show a broker outage.
    std::lock_guard<std::mutex> lock(mu_);
    if (latest_) latest_->connected = bus_->IsConnected();
    return collected.status();
  }
  NodeStatus status = std::move(collected).value();
  status.started_unix_ms = started_unix_ms_;
  {
    std::lock_guard<std::mutex> lock(mu_);
    latest_ = status;
  }
  return kv_->Put(StatusKey(options_.node_id), ToJson(status));
}

void StatusReporter::Run() {
  bool failing = false;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    lock.unlock();
    Status s = ReportOnce();
    if (!s.ok() && !failing) spdlog::warn("status report: {}; retrying", s.message());
    if (s.ok() && failing) spdlog::info("status reports resumed");
    failing = !s.ok();
    lock.lock();
    cv_.wait_for(lock, options_.interval, [this] { return stop_; });
  }
}

}  // namespace harmony::node
