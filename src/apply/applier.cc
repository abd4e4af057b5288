#include "apply/applier.h"

#include <spdlog/spdlog.h>

#include "change/codec.h"
#include "change/shard.h"

namespace harmony::apply {
namespace {

using sqlite::QuoteIdentifier;

std::string UpsertSql(const change::TableSchema& t) {
  std::string sql = "INSERT OR REPLACE INTO " + QuoteIdentifier(t.name) + "(";
  std::string params;
  for (size_t i = 0; i < t.columns.size(); ++i) {
    if (i) {
      sql += ", ";
      params += ", ";
    }
    sql += QuoteIdentifier(t.columns[i]);
    params += "?" + std::to_string(i + 1);
  }
  return sql + ") VALUES(" + params + ")";
}

std::string DeleteSql(const change::TableSchema& t) {
  std::string sql = "DELETE FROM " + QuoteIdentifier(t.name) + " WHERE ";
  for (size_t i = 0; i < t.pk.size(); ++i) {
    if (i) sql += " AND ";
    sql += QuoteIdentifier(t.columns[t.pk[i]]) + " IS ?" + std::to_string(i + 1);
  }
  return sql;
}

std::string CacheKey(const change::TableSchema& t, change::Op op) {
  std::string key(1, static_cast<char>(op));
  key += t.name;
  for (const std::string& c : t.columns) key += '\x1f' + c;
  key += '\x1e';
  for (uint32_t p : t.pk) key += std::to_string(p) + ",";
  return key;
}

}  // namespace

Result<std::unique_ptr<Applier>> Applier::Open(const ApplyOptions& options,
                                               PendingKeysFn pending_keys) {
  sqlite::OpenOptions open;
  open.busy_timeout_ms = options.busy_timeout_ms;
  open.enable_triggers = false;  // no echo, no second firing of application triggers
  open.foreign_keys = false;     // cascades arrive as replicated rows of their own
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, sqlite::Database::Open(options.db_path, open));
  HARMONY_RETURN_IF_ERROR(db.Exec(
      "CREATE TABLE IF NOT EXISTS __harmony_apply_position("
      "  shard INTEGER PRIMARY KEY, stream_seq INTEGER NOT NULL);"
      "CREATE TABLE IF NOT EXISTS __harmony_dead_letters("
      "  shard INTEGER NOT NULL, stream_seq INTEGER NOT NULL, error TEXT NOT NULL,"
      "  payload BLOB, received_at TEXT NOT NULL DEFAULT (datetime('now')),"
      "  PRIMARY KEY(shard, stream_seq));"));
  std::unique_ptr<Applier> applier(new Applier(std::move(db), std::move(pending_keys)));
  HARMONY_RETURN_IF_ERROR(applier->LoadPositions());
  return applier;
}

Status Applier::LoadPositions() {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement q, db_.Prepare("SELECT shard, stream_seq FROM __harmony_apply_position"));
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    committed_[static_cast<uint32_t>(q.ColumnInt(0))] = static_cast<uint64_t>(q.ColumnInt(1));
  }
  position_ = committed_;
  return Status::Ok();
}

uint64_t Applier::Position(uint32_t shard) const {
  auto it = committed_.find(shard);
  return it == committed_.end() ? 0 : it->second;
}

Status Applier::Apply(std::vector<Incoming> messages, bool force_commit) {
  const size_t from = buffered_.size();
  for (Incoming& m : messages) buffered_.push_back(std::move(m));
  // After a failure there is no open transaction: start over from the last commit.
  Status s = ApplyBuffered(tx_ ? from : 0);
  if (s.ok() && (force_commit || open_batches_.empty())) s = Commit();
  if (!s.ok()) {
    tx_.reset();  // rolls back
    position_ = committed_;
    open_batches_.clear();
  }
  return s;
}

Status Applier::ApplyBuffered(size_t from) {
  if (!tx_) {
    HARMONY_ASSIGN_OR_RETURN(
        sqlite::Transaction tx,
        sqlite::Transaction::Begin(db_, sqlite::Transaction::Mode::kImmediate));
    tx_ = std::make_unique<sqlite::Transaction>(std::move(tx));
    position_ = committed_;
    open_batches_.clear();
    from = 0;
    pending_.clear();
    if (pending_keys_) {
      HARMONY_ASSIGN_OR_RETURN(pending_, pending_keys_(db_));
    }
  }
  for (size_t i = from; i < buffered_.size(); ++i) {
    HARMONY_RETURN_IF_ERROR(ApplyOne(buffered_[i]));
  }
  return Status::Ok();
}

