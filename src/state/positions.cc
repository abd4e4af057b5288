#include "state/positions.h"

#include <cstdio>
#include <cstdlib>

namespace harmony::state {

ShardPosition Positions::Get(uint32_t shard) const {
  auto it = shards_.find(shard);
  return it == shards_.end() ? ShardPosition{} : it->second;
}

void Positions::Advance(uint32_t shard, uint64_t stream_seq) {
  ShardPosition& p = shards_[shard];
  if (stream_seq <= p.stream_seq) {
    std::fprintf(stderr,
                 "state::Positions: shard %u would go from stream sequence %llu to %llu; a "
                 "message would be skipped or taken twice\n",
                 shard, static_cast<unsigned long long>(p.stream_seq),
                 static_cast<unsigned long long>(stream_seq));
    std::abort();
  }
  p.stream_seq = stream_seq;
}

void Positions::NoteOwn(uint32_t shard, uint64_t own_seq) {
  ShardPosition& p = shards_[shard];
  if (own_seq > p.own_seq) p.own_seq = own_seq;
}

std::map<uint32_t, uint64_t> Positions::StreamSeqs() const {
  std::map<uint32_t, uint64_t> out;
  for (const auto& [shard, p] : shards_) out[shard] = p.stream_seq;
  return out;
}

Status CreatePositionTable(sqlite::Database& db) {
  return db.Exec(
      "CREATE TABLE IF NOT EXISTS __harmony_apply_position("
      "  shard INTEGER PRIMARY KEY, stream_seq INTEGER NOT NULL, own_seq INTEGER NOT NULL)");
}

Result<Positions> LoadPositions(sqlite::Database& db) {
  Positions positions;
  HARMONY_ASSIGN_OR_RETURN(bool exists, sqlite::TableExists(db, "__harmony_apply_position"));
  if (!exists) return positions;
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement q,
      db.Prepare("SELECT shard, stream_seq, own_seq FROM __harmony_apply_position ORDER BY shard"));
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    const auto shard = static_cast<uint32_t>(q.ColumnInt(0));
    const auto seq = static_cast<uint64_t>(q.ColumnInt(1));
    if (seq > 0) positions.Advance(shard, seq);
    positions.NoteOwn(shard, static_cast<uint64_t>(q.ColumnInt(2)));
  }
  return positions;
}

Status SavePositions(sqlite::Database& db, const Positions& now, const Positions& stored) {
  std::optional<sqlite::Statement> up;
  for (const auto& [shard, p] : now.shards()) {
    if (stored.Get(shard) == p) continue;
    if (!up) {
      HARMONY_ASSIGN_OR_RETURN(
          up, db.Prepare("INSERT OR REPLACE INTO __harmony_apply_position(shard, stream_seq, "
                         "own_seq) VALUES(?1, ?2, ?3)"));
    }
    HARMONY_RETURN_IF_ERROR(up->BindInt(1, shard));
    HARMONY_RETURN_IF_ERROR(up->BindInt(2, static_cast<int64_t>(p.stream_seq)));
    HARMONY_RETURN_IF_ERROR(up->BindInt(3, static_cast<int64_t>(p.own_seq)));
    HARMONY_RETURN_IF_ERROR(
        up->Run().WithContext("store apply position of shard " + std::to_string(shard)));
  }
  return Status::Ok();
}

Status ReplacePositions(sqlite::Database& db, const std::map<uint32_t, uint64_t>& stream_seqs) {
  HARMONY_RETURN_IF_ERROR(CreatePositionTable(db));
  HARMONY_ASSIGN_OR_RETURN(sqlite::Transaction tx,
                           sqlite::Transaction::Begin(db, sqlite::Transaction::Mode::kImmediate));
  HARMONY_RETURN_IF_ERROR(db.Exec("DELETE FROM __harmony_apply_position"));
  Positions now;
  for (const auto& [shard, seq] : stream_seqs) {
    if (seq > 0) now.Advance(shard, seq);
  }
  HARMONY_RETURN_IF_ERROR(SavePositions(db, now, Positions{}));
  return tx.Commit();
}

namespace {

Status CreateStreamIdTable(sqlite::Database& db) {
  return db.Exec(
      "CREATE TABLE IF NOT EXISTS __harmony_streams(shard INTEGER PRIMARY KEY, "
      "created_ns INTEGER NOT NULL)");
}

}  // namespace

Result<std::map<uint32_t, int64_t>> LoadStreamIds(sqlite::Database& db) {
  std::map<uint32_t, int64_t> ids;
  HARMONY_ASSIGN_OR_RETURN(bool exists, sqlite::TableExists(db, "__harmony_streams"));
  if (!exists) return ids;
  HARMONY_ASSIGN_OR_RETURN(sqlite::Statement q,
                           db.Prepare("SELECT shard, created_ns FROM __harmony_streams"));
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    ids[static_cast<uint32_t>(q.ColumnInt(0))] = q.ColumnInt(1);
  }
  return ids;
}

Status SaveStreamId(sqlite::Database& db, uint32_t shard, int64_t created_ns) {
  HARMONY_RETURN_IF_ERROR(CreateStreamIdTable(db));
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement up,
      db.Prepare("INSERT OR REPLACE INTO __harmony_streams(shard, created_ns) VALUES(?1, ?2)"));
  HARMONY_RETURN_IF_ERROR(up.BindInt(1, shard));
  HARMONY_RETURN_IF_ERROR(up.BindInt(2, created_ns));
  return up.Run().WithContext("record the stream of shard " + std::to_string(shard));
}

Status StartShardOver(sqlite::Database& db, uint32_t shard, uint64_t published_seq,
                      int64_t created_ns) {
  HARMONY_RETURN_IF_ERROR(CreatePositionTable(db));
  HARMONY_RETURN_IF_ERROR(CreateStreamIdTable(db));
  HARMONY_ASSIGN_OR_RETURN(sqlite::Transaction tx,
                           sqlite::Transaction::Begin(db, sqlite::Transaction::Mode::kImmediate));
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement up,
      db.Prepare("INSERT OR REPLACE INTO __harmony_apply_position(shard, stream_seq, own_seq) "
                 "VALUES(?1, 0, ?2)"));
  HARMONY_RETURN_IF_ERROR(up.BindInt(1, shard));
  HARMONY_RETURN_IF_ERROR(up.BindInt(2, static_cast<int64_t>(published_seq)));
  HARMONY_RETURN_IF_ERROR(up.Run());
  HARMONY_RETURN_IF_ERROR(SaveStreamId(db, shard, created_ns));
  return tx.Commit();
}

std::optional<std::string> ReplayGap(uint32_t shard, uint64_t applied, StreamBounds bounds) {
  if (bounds.last_seq <= applied) return std::nullopt;  // nothing new, or never written
  if (bounds.first_seq <= applied + 1) return std::nullopt;
  return "shard " + std::to_string(shard) + ": this node applied up to stream sequence " +
         std::to_string(applied) + " but the stream now starts at " +
         std::to_string(bounds.first_seq) + " (messages " + std::to_string(applied + 1) + " to " +
         std::to_string(bounds.first_seq - 1) + " were dropped by its retention limits)";
}

}  // namespace harmony::state
