#include "apply/applier.h"

#include <spdlog/spdlog.h>

#include "change/codec.h"
#include "change/shard.h"

namespace harmony::apply {
namespace {

// Whether applying `c` writes a row (and so can collide through a UNIQUE index): not a delete,
// and not a kRowCopies that leaves no copy.
bool WritesRow(const change::Change& c) {
  if (c.op == change::Op::kDelete || c.op == change::Op::kDeleteRow) return false;
  if (c.op == change::Op::kRowCopies) {
    const int64_t* n = c.values.empty() ? nullptr : std::get_if<int64_t>(&c.values.back());
    return n != nullptr && *n > 0;
  }
  return true;
}

// Own messages passed over without a transaction before their stream positions are stored
// anyway (so that a restart does not re-read too many of them).
constexpr uint64_t kPersistEvery = 1000;

// JetStream numbers a stream's messages 1, 2, 3 ... and drops only the oldest ones (limits), so a
// message that does not follow the last one taken in means the stream dropped messages this node
// never took in: replaying past them would diverge for good.
constexpr char kStreamGap[] = " were dropped from the stream before this node applied them";

Status CheckFollows(const Incoming& m, uint64_t position) {
  if (m.stream_seq == position + 1) return Status::Ok();
  return Status::NotFound("shard " + std::to_string(m.shard) + ": stream sequence " +
                          std::to_string(m.stream_seq) + " follows " + std::to_string(position) +
                          ": messages " + std::to_string(position + 1) + " to " +
                          std::to_string(m.stream_seq - 1) +
                          kStreamGap + "; a snapshot must be restored");
}

std::string Where(const Incoming& m) {
  return "shard " + std::to_string(m.shard) + " seq " + std::to_string(m.stream_seq);
}

}  // namespace

bool IsStreamGap(const Status& s) {
  return s.code() == Status::Code::kNotFound && s.message().find(kStreamGap) != std::string::npos;
}

Result<std::unique_ptr<Applier>> Applier::Open(const ApplyOptions& options,
                                               PendingKeysFn pending_keys) {
  sqlite::OpenOptions open;
  open.busy_timeout_ms = options.busy_timeout_ms;
  open.enable_triggers = false;  // no echo, no second firing of application triggers
  open.foreign_keys = false;     // cascades arrive as replicated rows of their own
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, sqlite::Database::Open(options.db_path, open));
  std::unique_ptr<Applier> a(new Applier(std::move(db), options, std::move(pending_keys)));
  Applier* raw = a.get();
  a->writer_.set_is_replicated(options.is_replicated);
  a->writer_.set_replace_guard(
      [raw](const change::TableSchema& table, const std::vector<std::vector<Value>>& others) {
        return raw->MayReplace(table, others);
      });
  HARMONY_RETURN_IF_ERROR(state::CreatePositionTable(a->db_));
  HARMONY_RETURN_IF_ERROR(a->held_.CreateTable());
  HARMONY_RETURN_IF_ERROR(a->dead_letters_.CreateTable());
  HARMONY_RETURN_IF_ERROR(a->partial_.CreateTable());
  HARMONY_RETURN_IF_ERROR(a->conflicts_.CreateTable());
  HARMONY_RETURN_IF_ERROR(a->schema_.CreateTables());
  HARMONY_ASSIGN_OR_RETURN(a->applied_, state::LoadPositions(a->db_));
  a->persisted_ = a->applied_;
  HARMONY_RETURN_IF_ERROR(a->ReloadAfterRollback());
  return a;
}

Status Applier::SetPositions(const std::string& db_path,
                             const std::map<uint32_t, uint64_t>& positions) {
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, sqlite::Database::Open(db_path, {}));
  return state::ReplacePositions(db, positions);
}

