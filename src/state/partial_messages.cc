#include "state/partial_messages.h"

namespace harmony::state {
namespace {

int64_t KindCode(PartialMessage::Kind kind) {
  return kind == PartialMessage::Kind::kFragment ? 1 : 2;
}

}  // namespace

Status PartialMessages::CreateTable() {
  return db_->Exec(
      "CREATE TABLE IF NOT EXISTS __harmony_partial("
      "  shard INTEGER NOT NULL, stream_seq INTEGER NOT NULL, sender INTEGER NOT NULL,"
      "  kind INTEGER NOT NULL, payload BLOB NOT NULL, PRIMARY KEY(shard, stream_seq))");
}

Status PartialMessages::Add(const PartialMessage& piece) {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement ins,
      db_->Prepare("INSERT INTO __harmony_partial(shard, stream_seq, sender, kind, payload) "
                   "VALUES(?1, ?2, ?3, ?4, ?5)"));
  HARMONY_RETURN_IF_ERROR(ins.BindInt(1, piece.shard));
  HARMONY_RETURN_IF_ERROR(ins.BindInt(2, static_cast<int64_t>(piece.stream_seq)));
  HARMONY_RETURN_IF_ERROR(ins.BindInt(3, static_cast<int64_t>(piece.sender)));
  HARMONY_RETURN_IF_ERROR(ins.BindInt(4, KindCode(piece.kind)));
  HARMONY_RETURN_IF_ERROR(ins.Bind(5, Blob{piece.payload}));
  return ins.Run().WithContext("store a partial message");
}

Status PartialMessages::Remove(uint32_t shard, uint64_t sender, PartialMessage::Kind kind) {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement del,
      db_->Prepare("DELETE FROM __harmony_partial WHERE shard = ?1 AND sender = ?2 AND kind = ?3"));
  HARMONY_RETURN_IF_ERROR(del.BindInt(1, shard));
  HARMONY_RETURN_IF_ERROR(del.BindInt(2, static_cast<int64_t>(sender)));
  HARMONY_RETURN_IF_ERROR(del.BindInt(3, KindCode(kind)));
  return del.Run();
}

Status PartialMessages::RemoveAll(uint32_t shard, uint64_t sender) {
  HARMONY_RETURN_IF_ERROR(Remove(shard, sender, PartialMessage::Kind::kFragment));
  return Remove(shard, sender, PartialMessage::Kind::kPart);
}

Result<std::vector<PartialMessage>> PartialMessages::LoadAll() {
  std::vector<PartialMessage> out;
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement q,
      db_->Prepare("SELECT shard, stream_seq, sender, kind, payload FROM __harmony_partial "
                   "ORDER BY shard, stream_seq"));
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    PartialMessage p;
    p.shard = static_cast<uint32_t>(q.ColumnInt(0));
    p.stream_seq = static_cast<uint64_t>(q.ColumnInt(1));
    p.sender = static_cast<uint64_t>(q.ColumnInt(2));
    p.kind = q.ColumnInt(3) == 1 ? PartialMessage::Kind::kFragment : PartialMessage::Kind::kPart;
    const Value v = q.Column(4);
    if (const Blob* b = std::get_if<Blob>(&v)) p.payload = b->bytes;
    out.push_back(std::move(p));
  }
  return out;
}

Result<int64_t> CountPartialMessages(sqlite::Database& db) {
  HARMONY_ASSIGN_OR_RETURN(bool exists, sqlite::TableExists(db, "__harmony_partial"));
  if (!exists) return int64_t{0};
  return db.QueryInt("SELECT count(*) FROM __harmony_partial");
}

}  // namespace harmony::state
