// apply: writes replicated changes into the local database. Messages are taken in stream order
// per shard, each call to Apply in one local transaction that also records, per shard, the
// stream position reached, so a crash can neither skip nor repeat a message. The apply
// connection runs with triggers off: replicated rows are not captured again and do not fire the
// application's triggers a second time (their effects arrive as replicated rows of their own).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "apply/app_triggers.h"
#include "apply/assembler.h"
#include "apply/own_progress.h"
#include "apply/row_writer.h"
#include "apply/schema_follower.h"
#include "change/change.h"
#include "common/latency_histogram.h"
#include "common/result.h"
#include "sqlite/database.h"
#include "state/conflicts.h"
#include "state/dead_letters.h"
#include "state/held_changes.h"
#include "state/partial_messages.h"
#include "state/positions.h"

namespace harmony::apply {

struct ApplyOptions {
  std::string db_path;
  uint64_t node_id = 0;  // this node: its own messages tell which local changes are in the stream
  uint32_t shards = 1;
  int busy_timeout_ms = 10000;
  // Set on a node that also publishes: this node's change-log epoch and what it published. Its
  // own messages of this epoch are then skipped (their changes are here already), and a local
  // change protects its row until its own message has been passed (see OwnProgress). Without
  // it, own messages are applied like any other and protection ends at the publish ack.
  uint64_t epoch = 0;
  OwnProgress* own_progress = nullptr;  // not owned; must outlive the Applier
  // Conflicts kept in __harmony_conflicts (the newest ones; 0 keeps none). See state::Conflicts.
  int64_t conflicts_kept = 10000;
  // Which local tables harmony replicates (include_tables / ignore_tables), for running the
  // application's triggers that maintain only unreplicated data (RowWriter::Apply). Unset: every
  // ordinary table.
  IsReplicatedFn is_replicated;
  // Carries out schema changes from other nodes (capture::ApplySchemaChange, bound by the node);
  // unset when replicate_ddl is off (SchemaFollower).
  ApplySchemaFn apply_schema;
};

// One message as delivered from a shard stream, still encoded.
struct Incoming {
  uint32_t shard = 0;
  uint64_t stream_seq = 0;
  std::string payload;
  std::optional<change::Batch> decoded;  // filled in by the Applier once it has decoded it
};

// For each row with a local change still protected from remote changes: its row key
// (change::RowKeyHash) -> the newest change-log seq touching it and its shard (see
// capture::PendingRowKeys). `after_seq` is where protection starts (changes above it), or
// nullopt for "not yet acknowledged by JetStream". Called inside the apply transaction with the
// apply connection.
using PendingKeys = change::PendingChanges;
using PendingKeysFn =
    std::function<Result<PendingKeys>(sqlite::Database&, std::optional<uint64_t> after_seq)>;

struct ApplyStats {
  std::atomic<uint64_t> messages{0};
  std::atomic<uint64_t> changes{0};
  std::atomic<uint64_t> skipped_pending{0};  // remote changes not applied over a pending local one
  std::atomic<uint64_t> held{0};             // changes set aside for a table/column not here yet
  std::atomic<uint64_t> released{0};         // held changes applied once the schema caught up
  std::atomic<uint64_t> paused_tables{0};    // tables whose changes are currently held
  std::atomic<uint64_t> dead_letters{0};     // changes and messages set aside for good
  std::atomic<uint64_t> partial{0};          // units waiting for more fragments or parts
  // Upserts that collided with other rows through a UNIQUE constraint besides the primary key
  // (issue #9 item 2; docs/architecture.md, "Secondary UNIQUE constraints").
  std::atomic<uint64_t> unique_conflicts{0};
  // Remote changes that lost to a concurrent local change (state::Conflict).
  std::atomic<uint64_t> conflicts{0};
  // Changes that arrived in another shard than this node would send them in (CheckRouting).
  std::atomic<uint64_t> misrouted{0};
  std::atomic<uint64_t> commits{0};
  std::atomic<uint64_t> own_skipped{0};  // own messages passed over without a transaction
  // Duration of each committed apply transaction (begin to commit).
  LatencyHistogram apply_latency;
  std::atomic<int64_t> last_commit_unix_ms{0};  // when the last apply transaction committed
};

// True for the error Apply returns when a message does not follow the last one taken in from its
// shard: the stream dropped messages this node never applied, and only restoring a snapshot can
// bring it back (node::Run does, by starting over).
bool IsStreamGap(const Status& s);

// Not thread-safe: one thread owns an Applier (stats() may be read from anywhere).
class Applier {
 public:
  static Result<std::unique_ptr<Applier>> Open(const ApplyOptions& options,
                                               PendingKeysFn pending_keys);

