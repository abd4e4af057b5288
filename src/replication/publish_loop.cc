#include "replication/publish_loop.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "capture/backfill.h"
#include "capture/change_log.h"
#include "capture/schema_sync.h"
#include "change/codec.h"
#include "change/fragment.h"
#include "change/shard.h"
#include "state/dead_letters.h"
#include "state/positions.h"

namespace harmony::replication {
namespace {

constexpr int kSettleSteps = 7;
// How often, at most, the loop checkpoints the WAL after publishing (see Checkpoint).
constexpr std::chrono::milliseconds kCheckpointEvery{25};
// A round runs at least this often even when PRAGMA data_version says nothing committed.
constexpr std::chrono::milliseconds kRoundAtLeastEvery{1000};

}  // namespace

Status PublishLoop::Open() {
  if (opened_) return Status::Ok();
  sqlite::OpenOptions open;
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, sqlite::Database::Open(options_.db_path, open));
  db_ = std::make_unique<sqlite::Database>(std::move(db));
  HARMONY_ASSIGN_OR_RETURN(published_, capture::ReadPublishedSeq(*db_));
  stats_.published_seq = published_;
  if (options_.own_progress != nullptr) {
    options_.own_progress->Published(published_, options_.stream_ends);
  }
  scanner_ = std::make_unique<capture::Scanner>(db_.get(), options_.scan);
  busy_alarm_ = std::make_unique<BusyReadAlarm>(options_.db_path);
  if (options_.schema_version < 0) {
    HARMONY_RETURN_IF_ERROR(SyncSchema());
  } else {
    scanner_->set_schema_version(options_.schema_version);
    schema_version_ = options_.schema_version;
    schema_fingerprint_ = options_.schema_fingerprint;
  }
  HARMONY_ASSIGN_OR_RETURN(std::vector<std::string> deferred, capture::DeferredBackfills(*db_));
  backfill_pending_ = !deferred.empty();
  if (backfill_pending_ && options_.backfill_after_catch_up) {
    spdlog::info(
        "backfill of {} table(s) whose changes went uncaptured waits until this node has "
        "applied the changes already in the streams, so that no stale row is sent",
        deferred.size());
  }
  HARMONY_ASSIGN_OR_RETURN(watcher_, ChangeWatcher::Open(options_.db_path));
  HARMONY_ASSIGN_OR_RETURN(sqlite::DataVersion version, sqlite::DataVersion::Prepare(*db_));
  data_version_.emplace(std::move(version));
  last_cleanup_ = std::chrono::steady_clock::now();
  opened_ = true;
  return Status::Ok();
}