Status Applier::ReloadAfterRollback() {
  schema_.Reset();
  HARMONY_RETURN_IF_ERROR(held_.Load());
  HARMONY_RETURN_IF_ERROR(dead_letters_.Load());
  HARMONY_RETURN_IF_ERROR(assembler_.Reload());
  stats_.partial.store(assembler_.open(), std::memory_order_relaxed);
  return Status::Ok();
}

bool Applier::IsOwnOfThisEpoch(const change::Batch& batch) const {
  return options_.own_progress != nullptr && batch.node_id == options_.node_id &&
         batch.epoch == options_.epoch;
}

bool Applier::PassWithoutTransaction(std::vector<Incoming>& messages) {
  // Own messages whose rows carry set-aside changes must mark them superseded: a transaction.
  if (options_.own_progress == nullptr || dead_letters_.AnyPending()) return false;
  state::Positions reached = applied_;
  for (Incoming& m : messages) {
    if (m.stream_seq <= reached.StreamSeq(m.shard)) continue;          // re-delivery
    if (m.stream_seq != reached.StreamSeq(m.shard) + 1) return false;  // reported by TakeIn
    if (change::IsFragment(m.payload)) return false;
    if (!m.decoded) {
      auto decoded = change::Decode(m.payload);
      if (!decoded.ok()) return false;  // set aside by the transactional path
      m.decoded = std::move(decoded).value();
    }
    if (!IsOwnOfThisEpoch(*m.decoded)) return false;
    if (m.decoded->part > 0 || !m.decoded->last_part) return false;  // stored: a transaction
    reached.Advance(m.shard, m.stream_seq);
    if (m.decoded->last_part) reached.NoteOwn(m.shard, m.decoded->last_seq);
    // Only its header mattered: do not keep up to 256 decoded batches of one's own rows (a
    // transaction that takes this message after all decodes it again).
    m.decoded.reset();
  }
  const uint64_t n = messages.size();
  applied_ = std::move(reached);
  unpersisted_ += n;
  stats_.messages.fetch_add(n, std::memory_order_relaxed);
  stats_.own_skipped.fetch_add(n, std::memory_order_relaxed);
  return true;
}

Status Applier::Apply(std::vector<Incoming>& messages) {
  {
    // Before anything else, so that a gap is reported as such even while the database is busy.
    state::Positions reached = applied_;
    for (const Incoming& m : messages) {
      if (m.stream_seq <= reached.StreamSeq(m.shard)) continue;
      HARMONY_RETURN_IF_ERROR(CheckFollows(m, reached.StreamSeq(m.shard)));
      reached.Advance(m.shard, m.stream_seq);
    }
  }
  if (!messages.empty() && PassWithoutTransaction(messages)) {
    options_.own_progress->SeenUpTo(applied_.StreamSeqs());  // lets the publisher clean its log
    return unpersisted_ >= kPersistEvery ? Flush() : Status::Ok();
  }
  Status s = ApplyInTransaction(messages, /*careful=*/false);
  if (s.code() == Status::Code::kRejected) {
    // Some change was refused for good. Go again, one savepoint per change, so that exactly the
    // refused changes are set aside (savepoints cost too much to pay on every change).
    s = ApplyInTransaction(messages, /*careful=*/true);
  }
  return s;
}

Status Applier::Flush() {
  // A round's acks can reach the publish loop after its messages reached us: let it know again
  // what we have passed, so that it can clean up its change log while nothing new arrives.
  if (options_.own_progress != nullptr) options_.own_progress->SeenUpTo(applied_.StreamSeqs());
  if (applied_ == persisted_) return Status::Ok();
  HARMONY_ASSIGN_OR_RETURN(sqlite::Transaction tx,
                           sqlite::Transaction::Begin(db_, sqlite::Transaction::Mode::kImmediate));
  HARMONY_RETURN_IF_ERROR(state::SavePositions(db_, applied_, persisted_));
  HARMONY_RETURN_IF_ERROR(tx.Commit().WithContext("store apply positions"));
  persisted_ = applied_;
  unpersisted_ = 0;
  return Status::Ok();
}

