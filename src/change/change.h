// change: the replication domain — what one captured row change is (Change), how changes travel
// together (Batch), where a message sits in a stream (Position), how a change maps to a shard,
// and the versioned wire codec. Pure computation: no I/O, no SQLite, no NATS.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/value.h"

namespace harmony::change {

// How SQLite compares the TEXT values of one primary-key column: the collation its key index
// uses. Only SQLite's built-in collations are representable; a table whose key uses an
// application-registered collation is not replicated (capture::ReadCatalog refuses it), because
// no other node could reproduce which keys it considers equal. The numbers are on the wire.
enum class Collation : uint8_t {
  kBinary = 0,  // bytes as they are
  kNocase = 1,  // ASCII A-Z folded to a-z (and nothing else), exactly like SQLite's NOCASE
  kRtrim = 2,   // trailing spaces (0x20) ignored
};

// SQLite's built-in collation named `name` (ASCII-case-insensitive; "" is BINARY), or nullopt for
// any other (application-defined) collation.
std::optional<Collation> CollationNamed(std::string_view name);
// "BINARY", "NOCASE" or "RTRIM".
const char* CollationName(Collation collation);

// The shape of a replicated table as the sending node saw it when it captured the change.
// Columns are in declaration order (generated columns excluded); `pk` indexes into `columns`
// in primary-key order.
struct TableSchema {
  std::string name;
  std::vector<std::string> columns;
  std::vector<uint32_t> pk;
  // The collation of each key column, parallel to `pk`. Empty means every key column is BINARY
  // (so schemas built without it stay valid); use KeyCollation() to read it.
  std::vector<Collation> pk_collations = {};
  // Every change of this table travels in one shard stream, whatever its key (ShardHash): set by
  // capture::ReadCatalog when the table has a UNIQUE constraint or index besides its primary key,
  // because rows with different keys that claim one unique value are only ordered against each
  // other inside one stream (docs/architecture.md, "Secondary UNIQUE constraints", issue #9).
  // A property of the sending node's routing: not on the wire and not part of operator== (a
  // decoded shape always has it false; the applier reads routing from the shard a message
  // arrived on).
  bool one_shard = false;

  Collation KeyCollation(size_t pk_index) const {
    return pk_index < pk_collations.size() ? pk_collations[pk_index] : Collation::kBinary;
  }
  // True when some key column is not BINARY (the table needs wire version 2).
  bool HasKeyCollation() const;
  // Equal shapes: an empty pk_collations equals one that lists only BINARY.
  bool operator==(const TableSchema& other) const;
};

enum class Op : uint8_t {
  // Key identity (the row is the one with this primary key, as SQLite compares keys):
  // Make the row exist with exactly these values (INSERT, or UPDATE that keeps the key).
  kUpsert = 1,
  // Remove the row with these primary-key values (DELETE, or the old key of a key-changing UPDATE).
  kDelete = 2,
  // Whole-row identity (the row is identified by all its values; used for rows whose key holds
  // a NULL, which SQLite treats as distinct from every other key):
  // Add one row with exactly these values (every column), even if identical rows exist: the
  // origin may hold several identical rows (UPDATE t SET v = 1 WHERE k IS NULL makes them).
  kInsertRow = 3,
  // Remove one row whose every column is identical (same storage class and value) to these.
  kDeleteRow = 4,
  // Add a row with exactly these values unless an identical one exists: a backfill, which
  // states that the row exists rather than that it was inserted, so repeating it adds nothing.
  kEnsureRow = 5,
  // The table holds exactly `count` rows identical to these values: one value per column, then
  // the count (INTEGER >= 0) as one more value — how many such rows the sending node had when it
  // read its change log. What harmony sends for every change of a row with whole-row identity
  // (ops 3-5 are still read, no longer sent): a state, not a step, so like an upsert of a key
  // it can be ordered against a local change of the same content (last writer wins per content)
  // where adding and removing copies could not (issue #9 item 1).
  kRowCopies = 6,
  // A schema change (DDL) the sending node's application made: one TEXT value, the
  // change::SchemaChange as JSON (change/schema_change.h). Its table is an empty TableSchema
  // (no name, no columns). Sent in every shard stream, in order with the row changes around it
  // (issue #10 item 1; docs/schema-changes.md). Wire version 3.
  kSchema = 7,
};

// How a change names the row it affects. Key: by its canonical primary key (docs/architecture.md,
// "Row identity"); such changes are ordered per key and last writer wins. Row: by its content;
// such changes commute (add one copy, remove one copy) and need no ordering against each other.
enum class Identity : uint8_t { kKey, kRow };

inline Identity IdentityOf(Op op) {
  return op == Op::kUpsert || op == Op::kDelete || op == Op::kSchema ? Identity::kKey
                                                                     : Identity::kRow;
}

struct Change {
  Op op = Op::kUpsert;
  uint32_t table = 0;  // index into Batch::tables
  // kDelete: one per pk column; kRowCopies: one per TableSchema::columns and the count; every
  // other op: one per TableSchema::columns.
  std::vector<Value> values;
};

// The changes of one shard taken from one scan of a node's change log. A scan covers whole
// committed transactions, so a Batch never holds part of a transaction unless it is split into
// parts: parts share (node_id, epoch, first_seq), count up from 0, and the applier keeps its
// local transaction open until the part with last_part == true.
struct Batch {
  uint64_t node_id = 0;
  uint64_t epoch = 0;      // random per change-log lifetime on the sending node
  uint64_t first_seq = 0;  // first change-log sequence number of the scan
  uint64_t last_seq = 0;   // last change-log sequence number of the scan
  uint32_t part = 0;
  bool last_part = true;
  std::vector<TableSchema> tables;
  std::vector<Change> changes;
};

// Where a message sits: shard (1-based) and JetStream stream sequence.
struct Position {
  uint32_t shard = 0;
  uint64_t stream_seq = 0;
};

// A row with a local change not yet in the stream (capture::PendingRowKeys): the newest
// change-log seq touching it, and the shard its messages travel in (change::ShardOf of
// change::ShardHash on this node).
struct PendingRow {
  uint64_t log_seq = 0;
  uint32_t shard = 0;
};
// Row identity hash (change::ChangeRowHash) -> its pending local change.
using PendingRows = std::unordered_map<uint64_t, PendingRow>;

// The values one pending local change wrote into a row of a table with a UNIQUE constraint
// besides its key (TableSchema::one_shard). Intermediate values count, not only the row's
// current ones: on every other node that change, applied after the remote changes this node is
// now receiving, replaces the rows it collides with there (issue #9 item 2).
struct PendingUpsert {
  uint32_t table = 0;         // index into PendingChanges::tables
  uint64_t row_hash = 0;      // RowKeyHash of its key; 0 when the key has a NULL
  uint64_t log_seq = 0;       // change-log seq of the change
  uint32_t shard = 0;         // the shard its message travels in
  std::vector<Value> values;  // one per tables[table].columns
};

// Everything about this node's changes not yet in the stream that the applier weighs remote
// changes against (capture::PendingRowKeys).
struct PendingChanges {
  PendingRows rows;
  std::vector<TableSchema> tables;     // shapes the upserts refer to
  std::vector<PendingUpsert> upserts;  // in change-log order
  bool empty() const { return rows.empty() && upserts.empty(); }
};

}  // namespace harmony::change
