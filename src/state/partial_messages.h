#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "sqlite/database.h"

namespace harmony::state {

// A message taken in from a shard stream that is only a piece of what must be applied as one:
// a fragment of a message larger than the broker's max_payload, or a part of a multi-part batch
// that is not the last (docs/wire-format.md). Pieces wait in __harmony_partial, written in the
// apply transaction that takes them in, until the piece that completes them arrives; the
// applier holds no transaction open while it waits (issue #9, item 6), and a restart loses
// nothing because the stream position moves past a piece only together with storing it.
struct PartialMessage {
  enum class Kind { kFragment, kPart };
  uint32_t shard = 0;
  uint64_t stream_seq = 0;
  uint64_t sender = 0;  // node id of the sender
  Kind kind = Kind::kFragment;
  std::string payload;  // kFragment: the fragment envelope; kPart: the encoded batch part
};

// Not thread-safe: the applier's thread uses it with the apply connection.
class PartialMessages {
 public:
  // "db" must outlive this.
  explicit PartialMessages(sqlite::Database* db) : db_(db) {}

  Status CreateTable();
  Status Add(const PartialMessage& piece);
  // Forgets the pieces of `kind` from `sender` in `shard` (completed or abandoned).
  Status Remove(uint32_t shard, uint64_t sender, PartialMessage::Kind kind);
  // Forgets every piece from `sender` in `shard`.
  Status RemoveAll(uint32_t shard, uint64_t sender);
  // Every stored piece, by shard then stream sequence.
  Result<std::vector<PartialMessage>> LoadAll();

 private:
  sqlite::Database* db_;  // not owned
};

// Number of stored pieces in `db` (0 when the table does not exist), for status and metrics.
Result<int64_t> CountPartialMessages(sqlite::Database& db);

}  // namespace harmony::state
