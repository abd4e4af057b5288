#include "node/bootstrap.h"

#include <spdlog/spdlog.h>

#include <map>

#include "bus/jetstream_bus.h"
#include "capture/change_log.h"
#include "capture/scanner.h"
#include "capture/schema_sync.h"
#include "common/stop.h"
#include "nats/request_reply.h"
#include "node/snapshots.h"
#include "replication/background_error.h"
#include "sqlite/database.h"
#include "state/positions.h"

namespace harmony::node {
namespace {

// How long start-up waits for a snapshot recent enough to close a gap.
constexpr std::chrono::minutes kSnapshotWait{5};
// How often it looks whether a snapshot was stored or removed meanwhile (one request:
// SnapshotStore::ChangeMarker). While writers go on, a snapshot closes the gap only for as long
// as the streams still hold the message after its positions: with max_entries = 300 and 200
// messages/s, under 1.5 s. Looking every 2 s missed that window again and again (chaos
// down-past-retention, seeds 2 and 3: not ready after 150 s).
constexpr std::chrono::milliseconds kSnapshotLookEvery{200};
// How often it takes the full look anyway (the newest manifest, the streams' state, the local
// positions), even when no snapshot changed.
constexpr std::chrono::seconds kFullLookEvery{2};
// How often, at most, it repeats why it is still waiting (the positions change on every look).
constexpr std::chrono::seconds kWaitingSaidEvery{10};

// Compares the stream each shard's stored position counts with the stream there now (by
// JetStream creation time). A re-created stream restarts at sequence 1: the old position would
// have this node skip the new stream's first messages for good, so that shard starts over.
Status CheckStreamIds(const RestoreOptions& options, sqlite::Database& db,
                      const std::map<uint32_t, int64_t>& created) {
  HARMONY_ASSIGN_OR_RETURN(auto stored, state::LoadStreamIds(db));
  for (const auto& [shard, now] : created) {
    if (now == 0) continue;  // not reported
    auto it = stored.find(shard);
    if (it != stored.end() && it->second == now) continue;
    if (it == stored.end()) {
      HARMONY_RETURN_IF_ERROR(state::SaveStreamId(db, shard, now));
      continue;
    }
    HARMONY_ASSIGN_OR_RETURN(bool installed, capture::CaptureInstalled(db));
    uint64_t published = 0;
    if (installed) {
      HARMONY_ASSIGN_OR_RETURN(published, capture::ReadPublishedSeq(db));
    }
    spdlog::warn(
        "shard {}: stream {} was deleted and created again (this node's position counts the "
        "stream created at {} ns, the one there now was created at {} ns): what the old stream "
        "held and this node had not applied is gone; this node applies the new stream from its "
        "first message (docs/operations.md, \"A re-created stream\")",
        shard, options.stream_prefix + "-" + std::to_string(shard), it->second, now);
    HARMONY_RETURN_IF_ERROR(state::StartShardOver(db, shard, published, now));
  }
  return Status::Ok();
}

Result<StreamView> ViewStreams(const RestoreOptions& options, bus::JetStreamBus& bus) {
  StreamView view;
  HARMONY_ASSIGN_OR_RETURN(view.new_node, IsNewDatabase(options.db_path));
  std::map<uint32_t, int64_t> created;
  for (uint32_t shard = 1; shard <= options.shards; ++shard) {
    HARMONY_ASSIGN_OR_RETURN(bus::StreamState state, bus.State(shard));
    view.first_seq[shard] = state.first_seq;
    view.last_seq[shard] = state.last_seq;
    created[shard] = state.created_ns;
  }
  sqlite::OpenOptions open;
  open.wal = false;
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, sqlite::Database::Open(options.db_path, open));
  if (!view.new_node) HARMONY_RETURN_IF_ERROR(CheckStreamIds(options, db, created));
  HARMONY_ASSIGN_OR_RETURN(state::Positions positions, state::LoadPositions(db));
  view.applied = positions.StreamSeqs();
  return view;
}

// Publishes every change captured so far and waits for the acks, through
// replication::PublishLoop::Sync on this thread (the node's own loop starts only after the
// restore). Transient failures (the broker) are retried with back-off for up to 2 minutes; a
// database error ends it at once.
Status PublishPending(const RestoreOptions& options, int64_t schema_version, const StreamView& view,
                      bus::JetStreamBus& bus, const std::stop_token& stop) {
  if (!options.publish) return Status::Ok();
  sqlite::OpenOptions open;
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, sqlite::Database::Open(options.db_path, open));
  // A database restored a moment ago carries no capture objects, hence nothing to publish.
  HARMONY_ASSIGN_OR_RETURN(bool installed, capture::CaptureInstalled(db));
  if (!installed) return Status::Ok();
  capture::Scanner scanner(&db, {});
  HARMONY_ASSIGN_OR_RETURN(uint64_t newest, scanner.NewestSeq());
  HARMONY_ASSIGN_OR_RETURN(uint64_t published, capture::ReadPublishedSeq(db));
  if (newest <= published) return Status::Ok();
  spdlog::info("publishing {} local change(s) before the restore replaces their rows",
               newest - published);
  std::unique_ptr<bus::Publisher> publisher = bus.NewPublisher();
  replication::PublishLoopOptions loop_options = options.publish_loop;
  loop_options.schema_version = schema_version;
  // Only captured changes: a deferred backfill (capture/backfill.h) would send this node's rows as
  // they are, and they are stale (it is behind the streams by definition here), rolling newer
  // values back on every node (issue #11, item 6). It waits until the node has caught up, which
  // is after the restore.
  loop_options.backfill_after_catch_up = true;
  loop_options.stream_ends = view.last_seq;
  replication::PublishLoop loop(std::move(loop_options), publisher.get());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  std::chrono::milliseconds backoff(100);
  while (true) {
    Status synced = loop.Sync();
    if (synced.ok()) return Status::Ok();
    if (replication::IsUnrecoverable(synced)) return synced.WithContext("publish local changes");
    if (std::chrono::steady_clock::now() + backoff > deadline) {
      return Status::Unavailable("local changes up to " + std::to_string(newest) +
                                 " could not be published within 2 minutes: " + synced.message());
    }
    spdlog::warn("{}; retrying", synced.message());
    if (!WaitUnlessStopped(stop, backoff)) break;
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
  return Status::Cancelled("stopped while publishing local changes");
}

// Whether no shard stream has ever carried a message.
bool NoMessageYet(const StreamView& view) {
  for (const auto& [shard, last] : view.last_seq) {
    if (last > 0) return false;
  }
  return true;
}

// Asks the running nodes, over core NATS, to save a snapshot now: a young cluster may never have
// saved one (whole transactions are batched, so max_entries is rarely reached), and a gap needs
// a newer one. Logs only when the answer changes.
class SnapshotAsker {
 public:
  SnapshotAsker(const RestoreOptions& options, bus::JetStreamBus& bus)
      : subject_(options.snapshot.request_subject),
        request_("node " + std::to_string(options.node_id) + " asks for a snapshot"),
        bus_(bus) {}

