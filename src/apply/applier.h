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
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "change/change.h"
#include "common/result.h"
#include "sqlite/database.h"

namespace harmony::apply {

struct ApplyOptions {
  std::string db_path;
  int busy_timeout_ms = 10000;
};

// One message as delivered from a shard stream, still encoded.
struct Incoming {
  uint32_t shard = 0;
  uint64_t stream_seq = 0;
  std::string payload;
};

// Row keys with local changes not yet published (see capture::PendingRowKeys); remote changes to
// them are skipped. Called inside the apply transaction with the apply connection.
using PendingKeysFn = std::function<Result<std::unordered_set<uint64_t>>(sqlite::Database&)>;

struct ApplyStats {
  std::atomic<uint64_t> messages{0};
  std::atomic<uint64_t> changes{0};
  std::atomic<uint64_t> skipped_pending{0};  // remote changes not applied over a pending local one
  std::atomic<uint64_t> dead_letters{0};     // undecodable messages set aside
  std::atomic<uint64_t> commits{0};
};

// Not thread-safe: one thread owns an Applier (stats() may be read from anywhere).
class Applier {
 public:
  static Result<std::unique_ptr<Applier>> Open(const ApplyOptions& options,
                                               PendingKeysFn pending_keys);

  // Last stream sequence applied and committed for `shard` (0 when none).
  uint64_t Position(uint32_t shard) const;

  // Applies `messages` (in delivery order) after whatever is buffered since the last commit.
  // Commits when no multi-part batch is left open, or when `force_commit` is set (used when a
  // sender stopped in the middle of a batch and will never finish it). A message at or before its
  // shard's position is a re-delivery and is ignored. An undecodable message is stored in
  // __harmony_dead_letters with the reason, logged, and passed over, so nothing is lost.
  // On any other failure the local transaction rolls back, every uncommitted message stays
  // buffered, and the error is returned: the next call retries them all from the last commit.
  Status Apply(std::vector<Incoming> messages, bool force_commit = false);

  // True while a multi-part batch is open (its last part not yet applied).
  bool HasOpenBatch() const { return !open_batches_.empty(); }
  const ApplyStats& stats() const { return stats_; }

 private:
  struct OpenBatch {
    uint64_t epoch = 0;
    uint64_t first_seq = 0;
    uint32_t next_part = 0;
  };

  Applier(sqlite::Database db, PendingKeysFn pending_keys)
      : db_(std::move(db)), pending_keys_(std::move(pending_keys)) {}

  Status LoadPositions();
  Status ApplyBuffered(size_t from);
  Status ApplyOne(const Incoming& message);
  Status ApplyBatch(const change::Batch& batch);
  Status DeadLetter(const Incoming& message, const Status& why);
  Result<sqlite::Statement*> StatementFor(const change::TableSchema& table, change::Op op);
  Status Commit();

  sqlite::Database db_;
  PendingKeysFn pending_keys_;
  std::map<std::string, sqlite::Statement> statements_;  // prepared per table shape and op
  std::map<uint32_t, uint64_t> committed_;  // shard -> stream seq, as stored in the database
  std::map<uint32_t, uint64_t> position_;   // shard -> stream seq, inside the open transaction
  std::map<std::pair<uint32_t, uint64_t>, OpenBatch> open_batches_;  // (shard, node) -> batch
  std::vector<Incoming> buffered_;  // applied inside the open transaction, not yet committed
  std::unique_ptr<sqlite::Transaction> tx_;
  std::unordered_set<uint64_t> pending_;  // loaded when the transaction begins
  ApplyStats stats_;
};

}  // namespace harmony::apply