  // Replaces the stored stream positions of the database at `db_path` (a restored snapshot's):
  // shard -> last stream seq its data includes. No Applier may be open on it.
  static Status SetPositions(const std::string& db_path,
                             const std::map<uint32_t, uint64_t>& positions);

  // Last stream sequence taken in for `shard` (0 when none): the consumer resumes after it.
  uint64_t Position(uint32_t shard) const { return applied_.StreamSeq(shard); }

  // Takes in `messages` (in delivery order per shard) all or nothing: either every message is
  // taken in and the positions move past them in one committed transaction, or nothing changes
  // and the error is returned, so the caller retries the same messages (nothing is skipped,
  // whatever happens locally meanwhile). Taking in a message means, by what it is:
  //  - at or before its shard's position: a re-delivery, ignored;
  //  - this node's own message of this epoch: passed over (its changes are here already);
  //  - a fragment or a non-last part: stored until the rest arrives (see Assembler);
  //  - undecodable: set aside in __harmony_dead_letters (kind "message");
  //  - a complete unit: its changes applied in order. A change for a table or column this node
  //    does not have is held (state::HeldChanges) until the local schema has it. A change the
  //    local database refuses for good (kRejected: CHECK, NOT NULL, a type the column refuses)
  //    is set aside in __harmony_dead_letters (kind "change") with SQLite's reason, counted and
  //    logged once per table, and the rest goes on.
  // Errors: kUnavailable (busy, locked: retry later), kIoError, kCorruption (the database is
  // damaged: not worth retrying), kNotFound (a message does not follow the last one taken in
  // from its shard: the stream dropped messages this node never applied; never replayed past),
  // kInternal.
  Status Apply(std::vector<Incoming>& messages);

  // Stores the stream positions reached by own messages passed over since the last commit (they
  // need no transaction of their own; a no-op when there are none), and tells OwnProgress again
  // what has been passed. The apply loop calls it when idle.
  Status Flush();

  const ApplyStats& stats() const { return stats_; }
  const SchemaStats& schema_stats() const { return schema_.stats(); }

  // True when changes are held and the local schema changed since they were last tried, so an
  // Apply (even with no messages) may now land them.
  bool HeldMayBeReleasable();

 private:
  Applier(sqlite::Database db, ApplyOptions options, PendingKeysFn pending_keys)
      : db_(std::move(db)),
        options_(std::move(options)),
        pending_keys_(std::move(pending_keys)),
        writer_(&db_),
        schema_(&db_, &writer_, options_.apply_schema, options_.shards),
        held_(&db_),
        dead_letters_(&db_),
        partial_(&db_),
        conflicts_(&db_, options_.conflicts_kept),
        assembler_(&partial_) {}