  // Asks unless a node answered less than kAskEvery ago (each answer starts a save). Returns
  // whether some node has answered (now or within kAskEvery).
  bool Ask() {
    const auto now = std::chrono::steady_clock::now();
    if (answered_ && now - last_answer_ < kAskEvery) return true;
    auto answer = nats::Request(*bus_.connection(), subject_, request_, kAnswerWithin);
    last_ask_ = std::chrono::steady_clock::now();
    answered_ = answer.ok();
    std::string said;
    if (answer.ok()) {
      last_answer_ = now;
      said = "asked the running nodes for a snapshot: " + *answer;
    } else {
      said = "asked the running nodes for a snapshot on '" + subject_ + "': no answer (" +
             answer.status().message() +
             "); nodes answer when they run with replicate = true and [snapshot] enabled; still "
             "asking";
    }
    if (said != last_said_) spdlog::info("{}", said);
    last_said_ = said;
    return answered_;
  }

  // Ask(), but an unanswered request is repeated only kAskAgainEvery after the last one ended.
  void AskIfDue() {
    if (!answered_ && last_ask_ != std::chrono::steady_clock::time_point() &&
        std::chrono::steady_clock::now() - last_ask_ < kAskAgainEvery) {
      return;
    }
    Ask();
  }

 private:
  static constexpr std::chrono::seconds kAskEvery{20};
  static constexpr std::chrono::seconds kAskAgainEvery{2};
  // Nodes answer from their subscription at once, before saving.
  static constexpr std::chrono::milliseconds kAnswerWithin{1000};
  const std::string subject_;
  const std::string request_;
  bus::JetStreamBus& bus_;
  bool answered_ = false;
  std::chrono::steady_clock::time_point last_answer_;
  std::chrono::steady_clock::time_point last_ask_;  // when the last request ended (0: none)
  std::string last_said_;
};

// Waits until the store's change marker differs from `marker` (or could not be read, then or
// now), looking every kSnapshotLookEvery, for at most kFullLookEvery. False if `stop` came.
bool WaitForStoreChange(snapshot::SnapshotStore& store, const Result<std::string>& marker,
                        const std::stop_token& stop) {
  const auto until = std::chrono::steady_clock::now() + kFullLookEvery;
  while (true) {
    if (!WaitUnlessStopped(stop, kSnapshotLookEvery)) return false;
    if (std::chrono::steady_clock::now() >= until || !marker.ok()) return true;
    Result<std::string> now = store.ChangeMarker();
    if (!now.ok() || *now != *marker) return true;
  }
}

}  // namespace

