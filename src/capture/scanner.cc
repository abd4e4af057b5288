#include "capture/scanner.h"

#include <set>
#include <string>
#include <vector>

#include "capture/change_log.h"
#include "capture/triggers.h"
#include "change/schema_change.h"
#include "change/shard.h"

namespace harmony::capture {
namespace {

// Accumulates one shard's batch parts.
struct ShardBuffer {
  change::Batch batch;
  std::map<const change::TableSchema*, uint32_t> table_index;
  uint32_t next_part = 0;
  bool emitted_any = false;
};

}  // namespace

Result<const change::TableSchema*> Scanner::Shape(int64_t tid) {
  auto it = shapes_.find(tid);
  if (it != shapes_.end()) return &it->second;
  HARMONY_ASSIGN_OR_RETURN(change::TableSchema shape, LoadShape(*db_, tid));
  return &shapes_.emplace(tid, std::move(shape)).first->second;
}

Result<std::optional<int64_t>> Scanner::CountCopies(const change::TableSchema& shape,
                                                    const std::vector<Value>& row) {
  auto it = count_statements_.find(&shape);
  if (it == count_statements_.end()) {
    HARMONY_ASSIGN_OR_RETURN(
        sqlite::Statement cols,
        db_->Prepare("SELECT name FROM pragma_table_xinfo(?1, 'main') WHERE hidden = 0"));
    HARMONY_RETURN_IF_ERROR(cols.BindText(1, shape.name));
    std::set<std::string, sqlite::IdentifierLess> local;
    while (true) {
      HARMONY_ASSIGN_OR_RETURN(bool has, cols.Step());
      if (!has) break;
      local.insert(cols.ColumnText(0));
    }
    CountQuery query;
    std::vector<std::string> names;
    for (size_t i = 0; i < shape.columns.size(); ++i) {
      if (local.count(shape.columns[i]) == 0) continue;
      query.columns.push_back(i);
      names.push_back(shape.columns[i]);
    }
    if (!local.empty()) {
      const std::string where = names.empty() ? "1" : sqlite::IdenticalRowWhere(names);
      HARMONY_ASSIGN_OR_RETURN(
          sqlite::Statement q,
          db_->Prepare("SELECT count(*) FROM " + sqlite::QuoteIdentifier(shape.name) + " WHERE " +
                       where));
      query.statement = std::move(q);
    }
    it = count_statements_.emplace(&shape, std::move(query)).first;
  }
  CountQuery& query = it->second;
  if (!query.statement) return std::optional<int64_t>();
  sqlite::Statement& q = *query.statement;
  for (size_t i = 0; i < query.columns.size(); ++i) {
    HARMONY_RETURN_IF_ERROR(q.Bind(static_cast<int>(i + 1), row[query.columns[i]]));
  }
  HARMONY_ASSIGN_OR_RETURN(bool has, q.Step());
  const int64_t n = has ? q.ColumnInt(0) : 0;
  q.Reset();
  return std::optional<int64_t>(n);
}

Result<uint64_t> Scanner::NewestSeq() {
  auto seq = db_->QueryInt("SELECT coalesce(max(seq), 0) FROM __harmony_change_log");
  if (!seq.ok()) return seq.status();
  return static_cast<uint64_t>(*seq);
}

Result<ScanResult> Scanner::Scan(uint64_t after_seq, uint64_t up_to, const BatchSink& sink) {
  HARMONY_ASSIGN_OR_RETURN(auto tx,
                           sqlite::Transaction::Begin(*db_, sqlite::Transaction::Mode::kDeferred));
  if (epoch_ == 0) {
    HARMONY_ASSIGN_OR_RETURN(epoch_, ReadEpoch(*db_));
  }
  ScanResult result;
  if (schema_version_ >= 0) {
    HARMONY_ASSIGN_OR_RETURN(int64_t version, db_->QueryInt("PRAGMA schema_version"));
    if (version != schema_version_) {
      result.schema_changed = true;
      return result;
    }
  }
  HARMONY_ASSIGN_OR_RETURN(uint64_t newest, NewestSeq());
  if (up_to == 0 || up_to > newest) up_to = newest;
  if (up_to <= after_seq) return result;

  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement rows,
      db_->Prepare("SELECT * FROM __harmony_change_log WHERE seq > ?1 AND seq <= ?2 ORDER BY seq"));
  HARMONY_RETURN_IF_ERROR(rows.BindInt(1, static_cast<int64_t>(after_seq)));
  HARMONY_RETURN_IF_ERROR(rows.BindInt(2, static_cast<int64_t>(up_to)));
  const LogColumns cols = MapLogColumns(rows);

  std::vector<ShardBuffer> shards(options_.shards);
  for (ShardBuffer& s : shards) {
    s.batch.node_id = options_.node_id;
    s.batch.epoch = epoch_;
  }
  uint64_t first_seq = 0;

