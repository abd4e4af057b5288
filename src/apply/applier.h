// apply: writes replicated changes into the local database. Messages are applied in stream order
// per shard inside local transactions that also record, per shard, the stream position they
// reach, so a crash can neither skip nor repeat a message. The apply connection runs with
// triggers off: replicated rows are not captured again and do not fire the application's
// triggers a second time (their effects arrive as replicated rows of their own).
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

#include "apply/held_changes.h"
#include "apply/own_progress.h"
#include "apply/row_writer.h"
#include "change/change.h"
#include "change/fragment.h"
#include "common/result.h"
#include "sqlite/database.h"

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
};

// One message as delivered from a shard stream, still encoded.
struct Incoming {
  uint32_t shard = 0;
  uint64_t stream_seq = 0;
  std::string payload;
  std::optional<change::Batch> decoded;  // filled in by the Applier once it has decoded it
};

// For each row with a local change still protected from remote changes: its row key
// (change::RowKeyHash) -> the newest change-log seq touching it (see capture::PendingRowKeys).
// `after_seq` is where protection starts (changes above it), or nullopt for "not yet
// acknowledged by JetStream". Called inside the apply transaction with the apply connection.
using PendingKeys = std::unordered_map<uint64_t, uint64_t>;
using PendingKeysFn =
    std::function<Result<PendingKeys>(sqlite::Database&, std::optional<uint64_t> after_seq)>;

struct ApplyStats {
  std::atomic<uint64_t> messages{0};
  std::atomic<uint64_t> changes{0};
  std::atomic<uint64_t> skipped_pending{0};  // remote changes not applied over a pending local one
  std::atomic<uint64_t> held{0};             // changes set aside for a table/column not here yet
  std::atomic<uint64_t> released{0};         // held changes applied once the schema caught up
  std::atomic<uint64_t> paused_tables{0};    // tables whose changes are currently held
  std::atomic<uint64_t> dead_letters{0};     // undecodable messages set aside
  std::atomic<uint64_t> commits{0};
  std::atomic<uint64_t> own_skipped{0};  // own messages passed over without a transaction
};

// Not thread-safe: one thread owns an Applier (stats() may be read from anywhere).
class Applier {
 public:
  static Result<std::unique_ptr<Applier>> Open(const ApplyOptions& options,
                                               PendingKeysFn pending_keys);

  // Replaces the stored stream positions of the database at `db_path` (a restored snapshot's):
  // shard -> last stream seq its data includes. No Applier may be open on it.
  static Status SetPositions(const std::string& db_path,
                             const std::map<uint32_t, uint64_t>& positions);

  // Last stream sequence applied and committed for `shard` (0 when none).
  uint64_t Position(uint32_t shard) const;

  // Applies `messages` (in delivery order) after whatever is buffered since the last commit.
  // Commits when no multi-part batch or fragmented message is left open, or when `force_commit`
  // is set (used when a sender stopped in the middle of a batch and will never finish it). A
  // message at or before its shard's position is a re-delivery and is ignored. An undecodable
  // message is stored in __harmony_dead_letters with the reason, logged, and passed over.
  // Changes for a table or column this node does not have yet are held (see HeldChanges) and
  // applied, in order, once the local schema has them.
  // On any other failure the local transaction rolls back, every uncommitted message stays
  // buffered, and the error is returned: the next call retries them all from the last commit.
  Status Apply(std::vector<Incoming> messages, bool force_commit = false);

  // True while a multi-part batch or a fragmented message is incomplete.
  // Stores the stream positions reached by own messages skipped since the last commit (they need
  // no transaction of their own); a no-op when there are none or a transaction is open.
  Status Flush() { return unpersisted_ > 0 && !tx_ ? PersistPositions() : Status::Ok(); }

  bool HasOpenBatch() const { return !open_batches_.empty() || reassembler_.HasPartial(); }
  const ApplyStats& stats() const { return stats_; }

  // True when changes are held and the local schema changed since they were last tried, so an
  // Apply (even with no messages) may now land them.
  bool HeldMayBeReleasable();

 private:
  struct OpenBatch {
    uint64_t epoch = 0;
    uint64_t first_seq = 0;
    uint32_t next_part = 0;
  };

  Applier(sqlite::Database db, ApplyOptions options, PendingKeysFn pending_keys)
      : db_(std::move(db)),
        options_(std::move(options)),
        pending_keys_(std::move(pending_keys)),
        writer_(&db_),
        held_(&db_) {}

  Status LoadPositions();
  Status Begin();
  Status ApplyBuffered(size_t from);
  Status ApplyOne(const Incoming& message);
  // Outside a transaction: passes over `message` if it is one of our own (see ApplyOptions)
  // and returns true; false if it needs applying.
  bool SkipOwn(Incoming& message);
  bool IsOwn(const change::Batch& batch) const;
  void NoteOwn(uint32_t shard, const change::Batch& batch);
  Status PersistPositions();
  Status ApplyBatch(const change::Batch& batch);
  Status ApplyChange(const change::TableSchema& table, const change::Change& c);
  Status ReleaseHeld();
  Status DeadLetter(const Incoming& message, const Status& why);
  Status Commit();
  void ResetToCommitted();

  sqlite::Database db_;
  ApplyOptions options_;
  PendingKeysFn pending_keys_;
  RowWriter writer_;
  HeldChanges held_;
  change::Reassembler reassembler_;
  // Committed state: stream positions reached outside the open transaction.
  std::map<uint32_t, uint64_t> committed_;      // shard -> stream seq
  std::map<uint32_t, uint64_t> committed_own_;  // shard -> newest own change-log seq seen
  // What __harmony_apply_position holds: behind committed_ by the own messages skipped since.
  std::map<uint32_t, uint64_t> persisted_;
  std::map<uint32_t, uint64_t> persisted_own_;
  uint64_t unpersisted_ = 0;  // own messages skipped since positions were last stored
  // The same inside the open transaction.
  std::map<uint32_t, uint64_t> position_;
  std::map<uint32_t, uint64_t> own_;
  std::map<std::pair<uint32_t, uint64_t>, OpenBatch> open_batches_;  // (shard, node) -> batch
  std::vector<Incoming> buffered_;  // applied inside the open transaction, not yet committed
  std::unique_ptr<sqlite::Transaction> tx_;
  PendingKeys pending_;             // loaded when the transaction begins
  int64_t held_checked_version_ = -1;  // schema_version at the last attempt to release held changes
  std::set<std::string> reported_paused_;  // tables whose pause was logged
  ApplyStats stats_;
};

}  // namespace harmony::apply
