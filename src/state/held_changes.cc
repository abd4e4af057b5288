#include "state/held_changes.h"

#include "change/codec.h"

namespace harmony::state {

Status HeldChanges::CreateTable() {
  return db_->Exec(
      "CREATE TABLE IF NOT EXISTS __harmony_held("
      "  id INTEGER PRIMARY KEY, tbl TEXT NOT NULL, changes INTEGER NOT NULL, batch BLOB NOT NULL,"
      "  held_at TEXT NOT NULL DEFAULT (datetime('now')));"
      "CREATE INDEX IF NOT EXISTS __harmony_held_tbl ON __harmony_held(tbl, id);");
}

Status HeldChanges::Load() {
  tables_.clear();
  HARMONY_ASSIGN_OR_RETURN(sqlite::Statement q,
                           db_->Prepare("SELECT DISTINCT tbl FROM __harmony_held"));
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    tables_.insert(q.ColumnText(0));
  }
  return Status::Ok();
}

Status HeldChanges::Hold(const change::TableSchema& table, std::vector<change::Change> changes,
                         uint64_t node_id) {
  change::Batch batch;
  batch.node_id = node_id;
  batch.tables.push_back(table);
  for (change::Change& c : changes) c.table = 0;
  batch.changes = std::move(changes);
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement ins,
      db_->Prepare("INSERT INTO __harmony_held(tbl, changes, batch) VALUES(?1, ?2, ?3)"));
  HARMONY_RETURN_IF_ERROR(ins.BindText(1, table.name));
  HARMONY_RETURN_IF_ERROR(ins.BindInt(2, static_cast<int64_t>(batch.changes.size())));
  HARMONY_RETURN_IF_ERROR(ins.Bind(3, Blob{change::Encode(batch, {.compress = true})}));
  HARMONY_RETURN_IF_ERROR(ins.Run().WithContext("hold changes of " + table.name));
  tables_.insert(table.name);
  return Status::Ok();
}

Result<std::vector<change::Batch>> HeldChanges::Batches(const std::string& table) {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement q,
      db_->Prepare("SELECT id, batch FROM __harmony_held WHERE tbl = ?1 ORDER BY id"));
  HARMONY_RETURN_IF_ERROR(q.BindText(1, table));
  std::vector<change::Batch> out;
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    const Value v = q.Column(1);
    const Blob* blob = std::get_if<Blob>(&v);
    auto batch = change::Decode(blob ? std::string_view(blob->bytes) : std::string_view());
    if (!batch.ok()) {
      return batch.status().WithContext("held changes row " + std::to_string(q.ColumnInt(0)));
    }
    out.push_back(std::move(batch).value());
  }
  return out;
}

Status HeldChanges::Release(const std::string& table) {
  HARMONY_ASSIGN_OR_RETURN(sqlite::Statement del,
                           db_->Prepare("DELETE FROM __harmony_held WHERE tbl = ?1"));
  HARMONY_RETURN_IF_ERROR(del.BindText(1, table));
  HARMONY_RETURN_IF_ERROR(del.Run());
  tables_.erase(table);
  return Status::Ok();
}

Result<int64_t> HeldChanges::CountChanges() {
  return db_->QueryInt("SELECT coalesce(sum(changes), 0) FROM __harmony_held");
}

Result<int64_t> CountHeldBatches(sqlite::Database& db) {
  HARMONY_ASSIGN_OR_RETURN(bool exists, sqlite::TableExists(db, "__harmony_held"));
  if (!exists) return int64_t{0};
  return db.QueryInt("SELECT count(*) FROM __harmony_held");
}

}  // namespace harmony::state
