// change: the replication domain — what one captured row change is (Change), how changes travel
// together (Batch), where a message sits in a stream (Position), how a change maps to a shard,
// and the versioned wire codec. Pure computation: no I/O, no SQLite, no NATS.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/value.h"

namespace harmony::change {

// The shape of a replicated table as the sending node saw it when it captured the change.
// Columns are in declaration order (generated columns excluded); `pk` indexes into `columns`
// in primary-key order.
struct TableSchema {
  std::string name;
  std::vector<std::string> columns;
  std::vector<uint32_t> pk;
  bool operator==(const TableSchema&) const = default;
};

enum class Op : uint8_t {
  // Make the row exist with exactly these values (INSERT, or UPDATE that keeps the key).
  kUpsert = 1,
  // Remove the row with these primary-key values (DELETE, or the old key of a key-changing UPDATE).
  kDelete = 2,
};

struct Change {
  Op op = Op::kUpsert;
  uint32_t table = 0;         // index into Batch::tables
  std::vector<Value> values;  // kUpsert: one per TableSchema::columns; kDelete: one per pk column
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

}  // namespace harmony::change
