// state: the owner of harmony's replication state inside the application database — how far each
// shard stream has been applied (positions), changes waiting for the local schema (held changes),
// changes this node could not apply (dead letters) and messages waiting for their remaining parts
// or fragments (partial messages). Every other module reads and writes that state only through
// the types here; nobody else touches these tables with SQL. Depends on common, sqlite, change.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/result.h"
#include "sqlite/database.h"

namespace harmony::state {

// Where one shard's stream has been applied up to.
struct ShardPosition {
  // Last stream sequence whose message this node has taken in (applied, set aside, stored as a
  // part, or passed over as its own). Every message at or before it is done; every message after
  // it is still to come. 0: nothing yet.
  uint64_t stream_seq = 0;
  // Highest change-log seq of this node's own changes seen in this shard's stream (see
  // apply::OwnProgress); 0 when none.
  uint64_t own_seq = 0;
  bool operator==(const ShardPosition&) const = default;
};

// Per shard (1-based) positions. A value type: copy it to keep a transaction's starting point.
// Not thread-safe.
class Positions {
 public:
  // Position of `shard` ({0, 0} when never recorded).
  ShardPosition Get(uint32_t shard) const;
  uint64_t StreamSeq(uint32_t shard) const { return Get(shard).stream_seq; }

  // Records that the message at `stream_seq` of `shard` has been taken in. Stream sequences of a
  // shard only grow: a sequence at or below the current one is a broken invariant (it would mean
  // a message is skipped or taken twice) and aborts.
  void Advance(uint32_t shard, uint64_t stream_seq);
  // Raises the own change-log seq seen in `shard` (never lowers it).
  void NoteOwn(uint32_t shard, uint64_t own_seq);

  // shard -> stream_seq, for consumers and snapshot manifests.
  std::map<uint32_t, uint64_t> StreamSeqs() const;
  const std::map<uint32_t, ShardPosition>& shards() const { return shards_; }
  bool operator==(const Positions&) const = default;

 private:
  std::map<uint32_t, ShardPosition> shards_;
};

// Creates __harmony_apply_position if it does not exist.
Status CreatePositionTable(sqlite::Database& db);

// The stored positions; empty when the table does not exist (a database that never applied).
Result<Positions> LoadPositions(sqlite::Database& db);

// Writes the shards of `now` that differ from `stored` (what the table holds). Call inside the
// transaction whose changes the positions cover, so both commit or roll back together.
Status SavePositions(sqlite::Database& db, const Positions& now, const Positions& stored);

// Replaces every stored position with `stream_seqs` (own seqs 0), in one transaction: used after
// installing a snapshot, whose rows are exactly those of these positions.
Status ReplacePositions(sqlite::Database& db, const std::map<uint32_t, uint64_t>& stream_seqs);

// Which stream the stored positions refer to: shard -> the JetStream creation time (ns since the
// Unix epoch) of the stream whose sequences they count, from __harmony_streams. A stream deleted
// and created again (a wiped broker store, an operator's `nats stream rm`) restarts at sequence 1,
// and positions of the old one would skip the new stream's messages for good.
// Errors: SQLite's.
Result<std::map<uint32_t, int64_t>> LoadStreamIds(sqlite::Database& db);
// Records that the positions of `shard` count the stream created at `created_ns`.
Status SaveStreamId(sqlite::Database& db, uint32_t shard, int64_t created_ns);
// The stream of `shard` was re-created: its position goes back to 0 (the new stream's first
// message comes next), with own_seq = `published_seq` (every change this node published went
// into the old stream, which is gone: none of them is still on its way), and the new stream's
// creation time is recorded; one transaction. Errors: SQLite's.
Status StartShardOver(sqlite::Database& db, uint32_t shard, uint64_t published_seq,
                      int64_t created_ns);

// The bounds of one shard stream as JetStream reports them (StreamInfo state): first_seq is the
// oldest message still stored, last_seq the newest ever stored. A stream that has dropped every
// message reports first_seq = last_seq + 1; one never written reports 0, 0.
struct StreamBounds {
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
};

// The one rule for "the stream no longer covers us": a node that has applied `shard` up to
// `applied` needs messages applied + 1 ... last_seq; if the stream has dropped any of them
// (first_seq > applied + 1 while last_seq > applied) replaying would skip them and diverge. Returns
// a description of the gap naming shard and sequences, or nullopt when replay is safe.
std::optional<std::string> ReplayGap(uint32_t shard, uint64_t applied, StreamBounds bounds);

}  // namespace harmony::state