Status Applier::ApplyOne(const Incoming& message) {
  uint64_t& pos = position_[message.shard];
  if (message.stream_seq <= pos) return Status::Ok();  // re-delivery
  const std::string where =
      "shard " + std::to_string(message.shard) + " seq " + std::to_string(message.stream_seq);
  auto batch = change::Decode(message.payload);
  if (!batch.ok()) {
    HARMONY_RETURN_IF_ERROR(DeadLetter(message, batch.status()));
  } else {
    const change::Batch& b = *batch;
    auto key = std::make_pair(message.shard, b.node_id);
    auto open = open_batches_.find(key);
    if (open != open_batches_.end() &&
        (b.part == 0 || open->second.epoch != b.epoch || open->second.first_seq != b.first_seq)) {
      // The sender restarted and re-published from its last acknowledged change: the abandoned
      // parts are superseded by the new batch, which covers the same changes again.
      spdlog::warn("{}: node {} abandoned a batch after part {}; continuing with its new batch",
                   where, b.node_id, open->second.next_part);
      open_batches_.erase(open);
    }
    HARMONY_RETURN_IF_ERROR(ApplyBatch(b).WithContext(
        "apply " + where + " from node " + std::to_string(b.node_id)));
    if (b.last_part) {
      open_batches_.erase(key);
    } else {
      open_batches_[key] = OpenBatch{b.epoch, b.first_seq, b.part + 1};
    }
  }
  pos = message.stream_seq;
  stats_.messages.fetch_add(1, std::memory_order_relaxed);
  return Status::Ok();
}

Status Applier::ApplyBatch(const change::Batch& batch) {
  for (const change::Change& c : batch.changes) {
    const change::TableSchema& table = batch.tables[c.table];
    if (!pending_.empty()) {
      std::vector<Value> key;
      if (c.op == change::Op::kUpsert) {
        for (uint32_t i : table.pk) key.push_back(c.values[i]);
      }
      const std::vector<Value>& pk = c.op == change::Op::kUpsert ? key : c.values;
      if (pending_.count(change::RowKeyHash(table.name, pk))) {
        stats_.skipped_pending.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
    }
    HARMONY_ASSIGN_OR_RETURN(sqlite::Statement * stmt, StatementFor(table, c.op));
    for (size_t i = 0; i < c.values.size(); ++i) {
      HARMONY_RETURN_IF_ERROR(stmt->Bind(static_cast<int>(i + 1), c.values[i]));
    }
    HARMONY_RETURN_IF_ERROR(stmt->Run().WithContext("table " + QuoteIdentifier(table.name)));
    stats_.changes.fetch_add(1, std::memory_order_relaxed);
  }
  return Status::Ok();
}

Result<sqlite::Statement*> Applier::StatementFor(const change::TableSchema& table,
                                                 change::Op op) {
  std::string key = CacheKey(table, op);
  auto it = statements_.find(key);
  if (it == statements_.end()) {
    HARMONY_ASSIGN_OR_RETURN(
        sqlite::Statement stmt,
        db_.Prepare(op == change::Op::kUpsert ? UpsertSql(table) : DeleteSql(table)));
    it = statements_.emplace(std::move(key), std::move(stmt)).first;
  }
  return &it->second;
}

Status Applier::DeadLetter(const Incoming& message, const Status& why) {
  spdlog::error("shard {} seq {}: undecodable message set aside in __harmony_dead_letters: {}",
                message.shard, message.stream_seq, why.message());
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement ins,
      db_.Prepare("INSERT OR REPLACE INTO __harmony_dead_letters(shard, stream_seq, error, payload)"
                  " VALUES(?1, ?2, ?3, ?4)"));
  HARMONY_RETURN_IF_ERROR(ins.BindInt(1, message.shard));
  HARMONY_RETURN_IF_ERROR(ins.BindInt(2, static_cast<int64_t>(message.stream_seq)));
  HARMONY_RETURN_IF_ERROR(ins.BindText(3, why.message()));
  HARMONY_RETURN_IF_ERROR(ins.Bind(4, Blob{message.payload}));
  HARMONY_RETURN_IF_ERROR(ins.Run());
  stats_.dead_letters.fetch_add(1, std::memory_order_relaxed);
  return Status::Ok();
}

Status Applier::Commit() {
  if (!tx_) return Status::Ok();
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement up,
      db_.Prepare("INSERT OR REPLACE INTO __harmony_apply_position(shard, stream_seq) "
                  "VALUES(?1, ?2)"));
  for (const auto& [shard, seq] : position_) {
    auto it = committed_.find(shard);
    if (it != committed_.end() && it->second == seq) continue;
    HARMONY_RETURN_IF_ERROR(up.BindInt(1, shard));
    HARMONY_RETURN_IF_ERROR(up.BindInt(2, static_cast<int64_t>(seq)));
    HARMONY_RETURN_IF_ERROR(up.Run());
  }
  HARMONY_RETURN_IF_ERROR(tx_->Commit().WithContext("commit applied changes"));
  tx_.reset();
  committed_ = position_;
  buffered_.clear();
  open_batches_.clear();
  stats_.commits.fetch_add(1, std::memory_order_relaxed);
  return Status::Ok();
}

}  // namespace harmony::apply
