#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "apply/own_progress.h"
#include "bus/bus.h"
#include "capture/catalog.h"
#include "capture/scanner.h"
#include "capture/schema_sync.h"
#include "common/latency_histogram.h"
#include "common/status.h"
#include "replication/background_error.h"
#include "replication/change_watcher.h"
#include "replication/database_checks.h"
#include "sqlite/data_version.h"
#include "sqlite/database.h"

namespace harmony::replication {

struct PublishLoopOptions {
  std::string db_path;
  capture::ScanOptions scan;
  bool compress = true;
  std::chrono::milliseconds polling_interval{1000};  // 0: inotify only
  std::chrono::milliseconds cleanup_interval{5000};
  std::chrono::milliseconds ack_timeout{10000};
  capture::CatalogOptions catalog;  // which tables to capture when the schema changes
  // What a schema sync does with the application's schema changes: kPublish with replicate_ddl,
  // kRecord without (renames and drops still recorded for row changes named the old way).
  capture::SchemaCapture schema_capture = capture::SchemaCapture::kPublish;
  int64_t schema_version = -1;      // what the triggers were installed for (-1: sync at start)
  uint64_t schema_fingerprint = 0;  // capture::SchemaState::fingerprint then (0: unknown)
  // Tables whose "not replicated" warning start-up already logged: not logged again.
  std::set<std::string> reported_skipped;
  // Set when this node also applies: told where each acknowledged round landed in the streams.
  apply::OwnProgress* own_progress = nullptr;  // not owned
  // shard -> last stream seq at start-up: where everything published before the start lies.
  std::map<uint32_t, uint64_t> stream_ends;
  // Set when this node also applies: deferred backfills (capture/backfill.h) wait until the
  // applier's stored positions reach stream_ends, so that they send no stale rows (issue #11,
  // item 6). Unset: they run at once.
  bool backfill_after_catch_up = false;
  // Where an unrecoverable error (IsUnrecoverable: a corrupt database, a failing disk) goes; the
  // loop then stops. Null: the loop logs it and stops. Not owned; must outlive the loop.
  BackgroundError* background_error = nullptr;
};

// Logs what a sync found of the application's schema changes: the steps to be sent (or, with
// DDL replication off, only recorded) and the changes that cannot be sent, naming the table.
void LogSchemaChange(const capture::SyncResult& sync, capture::SchemaCapture mode);

struct PublishStats {
  std::atomic<uint64_t> published_seq{0};  // highest change-log seq acknowledged by JetStream
  std::atomic<uint64_t> messages{0};
  std::atomic<uint64_t> changes{0};
  std::atomic<uint64_t> failures{0};
  std::atomic<uint64_t> schema_syncs{0};  // trigger re-installs after a schema change
  std::atomic<uint64_t> rounds{0};        // SQL rounds (look for new changes, publish them)
  // From the start of a round that published to JetStream's last ack of it.
  LatencyHistogram publish_latency;
  std::atomic<int64_t> last_publish_unix_ms{0};  // when a round was last acknowledged
};

// Owns one thread and one database connection: waits for commits, scans the change log, publishes
// each batch asynchronously, waits for all acks, then records the new published seq. A failed
// round is retried with exactly the same range (same message ids), so JetStream's duplicate
// window drops whatever had already been stored; nothing is marked published before its ack.
// An unrecoverable error stops the loop and is recorded in options.background_error.
class PublishLoop {
 public:
  // "publisher" must outlive the loop; only the loop's thread uses it.
  PublishLoop(PublishLoopOptions options, bus::Publisher* publisher)
      : options_(std::move(options)),
        publisher_(publisher),
        reported_skipped_(options_.reported_skipped) {}
  ~PublishLoop() { Stop(); }

  // Opens the loop's database connection, reads where publishing stands (the published change-log
  // seq) and syncs capture with the schema when options.schema_version is -1. Start() and Sync()
  // call it when it has not run yet. Errors: SQLite's, naming the file; ChangeWatcher's (inotify).
  Status Open();

  // Starts the loop's thread (after Open(), which it runs if needed). Errors: Open()'s.
  Status Start();

  // Joins the thread. Idempotent; the loop can Sync() again afterwards.
  void Stop();

  // Publishes, on the calling thread, every change committed to the change log before the call
  // and returns once JetStream has acknowledged them all and the published seq is stored: the
  // seam through which restore (and tests) drain the change log without a second loop or polling,
  // in the spirit of litestream's Replica.Sync. Runs the same rounds as the thread, so a failed
  // round is retried by the next Sync() with the same range and message ids. One attempt: the
  // caller decides whether to retry an error (kUnavailable and the like: the broker's; anything
  // IsUnrecoverable: the database's). kRejected while the thread runs (Start() without Stop()):
  // the loop's state has one owner at a time. Not thread-safe against Start()/Stop().
  Status Sync();

  const PublishStats& stats() const { return stats_; }

 private:
  void Run();
  Status Round(bool* published_any);
  Status SyncSchema();
  // After PRAGMA schema_version moved: a full SyncSchema only if the fingerprint says the
  // application's schema or the triggers changed (capture::ReadSchemaState).
  Status FollowSchema();
  Status PublishBatch(uint32_t shard, const change::Batch& batch);
  // Runs the deferred backfills once the applier has caught up (see backfill_after_catch_up).
  Status BackfillWhenCaughtUp();
  bool Sleep(std::chrono::milliseconds d);
  // PRAGMA data_version on the loop's connection; nullopt if it could not be read.
  std::optional<int64_t> DataVersionNow();
  void Checkpoint();
  void NoteAckedPositions();  // merges the last acked group's positions into round_positions_
  // Records `s` (with context) and returns true if it must stop the loop.
  bool Fatal(const Status& s);

  PublishLoopOptions options_;
  bus::Publisher* publisher_;  // not owned
  std::unique_ptr<sqlite::Database> db_;
  std::unique_ptr<capture::Scanner> scanner_;
  std::unique_ptr<ChangeWatcher> watcher_;
  // Whether another connection committed since the last round (declared after db_: it holds a
  // statement of that connection).
  std::optional<sqlite::DataVersion> data_version_;
  std::set<std::string> reported_skipped_;  // tables whose skip was already logged
  // Says, once, why reads stay locked for long.
  std::unique_ptr<BusyReadAlarm> busy_alarm_;
  int64_t schema_version_ = -1;      // what the installed triggers match
  uint64_t schema_fingerprint_ = 0;  // capture::SchemaState::fingerprint they match (0: unknown)
  uint64_t published_ = 0;
  uint64_t retry_up_to_ = 0;  // non-zero: the range of a failed round, to be sent again as it was
  std::map<uint32_t, uint64_t> round_positions_;  // shard -> stream seq acked in this round
  // Rows this round publishes changes of, collected only while dead letters are pending: once
  // published, those changes supersede them (state::SupersedeDeadLetters).
  bool dead_letters_pending_ = false;
  bool backfill_pending_ = false;  // deferred backfills recorded and not run yet
  std::vector<uint64_t> round_rows_;
  std::chrono::steady_clock::time_point last_cleanup_;
  std::chrono::steady_clock::time_point last_checkpoint_;
  PublishStats stats_;
  bool opened_ = false;  // Open() succeeded
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace harmony::replication
