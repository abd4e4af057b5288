#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "sqlite/database.h"

namespace harmony::state {

// One entry of __harmony_dead_letters: something this node received and could not apply.
struct DeadLetter {
  int64_t id = 0;
  uint32_t shard = 0;
  uint64_t stream_seq = 0;
  // "change": one row change this node's database refused for good (a CHECK or NOT NULL
  // constraint, a type the column refuses) — `change` holds it as a one-change batch
  // (change::Encode) that can be applied again once the cause is fixed.
  // "message": a message that could not be decoded at all — `change` holds its raw payload.
  std::string kind;
  std::optional<uint64_t> origin;    // sending node ("change" only)
  std::string table;                 // "change" only
  std::optional<uint64_t> key_hash;  // change::RowKeyHash of the row ("change" only)
  std::string payload;
  std::string error;
  // "pending": waiting for an operator; "superseded": a later change to the same row has been
  // applied since, so applying this one again would roll the row back (it is never retried).
  std::string status;
  std::string received_at;  // UTC, SQLite datetime()
};

// The dead-letter table. Entries are added inside the apply transaction that passes over the
// change, so a change is either applied, set aside here, or still to come: never lost.
// Not thread-safe: one connection's owner uses it.
class DeadLetters {
 public:
  // "db" must outlive this.
  explicit DeadLetters(sqlite::Database* db) : db_(db) {}

  // Creates the table (migrating the older layout, keyed by shard and sequence, in place).
  Status CreateTable();
  // Re-reads which rows have pending entries (after a rollback the in-memory view may be stale).
  Status Load();

  Status AddMessage(uint32_t shard, uint64_t stream_seq, std::string_view payload,
                    std::string_view error);
  Status AddChange(uint32_t shard, uint64_t stream_seq, uint64_t origin, std::string_view table,
                   uint64_t key_hash, std::string_view encoded_change, std::string_view error);

  // True if some pending entry is for the row with this key hash. Cheap: usually no entries.
  bool HasPending(uint64_t key_hash) const { return pending_keys_.count(key_hash) > 0; }
  bool AnyPending() const { return !pending_keys_.empty(); }
  // Marks the pending entries of that row superseded (a later change to it was applied).
  Status Supersede(uint64_t key_hash);

 private:
  sqlite::Database* db_;  // not owned
  std::set<uint64_t> pending_keys_;
};

// True when some entry is pending (false when the table does not exist). Errors: SQLite's.
Result<bool> AnyPendingDeadLetter(sqlite::Database& db);
// Marks the pending "change" entries of these rows (key_hash, change::ChangeRowHash) superseded.
// Called for every row a later change touched: a remote one applied here (DeadLetters), or a
// local one published after the entry was set aside (replication::PublishLoop), which comes later
// in the stream on every node, so applying the entry again would roll the row back there. Errors:
// SQLite's.
Status SupersedeDeadLetters(sqlite::Database& db, const std::vector<uint64_t>& key_hashes);

// Every entry, oldest first (empty when the table does not exist).
Result<std::vector<DeadLetter>> ListDeadLetters(sqlite::Database& db);
// Pending and superseded counts, for status output and metrics.
struct DeadLetterCounts {
  int64_t pending = 0;
  int64_t superseded = 0;
};
Result<DeadLetterCounts> CountDeadLetters(sqlite::Database& db);
// Sets entry `id`'s error text (a retry that failed again).
Status UpdateDeadLetterError(sqlite::Database& db, int64_t id, std::string_view error);
// The status of entry `id` ("pending", "superseded"), nullopt when there is no such entry.
Result<std::optional<std::string>> DeadLetterStatus(sqlite::Database& db, int64_t id);
// Removes entry `id` (applied again, or discarded by the operator). NotFound if there is none.
Status RemoveDeadLetter(sqlite::Database& db, int64_t id);

}  // namespace harmony::state