Status Applier::ApplyInTransaction(std::vector<Incoming>& messages, bool careful) {
  const auto began = std::chrono::steady_clock::now();
  work_ = applied_;
  Status s = [&]() -> Status {
    HARMONY_ASSIGN_OR_RETURN(
        sqlite::Transaction tx,
        sqlite::Transaction::Begin(db_, sqlite::Transaction::Mode::kImmediate));
    HARMONY_RETURN_IF_ERROR(writer_.RefreshSchema());
    schema_.BeginTransaction();
    pending_ = {};
    pending_loaded_ = false;
    HARMONY_RETURN_IF_ERROR(ReleaseHeld(careful));
    for (Incoming& m : messages) HARMONY_RETURN_IF_ERROR(TakeIn(m, careful));
    HARMONY_RETURN_IF_ERROR(state::SavePositions(db_, work_, persisted_));
    return tx.Commit().WithContext("commit applied changes");
  }();
  if (!s.ok()) {
    // Rolled back: the in-memory views of the state tables go back to what is committed.
    Status reloaded = ReloadAfterRollback();
    if (!reloaded.ok()) return reloaded.WithContext("after " + s.message());
    held_checked_version_ = -1;
    return s;
  }
  applied_ = persisted_ = work_;
  unpersisted_ = 0;
  if (options_.own_progress != nullptr) options_.own_progress->SeenUpTo(applied_.StreamSeqs());
  stats_.partial.store(assembler_.open(), std::memory_order_relaxed);
  stats_.commits.fetch_add(1, std::memory_order_relaxed);
  stats_.apply_latency.Observe(std::chrono::steady_clock::now() - began);
  stats_.last_commit_unix_ms.store(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count(),
      std::memory_order_relaxed);
  return Status::Ok();
}

Status Applier::TakeIn(Incoming& m, bool careful) {
  if (m.stream_seq <= work_.StreamSeq(m.shard)) return Status::Ok();  // re-delivery
  HARMONY_RETURN_IF_ERROR(CheckFollows(m, work_.StreamSeq(m.shard)));
  stats_.messages.fetch_add(1, std::memory_order_relaxed);
  if (change::IsFragment(m.payload)) {
    HARMONY_ASSIGN_OR_RETURN(Assembler::FragmentResult f,
                             assembler_.TakeFragment(m.shard, m.stream_seq, m.payload));
    if (!f.rejected.ok()) {
      HARMONY_RETURN_IF_ERROR(DeadLetterMessage(m, f.rejected));
    } else if (f.whole) {
      auto batch = change::Decode(*f.whole);
      if (!batch.ok()) {
        HARMONY_RETURN_IF_ERROR(DeadLetterMessage(m, batch.status()));
      } else {
        HARMONY_RETURN_IF_ERROR(TakeDecoded(m, std::move(batch).value(), *f.whole, careful));
      }
    }
  } else {
    if (!m.decoded) {
      auto batch = change::Decode(m.payload);
      if (!batch.ok()) {
        HARMONY_RETURN_IF_ERROR(DeadLetterMessage(m, batch.status()));
        work_.Advance(m.shard, m.stream_seq);
        return Status::Ok();
      }
      m.decoded = std::move(batch).value();
    }
    // Moved out, not copied, and not kept: the decoded rows of up to 256 messages held until the
    // transaction ended were most of a peer's memory (a careful retry decodes again).
    change::Batch batch = std::move(*m.decoded);
    m.decoded.reset();
    HARMONY_RETURN_IF_ERROR(TakeDecoded(m, std::move(batch), m.payload, careful));
  }
  work_.Advance(m.shard, m.stream_seq);
  return Status::Ok();
}