  // Passes over `messages` without a transaction if every one is a re-delivery or an own
  // message; false (and nothing changed) otherwise.
  bool PassWithoutTransaction(std::vector<Incoming>& messages);
  bool IsOwnOfThisEpoch(const change::Batch& batch) const;
  Status ApplyInTransaction(std::vector<Incoming>& messages, bool careful);
  Status TakeIn(Incoming& message, bool careful);
  Status TakeDecoded(const Incoming& message, change::Batch batch, std::string_view encoded,
                     bool careful);
  Status ApplyUnit(const std::vector<change::Batch>& unit, const Incoming& message, bool careful);
  Status ApplyChange(const change::TableSchema& table, const change::Change& c,
                     const Incoming* message, uint64_t origin, bool careful);
  Status SetAside(const change::TableSchema& table, const change::Change& c, uint64_t key_hash,
                  uint32_t shard, uint64_t stream_seq, uint64_t origin, const Status& why);
  Status DeadLetterMessage(const Incoming& message, const Status& why);
  // RowWriter's replace guard: false when one of the colliding rows has a protected local change.
  // Records that change `c` (from `origin`, in message `m` if any) lost to a local change.
  Status RecordConflict(const char* kind, const change::TableSchema& table, const change::Change& c,
                        const Incoming* m, uint64_t origin);
  Result<bool> MayReplace(const change::TableSchema& table,
                          const std::vector<std::vector<Value>>& others);
  Status ReleaseHeld(bool careful);
  // Counts a change discarded because its table was dropped; logs once per table.
  void NoteDropped(const std::string& table);
  Status ReloadAfterRollback();
  // True when writing change `c` (a row with identity hash `hash`) would collide, through a local
  // UNIQUE index besides the key, with values a pending local change of another row wrote — its
  // current values or earlier ones (PendingChanges::upserts) — and that change comes later in
  // the stream: on every other node it then replaces this row, so this row loses here too.
  // True when the row with identity hash `row_hash` has a local change whose message comes later
  // in the stream than the one being applied.
  Result<bool> IsProtected(uint64_t row_hash);
  Result<bool> LocalOneShard(const change::TableSchema& table);
  // The local changes not yet passed, read from the change log at the first need in a
  // transaction (most transactions never need them: this node's own messages, a peer with no
  // local writes); reading them for every transaction cost a writer with a large unpublished
  // backlog half its throughput.
  Result<const PendingKeys*> Pending();
  // Deletes the rows of `table` with these primary keys, except protected ones.
  Status DeleteUnprotected(const change::TableSchema& table,
                           const std::vector<std::vector<Value>>& keys);
  // What writing change `c` would have done to other rows on every node that applies it: an
  // upsert removes the rows it collides with through a UNIQUE index besides the key (INSERT OR
  // REPLACE). Called for a change that is left out here (it lost to a local change that comes
  // later), so that the rows it removes everywhere else go here too; protected rows stay, their
  // local change re-creates them everywhere.
  Status ApplyCollisionsOf(const change::TableSchema& table, const change::Change& c);
  Result<bool> LosesToPendingUpsert(const change::TableSchema& table, const change::Change& c,
                                    uint64_t hash);
  // Compares the shard change `c` (row identity hash `hash`) arrived in with the one this node
  // would send it in; on a difference, counts it and logs once per table: the nodes disagree on
  // the table's UNIQUE indexes (TableSchema::one_shard) or on `shards`, and changes of one row
  // then travel in two streams with no order between them.
  Status CheckRouting(const change::TableSchema& table, const change::Change& c, uint64_t hash,
                      uint32_t shard);

  sqlite::Database db_;
  ApplyOptions options_;
  PendingKeysFn pending_keys_;
  RowWriter writer_;
  SchemaFollower schema_;
  state::HeldChanges held_;
  state::DeadLetters dead_letters_;
  state::PartialMessages partial_;
  state::Conflicts conflicts_;
  Assembler assembler_;
  // The change being written, for the replace guard (MayReplace) to record what lost.
  struct Current {
    const change::Change* change = nullptr;
    const Incoming* message = nullptr;
    uint64_t origin = 0;
  } current_;
  // Positions every message up to which has been taken in for good (committed, or own messages
  // passed over), and what __harmony_apply_position holds (behind by those own messages).
  state::Positions applied_;
  state::Positions persisted_;
  uint64_t unpersisted_ = 0;  // own messages passed over since positions were last stored
  // Inside ApplyInTransaction only: the positions the open transaction reaches.
  state::Positions work_;
  PendingKeys pending_;                // see Pending(); valid while pending_loaded_
  bool pending_loaded_ = false;        // reset when a transaction begins
  int64_t held_checked_version_ = -1;  // schema_version at the last attempt to release held changes
  std::set<std::string> reported_paused_;      // tables whose pause was logged
  std::set<std::string> reported_rejections_;  // tables whose set-aside changes were logged
  std::set<std::string> reported_routing_;     // tables whose misrouted changes were logged
  std::set<std::string> reported_dropped_;     // tables whose changes were dropped with them
  bool applying_translated_ = false;           // ApplyChange of a change under renamed names
  // While applying_translated_: the change as it arrived, under the old names.
  struct {
    const change::TableSchema* table = nullptr;
    const change::Change* change = nullptr;
  } translated_from_;
  // Local table name -> TableSchema::one_shard as this node decides it, at routing_version_.
  std::map<std::string, bool> local_one_shard_;
  int64_t routing_version_ = -1;
  ApplyStats stats_;
};

}  // namespace harmony::apply