  auto emit = [&](uint32_t shard_index, bool last) -> Status {
    ShardBuffer& s = shards[shard_index];
    s.batch.part = s.next_part++;
    s.batch.last_part = last;
    s.batch.first_seq = first_seq;
    s.batch.last_seq = up_to;
    s.emitted_any = true;
    result.batches++;
    change::Batch out = std::move(s.batch);
    s.batch = change::Batch{};
    s.batch.node_id = options_.node_id;
    s.batch.epoch = epoch_;
    s.table_index.clear();
    return sink(shard_index + 1, std::move(out));
  };
  auto add = [&](const change::TableSchema* shape, change::Op op,
                 std::vector<Value> values) -> Status {
    change::Change change{op, 0, std::move(values)};
    const uint32_t shard =
        change::ShardOf(change::ShardHash(*shape, change), options_.shards) - 1;
    ShardBuffer& s = shards[shard];
    auto [it, inserted] =
        s.table_index.emplace(shape, static_cast<uint32_t>(s.batch.tables.size()));
    if (inserted) s.batch.tables.push_back(*shape);
    change.table = it->second;
    s.batch.changes.push_back(std::move(change));
    result.changes++;
    if (s.batch.changes.size() >= options_.max_changes_per_batch) return emit(shard, false);
    return Status::Ok();
  };
  // A row with whole-row identity is sent as how many identical rows the table holds now, in
  // this read transaction (change::Op::kRowCopies).
  auto add_copies = [&](const change::TableSchema* shape, std::vector<Value> values) -> Status {
    HARMONY_ASSIGN_OR_RETURN(std::optional<int64_t> copies, CountCopies(*shape, values));
    if (!copies) {
      ++result.unsendable;
      return Status::Ok();
    }
    values.push_back(*copies);
    return add(shape, change::Op::kRowCopies, std::move(values));
  };
  // A new row whose key has a NULL is distinct from every other row for SQLite: it is sent with
  // whole-row identity (docs/architecture.md, "Row identity").
  auto add_new_row = [&](const change::TableSchema* shape, std::vector<Value> values) {
    if (change::KeyHasNull(*shape, values)) return add_copies(shape, std::move(values));
    return add(shape, change::Op::kUpsert, std::move(values));
  };

  // A schema change goes to every shard stream, in order with the row changes around it, named
  // by this node, the log's epoch and its seq (the same id in every copy).
  static const change::TableSchema kNoTable;
  auto add_schema_change = [&](uint64_t seq, const std::string& json) -> Status {
    auto change = change::DecodeSchemaChange(json);
    if (!change.ok()) {
      return change.status().WithContext("change log row " + std::to_string(seq));
    }
    change->id = std::to_string(options_.node_id) + "-" + std::to_string(epoch_) + "-" +
                 std::to_string(seq);
    const std::string encoded = change::EncodeSchemaChange(*change);
    for (uint32_t shard = 0; shard < shards.size(); ++shard) {
      ShardBuffer& s = shards[shard];
      auto [it, inserted] =
          s.table_index.emplace(&kNoTable, static_cast<uint32_t>(s.batch.tables.size()));
      if (inserted) s.batch.tables.push_back(kNoTable);
      s.batch.changes.push_back({change::Op::kSchema, it->second, {Text{encoded}}});
      result.changes++;
      if (s.batch.changes.size() >= options_.max_changes_per_batch) {
        HARMONY_RETURN_IF_ERROR(emit(shard, false));
      }
    }
    return Status::Ok();
  };

  std::vector<Value> old_key, new_key, row;
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(bool has_row, rows.Step());
    if (!has_row) break;
    const uint64_t seq = static_cast<uint64_t>(rows.ColumnInt(0));
    if (first_seq == 0) first_seq = seq;
    const int64_t tid = rows.ColumnInt(1);
    const auto op = static_cast<LogOp>(rows.ColumnInt(2));
    if (op == LogOp::kSchema) {
      HARMONY_RETURN_IF_ERROR(add_schema_change(seq, cols.values.empty() || cols.values[0] < 0
                                                         ? std::string()
                                                         : rows.ColumnText(cols.values[0])));
      continue;
    }
    HARMONY_ASSIGN_OR_RETURN(const change::TableSchema* shape, Shape(tid));
    switch (op) {
      case LogOp::kInsert:
        ReadLogValues(rows, cols.values, shape->columns.size(), &row);
        HARMONY_RETURN_IF_ERROR(add_new_row(shape, row));
        break;
      case LogOp::kBackfill:
        ReadLogValues(rows, cols.values, shape->columns.size(), &row);
        HARMONY_RETURN_IF_ERROR(add_new_row(shape, row));
        break;
      case LogOp::kDeleteRow:
        ReadLogValues(rows, cols.values, shape->columns.size(), &row);
        HARMONY_RETURN_IF_ERROR(add_copies(shape, row));
        break;
      case LogOp::kDelete:
        ReadLogValues(rows, cols.keys, shape->pk.size(), &old_key);
        HARMONY_RETURN_IF_ERROR(add(shape, change::Op::kDelete, old_key));
        break;
      case LogOp::kUpdate: {
        ReadLogValues(rows, cols.keys, shape->pk.size(), &old_key);
        ReadLogValues(rows, cols.values, shape->columns.size(), &row);
        new_key.clear();
        for (uint32_t i : shape->pk) new_key.push_back(row[i]);
        // A key SQLite still considers equal ('A' -> 'a' under NOCASE, 1 -> 1.0) is the same
        // row: one upsert, which also writes the key's new spelling. Only another key moves
        // the row, as a delete of the old key (in its shard) and the new row.
        if (change::KeyHasNull(*shape, row) || !change::SameKey(*shape, old_key, new_key)) {
          HARMONY_RETURN_IF_ERROR(add(shape, change::Op::kDelete, old_key));
        }
        HARMONY_RETURN_IF_ERROR(add_new_row(shape, row));
        break;
      }
      default:
        return Status::Corruption("change log row " + std::to_string(seq) + " has unknown op " +
                                  std::to_string(static_cast<int64_t>(op)));
    }
  }
  for (uint32_t i = 0; i < shards.size(); ++i) {
    if (!shards[i].batch.changes.empty() || shards[i].emitted_any) {
      HARMONY_RETURN_IF_ERROR(emit(i, true));
    }
  }
  result.last_seq = up_to;
  return result;
}