Status PublishLoop::Start() {
  if (thread_.joinable()) return Status::Rejected("publish loop already started");
  HARMONY_RETURN_IF_ERROR(Open());
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void PublishLoop::Stop() {
  stop_ = true;
  if (watcher_) watcher_->Wake();
  if (thread_.joinable()) thread_.join();
}

Status PublishLoop::Sync() {
  if (thread_.joinable()) {
    return Status::Rejected("publish loop: Sync() while its thread runs (Stop() it first)");
  }
  HARMONY_RETURN_IF_ERROR(Open());
  HARMONY_ASSIGN_OR_RETURN(const uint64_t target, scanner_->NewestSeq());
  // A round publishes up to the newest change at its start (more may come meanwhile: those are
  // not waited for); one that sent nothing ends the sync, whatever the reason (a schema change is
  // followed by one more round, which the loop below gives it).
  while (published_ < target || retry_up_to_ != 0) {
    bool published_any = false;
    Status s = Round(&published_any);
    if (!s.ok()) {
      stats_.failures.fetch_add(1, std::memory_order_relaxed);
      return s;
    }
    stats_.rounds.fetch_add(1, std::memory_order_relaxed);
    if (!published_any) break;
  }
  if (published_ < target) {
    return Status::Internal("publish sync: changes up to " + std::to_string(target) +
                            " committed, published only up to " + std::to_string(published_));
  }
  return Status::Ok();
}

bool PublishLoop::Sleep(std::chrono::milliseconds d) {
  watcher_->Wait(d);  // a commit during back-off changes nothing: the retry comes anyway
  return !stop_;
}

Status PublishLoop::Round(bool* published_any) {
  *published_any = false;
  // A DDL statement adds no change-log row, so look for schema changes before anything else: a
  // table created a moment ago has no triggers yet and its first rows are only found by the sync.
  // It is also a plain read of the file: busy here means another connection locks out readers.
  const auto read_started = std::chrono::steady_clock::now();
  auto read = capture::SchemaVersion(*db_);
  busy_alarm_->Note(!read.ok() && read.status().code() == Status::Code::kUnavailable, read_started);
  HARMONY_ASSIGN_OR_RETURN(int64_t schema_version, std::move(read));
  if (schema_version != schema_version_) {
    retry_up_to_ = 0;
    HARMONY_RETURN_IF_ERROR(FollowSchema());
  }
  if (backfill_pending_) HARMONY_RETURN_IF_ERROR(BackfillWhenCaughtUp());
  // Fix the range before publishing anything, so that a round failing halfway is retried with
  // exactly the same batches and message ids, whatever is committed meanwhile.
  uint64_t up_to = retry_up_to_;
  if (up_to == 0) {
    HARMONY_ASSIGN_OR_RETURN(up_to, scanner_->NewestSeq());
  }
  if (up_to <= published_) return Status::Ok();
  const auto round_began = std::chrono::steady_clock::now();
  round_positions_.clear();
  round_rows_.clear();
  HARMONY_ASSIGN_OR_RETURN(dead_letters_pending_, state::AnyPendingDeadLetter(*db_));
  auto scanned = scanner_->Scan(published_, up_to, [this](uint32_t shard, change::Batch&& batch) {
    return PublishBatch(shard, batch);
  });
  if (!scanned.ok()) {
    retry_up_to_ = up_to;
    return scanned.status();
  }
  const capture::ScanResult& scan = *scanned;
  if (scan.schema_changed) {
    retry_up_to_ = 0;  // nothing was published; the stale rows are about to be re-captured
    HARMONY_RETURN_IF_ERROR(FollowSchema());
    *published_any = true;  // scan again at once, with the new shapes
    return Status::Ok();
  }
  if (scan.unsendable > 0) {
    spdlog::warn(
        "{} captured change(s) of rows identified by their content were not sent: their "
        "table was renamed or dropped before they were (docs/schema-changes.md)",
        scan.unsendable);
  }
  if (scan.last_seq <= published_) return Status::Ok();
  Status acks = publisher_->WaitForAcks(options_.ack_timeout);
  if (!acks.ok()) {
    retry_up_to_ = scan.last_seq;
    return acks.WithContext("publish changes " + std::to_string(published_ + 1) + ".." +
                            std::to_string(scan.last_seq));
  }
  NoteAckedPositions();
  // Before the published mark, so that a crash in between repeats both.
  HARMONY_RETURN_IF_ERROR(state::SupersedeDeadLetters(*db_, round_rows_));
  HARMONY_RETURN_IF_ERROR(capture::WritePublishedSeq(*db_, scan.last_seq));
  if (options_.own_progress != nullptr) {
    options_.own_progress->Published(scan.last_seq, round_positions_);
  }
  Checkpoint();
  published_ = scan.last_seq;
  retry_up_to_ = 0;
  stats_.published_seq = published_;
  stats_.changes.fetch_add(scan.changes, std::memory_order_relaxed);
  stats_.publish_latency.Observe(std::chrono::steady_clock::now() - round_began);
  stats_.last_publish_unix_ms.store(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count(),
                                    std::memory_order_relaxed);
  *published_any = true;
  return Status::Ok();
}

Status PublishLoop::BackfillWhenCaughtUp() {
  if (options_.backfill_after_catch_up) {
    HARMONY_ASSIGN_OR_RETURN(state::Positions positions, state::LoadPositions(*db_));
    for (const auto& [shard, end] : options_.stream_ends) {
      if (positions.StreamSeq(shard) < end) return Status::Ok();  // a later round looks again
    }
  }
  HARMONY_ASSIGN_OR_RETURN(size_t rows, capture::RunDeferredBackfill(*db_));
  backfill_pending_ = false;
  spdlog::info("{} row(s) of tables whose changes went uncaptured backfilled{}", rows,
               options_.backfill_after_catch_up ? ", after catching up with the cluster" : "");
  return Status::Ok();
}

bool PublishLoop::Fatal(const Status& s) {
  if (!IsUnrecoverable(s)) return false;
  const Status error = s.WithContext("publish loop");
  if (options_.background_error != nullptr) {
    options_.background_error->Record(error);
  } else {
    spdlog::error("{}; publishing stopped", error.message());
  }
  return true;
}

void PublishLoop::NoteAckedPositions() {
  for (const auto& [shard, seq] : publisher_->AckedPositions()) {
    uint64_t& known = round_positions_[shard];
    known = std::max(known, seq);
  }
}

void PublishLoop::Checkpoint() {
  // The change log doubles what the app writes to the WAL, so the app's own commits would run
  // SQLite's automatic checkpoint (and its fsync) twice as often. A passive checkpoint from this
  // thread copies the published frames back first, so the app's commits rarely have to. It never
  // waits for a lock and never blocks a writer.
  const auto now = std::chrono::steady_clock::now();
  if (now - last_checkpoint_ < kCheckpointEvery) return;
  last_checkpoint_ = now;
  Status s = db_->Exec("PRAGMA wal_checkpoint(PASSIVE)");
  if (!s.ok()) spdlog::debug("checkpoint: {}", s.message());
}

Status PublishLoop::PublishBatch(uint32_t shard, const change::Batch& batch) {
  if (dead_letters_pending_) {
    for (const change::Change& c : batch.changes) {
      round_rows_.push_back(change::ChangeRowHash(batch.tables[c.table], c));
    }
  }
  const std::string payload = change::Encode(batch, {.compress = options_.compress});
  const std::string id = change::MessageId(batch, shard);
  // A batch holding a large value can exceed the broker's max_payload: it then travels as
  // consecutive fragments (ids suffixed /i) that the receivers put back together.
  std::vector<std::string> messages =
      change::Fragment(payload, publisher_->MaxMessageBytes(), options_.scan.node_id);
  for (size_t i = 0; i < messages.size(); ++i) {
    stats_.messages.fetch_add(1, std::memory_order_relaxed);
    HARMONY_RETURN_IF_ERROR(publisher_->PublishAsync(
        shard, messages.size() == 1 ? id : id + "/" + std::to_string(i), messages[i]));
    // Fragments must be stored in order: were one lost and its successor stored, the retry would
    // put it after the successor. Waiting for each ack keeps a failed round from reordering them.
    if (messages.size() > 1) {
      HARMONY_RETURN_IF_ERROR(
          publisher_->WaitForAcks(options_.ack_timeout)
              .WithContext("publish fragment " + std::to_string(i) + " of " + id));
      NoteAckedPositions();
    }
  }
  return Status::Ok();
}

void LogSchemaChange(const capture::SyncResult& sync, capture::SchemaCapture mode) {
  for (const std::string& what : sync.schema_unsupported) {
    spdlog::error(
        "schema change not sent to the other nodes: {}; carry it out on every node by "
        "hand (docs/schema-changes.md, \"What is not supported\")",
        what);
  }
  if (!sync.schema_change) return;
  for (const change::SchemaStep& s : sync.schema_change->steps) {
    if (s.kind != change::SchemaStep::Kind::kRebuildTable) continue;
    spdlog::warn(
        "table \"{}\" was dropped and created again: taken for a rebuild, so the other "
        "nodes keep their rows (to empty a table everywhere, DELETE its rows; "
        "docs/schema-changes.md, \"Rebuilding a table\")",
        s.name);
  }
  std::string steps;
  for (const change::SchemaStep& s : sync.schema_change->steps) {
    steps += (steps.empty() ? "" : ", ") + std::string(change::KindName(s.kind)) + " " +
             (s.table.empty() ? "" : s.table + ".") + s.name;
  }
  if (mode == capture::SchemaCapture::kPublish) {
    spdlog::info("schema change captured, to be sent to every shard stream: {}", steps);
  } else {
    spdlog::info("schema change recorded (replicate_ddl = false: carry it out on every node): {}",
                 steps);
  }
}

Status PublishLoop::FollowSchema() {
  HARMONY_ASSIGN_OR_RETURN(capture::SchemaState state, capture::ReadSchemaState(*db_));
  if (schema_fingerprint_ == 0 || state.fingerprint != schema_fingerprint_) return SyncSchema();
  // Only harmony's own tables changed (its state tables, its log): the triggers still match.
  scanner_->set_schema_version(state.version);
  schema_version_ = state.version;
  return Status::Ok();
}

Status PublishLoop::SyncSchema() {
  HARMONY_ASSIGN_OR_RETURN(
      capture::SyncResult sync,
      capture::SyncCapture(*db_, options_.catalog, /*backfill=*/true, options_.schema_capture));
  LogSchemaChange(sync, options_.schema_capture);
  scanner_->set_schema_version(sync.schema_version);
  schema_version_ = sync.schema_version;
  schema_fingerprint_ = sync.fingerprint;
  stats_.schema_syncs.fetch_add(1, std::memory_order_relaxed);
  for (const capture::SkippedTable& skipped : sync.skipped) {
    if (reported_skipped_.insert(skipped.name).second) {
      spdlog::warn("table \"{}\" is not replicated: {}", skipped.name, skipped.reason);
    }
  }
  std::string changed;
  for (const capture::TrackedTable& t : sync.tracked) {
    if (t.install == capture::TrackedTable::Install::kUnchanged) continue;
    const char* what = t.install == capture::TrackedTable::Install::kNew ? "new"
                       : t.install == capture::TrackedTable::Install::kReshaped
                           ? "columns changed"
                           : "triggers restored";
    changed += (changed.empty() ? "" : ", ") + t.schema.name + " (" + what + ")";
  }
  if (!changed.empty() || sync.backfilled_rows || sync.recaptured_rows) {
    spdlog::info("schema changed: capturing {} table(s); {}; {} row(s) backfilled, {} re-captured",
                 sync.tracked.size(), changed.empty() ? "no table changed" : changed,
                 sync.backfilled_rows, sync.recaptured_rows);
  }
  return Status::Ok();
}

std::optional<int64_t> PublishLoop::DataVersionNow() {
  Result<int64_t> version = data_version_->Read();
  if (version.ok()) return *version;
  return std::nullopt;  // unknown: the caller runs a round, which reports a lasting error
}

void PublishLoop::Run() {
  const auto idle_wait = options_.polling_interval.count() > 0 ? options_.polling_interval
                                                               : std::chrono::milliseconds(60000);
  std::chrono::milliseconds backoff(0);
  bool failing = false;
  bool changed = true;  // a commit may have happened before the watcher existed
  int settle = 0;
  std::optional<int64_t> looked;  // PRAGMA data_version when the last round began
  auto last_round = std::chrono::steady_clock::time_point::min();
  while (!stop_) {
    bool published_any = false;
    // A round costs SQL reads; skip it while no transaction has committed since the last one
    // began (the write events of a transaction still in progress, say). At least once a second a
    // round runs anyway.
    const auto started = std::chrono::steady_clock::now();
    const std::optional<int64_t> version = DataVersionNow();
    if (failing || !version || version != looked || started - last_round >= kRoundAtLeastEvery) {
      looked = version;
      last_round = started;
      Status s = Round(&published_any);
      if (!s.ok()) {
        stats_.failures.fetch_add(1, std::memory_order_relaxed);
        if (Fatal(s)) break;
        // One line per outage, not one per retry.
        if (!failing) spdlog::warn("{}; retrying until it succeeds", s.message());
        failing = true;
        backoff = std::min(std::chrono::milliseconds(5000),
                           std::max(std::chrono::milliseconds(100), backoff * 2));
        if (!Sleep(backoff)) break;
        continue;
      }
      stats_.rounds.fetch_add(1, std::memory_order_relaxed);
    }
    if (failing) spdlog::info("publishing resumed; published up to change {}", published_);
    failing = false;
    backoff = std::chrono::milliseconds(0);

    auto now = std::chrono::steady_clock::now();
    if (now - last_cleanup_ >= options_.cleanup_interval) {
      last_cleanup_ = now;
      // Rows the applier still protects (own message not passed yet) stay in the log.
      std::optional<uint64_t> up_to;
      if (options_.own_progress != nullptr) up_to = options_.own_progress->seen();
      auto removed = capture::CleanupPublished(*db_, up_to);
      if (!removed.ok() && Fatal(removed.status())) break;
      if (!removed.ok()) {
        spdlog::warn("{}", removed.status().message());
      } else if (*removed > 0) {
        spdlog::debug("removed {} published changes from the change log", *removed);
      }
    }
    if (published_any) {  // more may have been committed meanwhile
      settle = 0;
      continue;
    }
    // inotify reports the write of the WAL frames, but the commit becomes visible only when the
    // writer then updates the shared-memory WAL index, which raises no event. A scan right after
    // the event can therefore come too early: look again a few times, 1 ms, 2 ms, ... 64 ms later,
    // starting over whenever another write is seen.
    if (changed && settle < kSettleSteps) {
      settle = watcher_->Wait(std::chrono::milliseconds(1 << settle)) ? 0 : settle + 1;
      continue;
    }
    settle = 0;
    changed =
        watcher_->Wait(std::min<std::chrono::milliseconds>(idle_wait, options_.cleanup_interval));
  }
}

}  // namespace harmony::replication
