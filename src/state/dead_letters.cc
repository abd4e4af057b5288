#include "state/dead_letters.h"

namespace harmony::state {
namespace {

constexpr char kCreate[] =
    "CREATE TABLE IF NOT EXISTS __harmony_dead_letters("
    "  id INTEGER PRIMARY KEY, shard INTEGER NOT NULL, stream_seq INTEGER NOT NULL,"
    "  kind TEXT NOT NULL, origin INTEGER, tbl TEXT, key_hash INTEGER, payload BLOB,"
    "  error TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending',"
    "  received_at TEXT NOT NULL DEFAULT (datetime('now')))";

Result<bool> HasColumn(sqlite::Database& db, const char* table, const char* column) {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement q,
      db.Prepare("SELECT count(*) FROM pragma_table_info(?1) WHERE name = ?2"));
  HARMONY_RETURN_IF_ERROR(q.BindText(1, table));
  HARMONY_RETURN_IF_ERROR(q.BindText(2, column));
  HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
  return row && q.ColumnInt(0) > 0;
}

}  // namespace

Status DeadLetters::CreateTable() {
  HARMONY_ASSIGN_OR_RETURN(bool exists, sqlite::TableExists(*db_, "__harmony_dead_letters"));
  if (exists) {
    HARMONY_ASSIGN_OR_RETURN(bool current, HasColumn(*db_, "__harmony_dead_letters", "kind"));
    if (!current) {
      // Version 0.1 kept undecodable messages only, keyed by (shard, stream_seq).
      HARMONY_ASSIGN_OR_RETURN(
          sqlite::Transaction tx,
          sqlite::Transaction::Begin(*db_, sqlite::Transaction::Mode::kImmediate));
      HARMONY_RETURN_IF_ERROR(db_->Exec(
          "ALTER TABLE __harmony_dead_letters RENAME TO __harmony_dead_letters_v1;" +
          std::string(kCreate) +
          ";INSERT INTO __harmony_dead_letters(shard, stream_seq, kind, payload, error, "
          "received_at) SELECT shard, stream_seq, 'message', payload, error, received_at FROM "
          "__harmony_dead_letters_v1 ORDER BY shard, stream_seq;"
          "DROP TABLE __harmony_dead_letters_v1;"));
      return tx.Commit().WithContext("migrate __harmony_dead_letters");
    }
  }
  return db_->Exec(kCreate);
}

Status DeadLetters::Load() {
  pending_keys_.clear();
  HARMONY_ASSIGN_OR_RETURN(sqlite::Statement q,
                           db_->Prepare("SELECT DISTINCT key_hash FROM __harmony_dead_letters "
                                        "WHERE status = 'pending' AND key_hash IS NOT NULL"));
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    pending_keys_.insert(static_cast<uint64_t>(q.ColumnInt(0)));
  }
  return Status::Ok();
}

Status DeadLetters::AddMessage(uint32_t shard, uint64_t stream_seq, std::string_view payload,
                               std::string_view error) {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement ins,
      db_->Prepare("INSERT INTO __harmony_dead_letters(shard, stream_seq, kind, payload, error) "
                   "VALUES(?1, ?2, 'message', ?3, ?4)"));
  HARMONY_RETURN_IF_ERROR(ins.BindInt(1, shard));
  HARMONY_RETURN_IF_ERROR(ins.BindInt(2, static_cast<int64_t>(stream_seq)));
  HARMONY_RETURN_IF_ERROR(ins.Bind(3, Blob{std::string(payload)}));
  HARMONY_RETURN_IF_ERROR(ins.BindText(4, error));
  return ins.Run().WithContext("store dead letter");
}

Status DeadLetters::AddChange(uint32_t shard, uint64_t stream_seq, uint64_t origin,
                              std::string_view table, uint64_t key_hash,
                              std::string_view encoded_change, std::string_view error) {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement ins,
      db_->Prepare("INSERT INTO __harmony_dead_letters(shard, stream_seq, kind, origin, tbl, "
                   "key_hash, payload, error) VALUES(?1, ?2, 'change', ?3, ?4, ?5, ?6, ?7)"));
  HARMONY_RETURN_IF_ERROR(ins.BindInt(1, shard));
  HARMONY_RETURN_IF_ERROR(ins.BindInt(2, static_cast<int64_t>(stream_seq)));
  HARMONY_RETURN_IF_ERROR(ins.BindInt(3, static_cast<int64_t>(origin)));
  HARMONY_RETURN_IF_ERROR(ins.BindText(4, table));
  HARMONY_RETURN_IF_ERROR(ins.BindInt(5, static_cast<int64_t>(key_hash)));
  HARMONY_RETURN_IF_ERROR(ins.Bind(6, Blob{std::string(encoded_change)}));
  HARMONY_RETURN_IF_ERROR(ins.BindText(7, error));
  HARMONY_RETURN_IF_ERROR(ins.Run().WithContext("store dead letter"));
  pending_keys_.insert(key_hash);
  return Status::Ok();
}