Result<change::PendingChanges> PendingRowKeys(sqlite::Database& db, uint32_t shards,
                                             std::optional<uint64_t> after_seq) {
  change::PendingChanges pending;
  change::PendingRows& keys = pending.rows;
  std::map<int64_t, uint32_t> upsert_tables;  // tid -> index into pending.tables
  uint64_t published = 0;
  if (after_seq) {
    published = *after_seq;
  } else {
    HARMONY_ASSIGN_OR_RETURN(published, ReadPublishedSeq(db));
  }
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement rows,
      db.Prepare("SELECT * FROM __harmony_change_log WHERE seq > ?1 ORDER BY seq"));
  HARMONY_RETURN_IF_ERROR(rows.BindInt(1, static_cast<int64_t>(published)));
  const LogColumns cols = MapLogColumns(rows);
  std::map<int64_t, change::TableSchema> shapes;
  std::vector<Value> key;
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(bool has_row, rows.Step());
    if (!has_row) break;
    const auto seq = static_cast<uint64_t>(rows.ColumnInt(0));
    const int64_t tid = rows.ColumnInt(1);
    if (static_cast<LogOp>(rows.ColumnInt(2)) == LogOp::kSchema) continue;  // no row
    auto it = shapes.find(tid);
    if (it == shapes.end()) {
      HARMONY_ASSIGN_OR_RETURN(change::TableSchema shape, LoadShape(db, tid));
      it = shapes.emplace(tid, std::move(shape)).first;
    }
    const change::TableSchema& shape = it->second;
    // Routed as the scanner routes a change with key identity (change::ShardHash).
    auto note = [&](uint64_t key_hash) {
      const uint64_t shard_hash = shape.one_shard ? change::TableShardHash(shape) : key_hash;
      keys[key_hash] = {seq, change::ShardOf(shard_hash, shards)};  // rows come in seq order
    };
    const auto op = static_cast<LogOp>(rows.ColumnInt(2));
    // Rows with whole-row identity (kDeleteRow, a new row whose key has a NULL) are protected
    // by their content (change::WholeRowHash), as their changes travel (change::Op::kRowCopies).
    auto note_row = [&](const std::vector<Value>& row) {
      change::Change c{change::Op::kRowCopies, 0, row};
      keys[change::WholeRowHash(shape, row)] = {seq,
                                                change::ShardOf(change::ShardHash(shape, c), shards)};
    };
    if (op == LogOp::kUpdate || op == LogOp::kDelete) {  // the old key
      ReadLogValues(rows, cols.keys, shape.pk.size(), &key);
      note(change::RowKeyHash(shape, key));
    }
    std::vector<Value> row;
    if (op == LogOp::kDeleteRow) {  // the old row, with whole-row identity
      ReadLogValues(rows, cols.values, shape.columns.size(), &row);
      note_row(row);
    }
    if (op == LogOp::kInsert || op == LogOp::kUpdate || op == LogOp::kBackfill) {  // new key
      std::vector<int> pk_positions;
      for (uint32_t i : shape.pk)
        pk_positions.push_back(i < cols.values.size() ? cols.values[i] : -1);
      ReadLogValues(rows, pk_positions, shape.pk.size(), &key);
      uint64_t key_hash = 0;
      ReadLogValues(rows, cols.values, shape.columns.size(), &row);
      const bool null_key = change::KeyHasNull(shape, row);
      if (!null_key) {
        key_hash = change::RowKeyHash(shape, key);
        note(key_hash);
      } else {
        note_row(row);
      }
      if (shape.one_shard) {
        auto [table, added] =
            upsert_tables.emplace(tid, static_cast<uint32_t>(pending.tables.size()));
        if (added) pending.tables.push_back(shape);
        change::PendingUpsert upsert;
        upsert.table = table->second;
        upsert.row_hash = key_hash;
        upsert.log_seq = seq;
        upsert.shard = change::ShardOf(change::TableShardHash(shape), shards);
        upsert.values = row;
        pending.upserts.push_back(std::move(upsert));
      }
    }
  }
  return pending;
}

}  // namespace harmony::capture