Status Applier::TakeDecoded(const Incoming& m, change::Batch batch, std::string_view encoded,
                            bool careful) {
  if (IsOwnOfThisEpoch(batch)) {
    // Every change of ours up to last_seq that belongs to this shard is now in the stream, at or
    // before this message: later remote changes to those rows must win over them.
    if (batch.last_part) work_.NoteOwn(m.shard, batch.last_seq);
    if (dead_letters_.AnyPending()) {
      for (const change::Change& c : batch.changes) {
        const uint64_t hash = change::ChangeRowHash(batch.tables[c.table], c);
        if (dead_letters_.HasPending(hash)) HARMONY_RETURN_IF_ERROR(dead_letters_.Supersede(hash));
      }
    }
    stats_.own_skipped.fetch_add(1, std::memory_order_relaxed);
    if (batch.part > 0 || !batch.last_part) {
      // A piece of our own split batch: nothing to apply, but it waits in __harmony_partial like
      // anyone's, so that a snapshot of this database (whose positions pass it) lets the node
      // restored from it finish the unit when the last part arrives.
      HARMONY_ASSIGN_OR_RETURN(Assembler::PartResult own, assembler_.TakePart(m.shard, m.stream_seq,
                                                                              std::move(batch),
                                                                              encoded));
      if (own.abandoned) spdlog::warn("{}: {}", Where(m), *own.abandoned);
    }
    return Status::Ok();
  }
  const uint64_t sender = batch.node_id;
  const uint64_t last_seq = batch.last_seq;
  HARMONY_ASSIGN_OR_RETURN(Assembler::PartResult p,
                           assembler_.TakePart(m.shard, m.stream_seq, std::move(batch), encoded));
  if (p.abandoned) spdlog::warn("{}: {}", Where(m), *p.abandoned);
  if (!p.unit) return Status::Ok();  // waits in __harmony_partial for the rest
  HARMONY_RETURN_IF_ERROR(
      ApplyUnit(*p.unit, m, careful)
          .WithContext("apply " + Where(m) + " from node " + std::to_string(sender)));
  // Without OwnProgress (tests, tools) an own message ends the protection of its rows as it is
  // applied. An own message of an earlier epoch (this database was replaced since) is applied
  // like any other and leaves own_seq alone: its sequence numbers belong to the old change log.
  if (sender == options_.node_id && options_.own_progress == nullptr) {
    work_.NoteOwn(m.shard, last_seq);
  }
  return Status::Ok();
}