Status DeadLetters::Supersede(uint64_t key_hash) {
  HARMONY_RETURN_IF_ERROR(SupersedeDeadLetters(*db_, {key_hash}));
  pending_keys_.erase(key_hash);
  return Status::Ok();
}

Result<bool> AnyPendingDeadLetter(sqlite::Database& db) {
  HARMONY_ASSIGN_OR_RETURN(bool exists, sqlite::TableExists(db, "__harmony_dead_letters"));
  if (!exists) return false;
  HARMONY_ASSIGN_OR_RETURN(
      int64_t n, db.QueryInt("SELECT EXISTS(SELECT 1 FROM __harmony_dead_letters WHERE status = "
                             "'pending')"));
  return n != 0;
}

Status SupersedeDeadLetters(sqlite::Database& db, const std::vector<uint64_t>& key_hashes) {
  if (key_hashes.empty()) return Status::Ok();
  HARMONY_ASSIGN_OR_RETURN(sqlite::Statement up,
                           db.Prepare("UPDATE __harmony_dead_letters SET status = 'superseded' "
                                      "WHERE status = 'pending' AND key_hash = ?1"));
  for (uint64_t hash : key_hashes) {
    HARMONY_RETURN_IF_ERROR(up.BindInt(1, static_cast<int64_t>(hash)));
    HARMONY_RETURN_IF_ERROR(up.Run().WithContext("supersede dead letters"));
  }
  return Status::Ok();
}

Result<std::vector<DeadLetter>> ListDeadLetters(sqlite::Database& db) {
  std::vector<DeadLetter> out;
  HARMONY_ASSIGN_OR_RETURN(bool exists, sqlite::TableExists(db, "__harmony_dead_letters"));
  if (!exists) return out;
  DeadLetters table(&db);
  HARMONY_RETURN_IF_ERROR(table.CreateTable());  // migrates an older layout
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement q,
      db.Prepare("SELECT id, shard, stream_seq, kind, origin, tbl, key_hash, payload, error, "
                 "status, received_at FROM __harmony_dead_letters ORDER BY id"));
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    DeadLetter d;
    d.id = q.ColumnInt(0);
    d.shard = static_cast<uint32_t>(q.ColumnInt(1));
    d.stream_seq = static_cast<uint64_t>(q.ColumnInt(2));
    d.kind = q.ColumnText(3);
    if (!std::holds_alternative<Null>(q.Column(4))) d.origin = q.ColumnInt(4);
    d.table = q.ColumnText(5);
    if (!std::holds_alternative<Null>(q.Column(6))) d.key_hash = q.ColumnInt(6);
    const Value payload = q.Column(7);
    if (const Blob* b = std::get_if<Blob>(&payload)) d.payload = b->bytes;
    d.error = q.ColumnText(8);
    d.status = q.ColumnText(9);
    d.received_at = q.ColumnText(10);
    out.push_back(std::move(d));
  }
  return out;
}

Result<DeadLetterCounts> CountDeadLetters(sqlite::Database& db) {
  DeadLetterCounts counts;
  HARMONY_ASSIGN_OR_RETURN(std::vector<DeadLetter> all, ListDeadLetters(db));
  for (const DeadLetter& d : all) {
    (d.status == "superseded" ? counts.superseded : counts.pending)++;
  }
  return counts;
}

Status UpdateDeadLetterError(sqlite::Database& db, int64_t id, std::string_view error) {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement up,
      db.Prepare("UPDATE __harmony_dead_letters SET error = ?2 WHERE id = ?1"));
  HARMONY_RETURN_IF_ERROR(up.BindInt(1, id));
  HARMONY_RETURN_IF_ERROR(up.BindText(2, error));
  return up.Run();
}

Result<std::optional<std::string>> DeadLetterStatus(sqlite::Database& db, int64_t id) {
  HARMONY_ASSIGN_OR_RETURN(sqlite::Statement q,
                           db.Prepare("SELECT status FROM __harmony_dead_letters WHERE id = ?1"));
  HARMONY_RETURN_IF_ERROR(q.BindInt(1, id));
  HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(q.ColumnText(0));
}

Status RemoveDeadLetter(sqlite::Database& db, int64_t id) {
  HARMONY_ASSIGN_OR_RETURN(sqlite::Statement del,
                           db.Prepare("DELETE FROM __harmony_dead_letters WHERE id = ?1"));
  HARMONY_RETURN_IF_ERROR(del.BindInt(1, id));
  HARMONY_RETURN_IF_ERROR(del.Run());
  if (db.Changes() == 0) return Status::NotFound("no dead letter with id " + std::to_string(id));
  return Status::Ok();
}

}  // namespace harmony::state