Result<bool> RestoreIfNeeded(const RestoreOptions& options, int64_t schema_version,
                             bus::JetStreamBus& bus, snapshot::SnapshotStore* store,
                             const std::stop_token& stop) {
  if (!options.replicate) return false;
  HARMONY_ASSIGN_OR_RETURN(StreamView view, ViewStreams(options, bus));
  const std::string gap = ReplayGap(view);
  if (gap.empty() && !view.new_node) return false;
  if (store == nullptr) {
    if (gap.empty()) return false;
    return Status::Unavailable(gap +
                               "; snapshots are disabled ([snapshot] enabled = false), so "
                               "this node cannot catch up: enable them, or raise "
                               "[replication_log] max_entries and rebuild this node");
  }
  const auto deadline = std::chrono::steady_clock::now() + kSnapshotWait;
  SnapshotAsker asker(options, bus);
  std::string waiting_for;  // why it waits, once said
  std::chrono::steady_clock::time_point waiting_said_at;
  while (true) {
    // Read before the full look, so a snapshot stored during it counts as a change next time.
    const Result<std::string> marker = store->ChangeMarker();
    Status s = RestoreSnapshot(options.db_path, view, *store, [&] {
      return view.new_node ? Status::Ok()
                           : PublishPending(options, schema_version, view, bus, stop);
    });
    if (s.ok()) {
      // Writers kept going while the snapshot was checked, downloaded and installed: the streams
      // may have dropped messages just after its positions meanwhile (issue #9, item 7). Replay
      // only from positions the streams still cover; otherwise restore a newer snapshot.
      HARMONY_ASSIGN_OR_RETURN(view, ViewStreams(options, bus));
      const std::string after = ReplayGap(view);
      if (after.empty()) return true;
      s = Status::Unavailable("after restoring, " + after);
    }
    if (s.code() == Status::Code::kNotFound && NoMessageYet(view)) {
      // The streams have never carried a change, but running nodes may still hold data they
      // never sent (capture backfills nothing at its first install): if one answers, it saves a
      // snapshot, and the wait below takes it. With nobody to answer there is nothing to get.
      if (!asker.Ask()) {
        spdlog::info(
            "new node, {}, the streams are empty and no node answered: nothing to "
            "restore",
            s.message());
        return false;
      }
    }
    const bool retry =
        s.code() == Status::Code::kUnavailable || s.code() == Status::Code::kNotFound;
    // A new node has nothing to serve until it holds the cluster's state: it keeps trying (and
    // says why) rather than claim ready with no tables (issue #10, item 2).
    if (!retry || (!view.new_node && std::chrono::steady_clock::now() > deadline)) {
      return s.WithContext(gap.empty() ? "restore a snapshot into the new database"
                                       : gap + "; restore a snapshot");
    }
    const auto now = std::chrono::steady_clock::now();
    if (waiting_for.empty() || now - waiting_said_at >= kWaitingSaidEvery) {
      waiting_said_at = now;
      if (view.new_node) {
        spdlog::warn("{}; a new node needs one to get the cluster's tables: waiting for one",
                     s.message());
      } else {
        spdlog::warn("{}; waiting for a newer snapshot (up to {} min)", s.message(),
                     kSnapshotWait.count());
      }
      waiting_for = s.message();
    }
    if (!stop.stop_requested()) asker.AskIfDue();
    if (!WaitForStoreChange(*store, marker, stop)) {
      return Status::Cancelled("stopped while waiting for a snapshot");
    }
    HARMONY_ASSIGN_OR_RETURN(view, ViewStreams(options, bus));
  }
}

}  // namespace harmony::node