Status Applier::ApplyChange(const change::TableSchema& table, const change::Change& c,
                            const Incoming* m, uint64_t origin, bool careful) {
  const uint64_t hash = change::ChangeRowHash(table, c);
  // The row has a local change: skip this one unless that change is already in the stream ahead
  // of it (our own message for that shard has been seen). Rows with whole-row identity are
  // protected by content when they travel as a state (kRowCopies); the steps of older builds
  // (ops 3-5) cannot be.
  bool protected_row = false;
  if (change::IdentityOf(c.op) == change::Identity::kKey || c.op == change::Op::kRowCopies) {
    HARMONY_ASSIGN_OR_RETURN(protected_row, IsProtected(hash));
    // A change translated to today's names: a local change of the row may still be logged
    // under the old names too (captured before this node's sync followed the rename).
    if (!protected_row && translated_from_.table != nullptr) {
      HARMONY_ASSIGN_OR_RETURN(
          protected_row,
          IsProtected(change::ChangeRowHash(*translated_from_.table, *translated_from_.change)));
    }
  }
  if (protected_row) {
    stats_.skipped_pending.fetch_add(1, std::memory_order_relaxed);
    HARMONY_RETURN_IF_ERROR(RecordConflict("row", table, c, m, origin));
    return ApplyCollisionsOf(table, c);
  }
  // A change translated to today's names was routed by its sender under the old ones.
  if (m != nullptr && options_.shards > 1 && !applying_translated_) {
    HARMONY_RETURN_IF_ERROR(CheckRouting(table, c, hash, m->shard));
  }
  HARMONY_ASSIGN_OR_RETURN(const PendingKeys* pending, Pending());
  if (!pending->upserts.empty() && WritesRow(c)) {
    HARMONY_ASSIGN_OR_RETURN(bool loses, LosesToPendingUpsert(table, c, hash));
    if (loses) {
      // Everywhere else that local change arrives after this one and replaces its row by the
      // same collision (INSERT OR REPLACE): this row goes here too.
      stats_.unique_conflicts.fetch_add(1, std::memory_order_relaxed);
      stats_.skipped_pending.fetch_add(1, std::memory_order_relaxed);
      HARMONY_RETURN_IF_ERROR(RecordConflict("unique", table, c, m, origin));
      HARMONY_RETURN_IF_ERROR(ApplyCollisionsOf(table, c));
      if (c.op == change::Op::kRowCopies) {  // its copies would be replaced everywhere
        std::vector<Value> none = c.values;
        none.back() = int64_t{0};
        return writer_.Apply(table, {change::Op::kRowCopies, c.table, std::move(none)});
      }
      if (c.op != change::Op::kUpsert) return Status::Ok();
      std::vector<Value> key;
      for (uint32_t i : table.pk) key.push_back(c.values[i]);
      // Through Apply, so that the table's derived triggers (an FTS5 index) see the delete.
      return writer_.Apply(table, {change::Op::kDelete, c.table, std::move(key)});
    }
  }
  current_ = Current{&c, m, origin};
  auto write = [&] { return writer_.Apply(table, c); };
  if (!careful) {
    HARMONY_RETURN_IF_ERROR(write());
  } else {
    HARMONY_RETURN_IF_ERROR(db_.Exec("SAVEPOINT harmony_change"));
    Status s = write();
    if (s.code() == Status::Code::kRejected) {
      HARMONY_RETURN_IF_ERROR(db_.Exec("ROLLBACK TO harmony_change; RELEASE harmony_change"));
      return SetAside(table, c, hash, m ? m->shard : 0, m ? m->stream_seq : 0, origin, s);
    }
    HARMONY_RETURN_IF_ERROR(db_.Exec("RELEASE harmony_change"));
    HARMONY_RETURN_IF_ERROR(s);
  }
  // A later change to a row whose earlier change was set aside: applying that one again would
  // roll the row back.
  if (dead_letters_.HasPending(hash)) HARMONY_RETURN_IF_ERROR(dead_letters_.Supersede(hash));
  stats_.changes.fetch_add(1, std::memory_order_relaxed);
  return Status::Ok();
}

Result<bool> Applier::LosesToPendingUpsert(const change::TableSchema& table,
                                           const change::Change& c, uint64_t hash) {
  const std::vector<UniqueIndex>* indexes = nullptr;
  for (const change::PendingUpsert& p : pending_.upserts) {
    const change::TableSchema& shape = pending_.tables[p.table];
    if (!sqlite::SameIdentifier(shape.name, table.name)) continue;
    if (p.row_hash != 0 && p.row_hash == hash) continue;  // the same row: row protection's case
    if (p.log_seq <= work_.Get(p.shard).own_seq) continue;  // in the stream ahead of this one
    if (indexes == nullptr) {
      HARMONY_ASSIGN_OR_RETURN(indexes, writer_.UniqueIndexes(table.name));
    }
    for (const UniqueIndex& index : *indexes) {
      if (CollideThrough(index, table, c.values, shape, p.values)) return true;
    }
  }
  return false;
}

// Whether this node sends `table` in one shard (capture::ReadCatalog's one_shard): a UNIQUE index
// besides the key. A table without a declared PRIMARY KEY whose sender keyed it by a UNIQUE
// index (a non-empty key in the shape) has one index fewer "besides" it.
Result<bool> Applier::LocalOneShard(const change::TableSchema& table) {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement q,
      db_.Prepare("SELECT (SELECT count(*) FROM pragma_index_list(?1, 'main') WHERE "
                  "\"unique\" = 1 AND origin != 'pk'), (SELECT count(*) FROM "
                  "pragma_table_xinfo(?1, 'main') WHERE pk > 0)"));
  HARMONY_RETURN_IF_ERROR(q.BindText(1, table.name));
  HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return false;
  const int64_t unique = q.ColumnInt(0);
  const bool declared_key = q.ColumnInt(1) > 0;
  const bool keyed_by_index = !declared_key && !table.pk.empty();
  return unique > (keyed_by_index ? 1 : 0);
}

Status Applier::CheckRouting(const change::TableSchema& table, const change::Change& c,
                             uint64_t hash, uint32_t shard) {
  if (routing_version_ != writer_.schema_version()) {
    local_one_shard_.clear();
    routing_version_ = writer_.schema_version();
  }
  auto it = local_one_shard_.find(table.name);
  if (it == local_one_shard_.end()) {
    HARMONY_ASSIGN_OR_RETURN(bool one_shard, LocalOneShard(table));
    it = local_one_shard_.emplace(table.name, one_shard).first;
  }
  // A decoded shape never has one_shard set: ShardHash of it is the keyed routing.
  const uint64_t shard_hash = it->second ? change::TableShardHash(table)
                              : change::IdentityOf(c.op) == change::Identity::kKey
                                  ? hash
                                  : change::ShardHash(table, c);
  const uint32_t expected = change::ShardOf(shard_hash, options_.shards);
  if (expected == shard) return Status::Ok();
  stats_.misrouted.fetch_add(1, std::memory_order_relaxed);
  if (reported_routing_.insert(table.name).second) {
    spdlog::warn(
        "table \"{}\": a change arrived in shard {} but this node sends that row's changes in "
        "shard {}: the nodes differ in this table's UNIQUE indexes (a table with one besides its "
        "key is sent in a single shard) or in replication_log.shards; until they agree, "
        "concurrent changes of one row may end differently on different nodes "
        "(docs/architecture.md, \"Secondary UNIQUE constraints\"); further ones are only counted",
        table.name, shard, expected);
  }
  return Status::Ok();
}

Status Applier::RecordConflict(const char* kind, const change::TableSchema& table,
                               const change::Change& c, const Incoming* m, uint64_t origin) {
  stats_.conflicts.fetch_add(1, std::memory_order_relaxed);
  state::Conflict conflict;
  conflict.table = table.name;
  conflict.kind = kind;
  if (c.op == change::Op::kDelete || change::IdentityOf(c.op) == change::Identity::kRow) {
    conflict.key = c.values;
  } else {
    for (uint32_t i : table.pk) conflict.key.push_back(c.values[i]);
  }
  if (c.op != change::Op::kDelete) conflict.losing_values = c.values;
  conflict.losing_op = c.op == change::Op::kUpsert   ? "upsert"
                       : c.op == change::Op::kDelete ? "delete"
                                                     : "row";
  conflict.losing_origin = origin;
  conflict.winning_origin = options_.node_id;
  conflict.shard = m ? m->shard : 0;
  conflict.stream_seq = m ? m->stream_seq : 0;
  return conflicts_.Record(conflict);
}

Result<bool> Applier::MayReplace(const change::TableSchema& table,
                                 const std::vector<std::vector<Value>>& others) {
  stats_.unique_conflicts.fetch_add(1, std::memory_order_relaxed);
  for (const std::vector<Value>& key : others) {
    HARMONY_ASSIGN_OR_RETURN(bool protected_row, IsProtected(change::RowKeyHash(table, key)));
    if (protected_row) {
      // That row has a local change whose message comes later in the stream than this one: on
      // every other node it replaces this row when it arrives, so this one loses here too.
      stats_.skipped_pending.fetch_add(1, std::memory_order_relaxed);
      if (current_.change != nullptr) {
        HARMONY_RETURN_IF_ERROR(
            RecordConflict("unique", table, *current_.change, current_.message, current_.origin));
      }
      HARMONY_RETURN_IF_ERROR(DeleteUnprotected(table, others));
      return false;
    }
  }
  return true;  // this change is the later one in stream order: it replaces them, as everywhere
}

Result<const PendingKeys*> Applier::Pending() {
  if (!pending_loaded_) {
    if (pending_keys_) {
      // Where protection starts is fixed by what applied_ had seen when the transaction began.
      std::optional<uint64_t> after;
      if (options_.own_progress != nullptr) {
        after = options_.own_progress->SeenUpTo(applied_.StreamSeqs());
      }
      HARMONY_ASSIGN_OR_RETURN(pending_, pending_keys_(db_, after));
    }
    pending_loaded_ = true;
  }
  return &pending_;
}

Result<bool> Applier::IsProtected(uint64_t row_hash) {
  HARMONY_ASSIGN_OR_RETURN(const PendingKeys* pending, Pending());
  auto it = pending->rows.find(row_hash);
  return it != pending->rows.end() && it->second.log_seq > work_.Get(it->second.shard).own_seq;
}

Status Applier::DeleteUnprotected(const change::TableSchema& table,
                                  const std::vector<std::vector<Value>>& keys) {
  for (const std::vector<Value>& key : keys) {
    HARMONY_ASSIGN_OR_RETURN(bool protected_row, IsProtected(change::RowKeyHash(table, key)));
    if (!protected_row) {
      HARMONY_RETURN_IF_ERROR(writer_.Apply(table, {change::Op::kDelete, 0, key}));
    }
  }
  return Status::Ok();
}

Status Applier::ApplyCollisionsOf(const change::TableSchema& table, const change::Change& c) {
  if (!WritesRow(c)) return Status::Ok();
  HARMONY_ASSIGN_OR_RETURN(const std::vector<UniqueIndex>* indexes,
                           writer_.UniqueIndexes(table.name));
  if (indexes->empty()) return Status::Ok();
  HARMONY_ASSIGN_OR_RETURN(std::vector<std::vector<Value>> others,
                           FindUniqueConflicts(db_, table, c.values, *indexes));
  return DeleteUnprotected(table, others);
}

Status Applier::SetAside(const change::TableSchema& table, const change::Change& c,
                         uint64_t key_hash, uint32_t shard, uint64_t stream_seq, uint64_t origin,
                         const Status& why) {
  change::Batch one;
  one.node_id = origin;
  one.tables.push_back(table);
  one.changes.push_back(c);
  one.changes[0].table = 0;
  HARMONY_RETURN_IF_ERROR(dead_letters_.AddChange(shard, stream_seq, origin, table.name, key_hash,
                                                  change::Encode(one, {}), why.message()));
  stats_.dead_letters.fetch_add(1, std::memory_order_relaxed);
  if (reported_rejections_.insert(table.name).second) {
    spdlog::error(
        "table \"{}\": a change from node {} ({}) was refused by this database and set "
        "aside in __harmony_dead_letters: {}; replication goes on (list them with "
        "'harmony -config <file> dead-letters', apply them again with 'dead-letters "
        "retry' once the cause is fixed); further ones for this table are only counted",
        table.name, origin, "shard " + std::to_string(shard) + " seq " + std::to_string(stream_seq),
        why.message());
  }
  return Status::Ok();
}

Status Applier::DeadLetterMessage(const Incoming& m, const Status& why) {
  spdlog::error("{}: message set aside in __harmony_dead_letters: {}", Where(m), why.message());
  HARMONY_RETURN_IF_ERROR(
      dead_letters_.AddMessage(m.shard, m.stream_seq, m.payload, why.message()));
  stats_.dead_letters.fetch_add(1, std::memory_order_relaxed);
  return Status::Ok();
}

}  // namespace harmony::apply
