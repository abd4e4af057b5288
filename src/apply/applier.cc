#include "apply/applier.h"

#include <spdlog/spdlog.h>

#include "change/codec.h"
#include "change/shard.h"

namespace harmony::apply {
namespace {

// Own messages skipped without a transaction before their stream positions are stored anyway
// (so that a restart does not re-read too many of them).
constexpr uint64_t kPersistEvery = 1000;

Status CreateApplyTables(sqlite::Database& db) {
  return db.Exec(
      "CREATE TABLE IF NOT EXISTS __harmony_apply_position("
      "  shard INTEGER PRIMARY KEY, stream_seq INTEGER NOT NULL, own_seq INTEGER NOT NULL);"
      "CREATE TABLE IF NOT EXISTS __harmony_dead_letters("
      "  shard INTEGER NOT NULL, stream_seq INTEGER NOT NULL, error TEXT NOT NULL,"
      "  payload BLOB, received_at TEXT NOT NULL DEFAULT (datetime('now')),"
      "  PRIMARY KEY(shard, stream_seq));");
}

}  // namespace

Result<std::unique_ptr<Applier>> Applier::Open(const ApplyOptions& options,
                                               PendingKeysFn pending_keys) {
  sqlite::OpenOptions open;
  open.busy_timeout_ms = options.busy_timeout_ms;
  open.enable_triggers = false;  // no echo, no second firing of application triggers
  open.foreign_keys = false;     // cascades arrive as replicated rows of their own
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, sqlite::Database::Open(options.db_path, open));
  HARMONY_RETURN_IF_ERROR(CreateApplyTables(db));
  std::unique_ptr<Applier> applier(new Applier(std::move(db), options, std::move(pending_keys)));
  HARMONY_RETURN_IF_ERROR(applier->held_.CreateTable());
  HARMONY_RETURN_IF_ERROR(applier->LoadPositions());
  return applier;
}

Status Applier::SetPositions(const std::string& db_path,
                             const std::map<uint32_t, uint64_t>& positions) {
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, sqlite::Database::Open(db_path, {}));
  HARMONY_RETURN_IF_ERROR(CreateApplyTables(db));
  HARMONY_ASSIGN_OR_RETURN(sqlite::Transaction tx,
                           sqlite::Transaction::Begin(db, sqlite::Transaction::Mode::kImmediate));
  HARMONY_RETURN_IF_ERROR(db.Exec("DELETE FROM __harmony_apply_position"));
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement ins,
      db.Prepare("INSERT INTO __harmony_apply_position(shard, stream_seq, own_seq) "
                 "VALUES(?1, ?2, 0)"));
  for (const auto& [shard, seq] : positions) {
    HARMONY_RETURN_IF_ERROR(ins.BindInt(1, shard));
    HARMONY_RETURN_IF_ERROR(ins.BindInt(2, static_cast<int64_t>(seq)));
    HARMONY_RETURN_IF_ERROR(ins.Run());
  }
  return tx.Commit();
}

Status Applier::LoadPositions() {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement q,
      db_.Prepare("SELECT shard, stream_seq, own_seq FROM __harmony_apply_position"));
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    const auto shard = static_cast<uint32_t>(q.ColumnInt(0));
    committed_[shard] = static_cast<uint64_t>(q.ColumnInt(1));
    committed_own_[shard] = static_cast<uint64_t>(q.ColumnInt(2));
  }
  persisted_ = committed_;
  persisted_own_ = committed_own_;
  ResetToCommitted();
  return Status::Ok();
}

void Applier::ResetToCommitted() {
  position_ = committed_;
  own_ = committed_own_;
  open_batches_.clear();
  reassembler_.Clear();
}

uint64_t Applier::Position(uint32_t shard) const {
  auto it = committed_.find(shard);
  return it == committed_.end() ? 0 : it->second;
}

Status Applier::Apply(std::vector<Incoming> messages, bool force_commit) {
  if (!tx_ && !messages.empty()) {
    // Leading own messages need no transaction: their changes are in this database already.
    size_t skipped = 0;
    while (skipped < messages.size() && SkipOwn(messages[skipped])) ++skipped;
    if (skipped > 0) {
      messages.erase(messages.begin(), messages.begin() + static_cast<ptrdiff_t>(skipped));
      if (messages.empty() && !force_commit) {
        options_.own_progress->SeenUpTo(committed_);  // lets the publisher clean up its log
        return unpersisted_ >= kPersistEvery ? PersistPositions() : Status::Ok();
      }
    }
  }
  const size_t from = buffered_.size();
  for (Incoming& m : messages) buffered_.push_back(std::move(m));
  // After a failure there is no open transaction: start over from the last commit.
  Status s = ApplyBuffered(tx_ ? from : 0);
  if (s.ok() && (force_commit || !HasOpenBatch())) s = Commit();
  if (!s.ok()) {
    tx_.reset();  // rolls back
    ResetToCommitted();
  }
  return s;
}

Status Applier::Begin() {
  HARMONY_ASSIGN_OR_RETURN(sqlite::Transaction tx,
                           sqlite::Transaction::Begin(db_, sqlite::Transaction::Mode::kImmediate));
  tx_ = std::make_unique<sqlite::Transaction>(std::move(tx));
  ResetToCommitted();
  HARMONY_RETURN_IF_ERROR(writer_.RefreshSchema());
  HARMONY_RETURN_IF_ERROR(held_.Load());
  pending_.clear();
  if (pending_keys_) {
    std::optional<uint64_t> after;
    if (options_.own_progress != nullptr) after = options_.own_progress->SeenUpTo(committed_);
    HARMONY_ASSIGN_OR_RETURN(pending_, pending_keys_(db_, after));
  }
  return ReleaseHeld();
}

Status Applier::ApplyBuffered(size_t from) {
  if (!tx_) {
    HARMONY_RETURN_IF_ERROR(Begin());
    from = 0;
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
  std::string_view payload = message.payload;
  std::optional<std::string> whole;
  if (change::IsFragment(payload)) {
    auto added = reassembler_.Add(message.shard, payload);
    if (!added.ok()) {
      HARMONY_RETURN_IF_ERROR(DeadLetter(message, added.status()));
    } else if (added->has_value()) {
      whole = std::move(**added);
      payload = *whole;
    }
    if (!added.ok() || !whole) {
      pos = message.stream_seq;
      stats_.messages.fetch_add(1, std::memory_order_relaxed);
      return Status::Ok();
    }
  }
  std::optional<Result<change::Batch>> fresh;
  if (!message.decoded || whole) fresh = change::Decode(payload);
  if (fresh && !fresh->ok()) {
    HARMONY_RETURN_IF_ERROR(DeadLetter(message, fresh->status()));
  } else if (const change::Batch& b = fresh ? fresh->value() : *message.decoded; IsOwn(b)) {
    NoteOwn(message.shard, b);
  } else {
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
    HARMONY_RETURN_IF_ERROR(ApplyBatch(b)
                                .WithContext("apply " + where + " from node " +
                                             std::to_string(b.node_id)));
    if (b.last_part) {
      open_batches_.erase(key);
      if (b.node_id == options_.node_id) NoteOwn(message.shard, b);
    } else {
      open_batches_[key] = OpenBatch{b.epoch, b.first_seq, b.part + 1};
    }
  }
  pos = message.stream_seq;
  stats_.messages.fetch_add(1, std::memory_order_relaxed);
  return Status::Ok();
}

bool Applier::IsOwn(const change::Batch& batch) const {
  return options_.own_progress != nullptr && batch.node_id == options_.node_id &&
         batch.epoch == options_.epoch;
}

void Applier::NoteOwn(uint32_t shard, const change::Batch& batch) {
  // Every change of ours up to last_seq that belongs to this shard is now in the stream, at or
  // before this message: later remote changes to those rows must win over them.
  if (!batch.last_part) return;
  uint64_t& own = own_[shard];
  own = std::max(own, batch.last_seq);
}

bool Applier::SkipOwn(Incoming& message) {
  if (options_.own_progress == nullptr || HasOpenBatch()) return false;
  if (message.stream_seq <= position_[message.shard]) return true;  // re-delivery
  if (change::IsFragment(message.payload)) return false;
  if (!message.decoded) {
    auto decoded = change::Decode(message.payload);
    if (!decoded.ok()) return false;  // dead-lettered by the regular path
    message.decoded = std::move(decoded).value();
  }
  if (!IsOwn(*message.decoded)) return false;
  position_[message.shard] = message.stream_seq;
  NoteOwn(message.shard, *message.decoded);
  committed_ = position_;
  committed_own_ = own_;
  ++unpersisted_;
  stats_.messages.fetch_add(1, std::memory_order_relaxed);
  stats_.own_skipped.fetch_add(1, std::memory_order_relaxed);
  return true;
}

Status Applier::PersistPositions() {
  HARMONY_ASSIGN_OR_RETURN(sqlite::Transaction tx,
                           sqlite::Transaction::Begin(db_, sqlite::Transaction::Mode::kImmediate));
  tx_ = std::make_unique<sqlite::Transaction>(std::move(tx));
  Status s = Commit();
  if (!s.ok()) tx_.reset();
  return s;
}

Status Applier::ApplyBatch(const change::Batch& batch) {
  // Changes of tables that must wait, grouped by table index, in arrival order.
  std::map<uint32_t, std::vector<change::Change>> to_hold;
  for (const change::Change& c : batch.changes) {
    const change::TableSchema& table = batch.tables[c.table];
    if (!held_.IsHeld(table.name)) {
      HARMONY_ASSIGN_OR_RETURN(std::optional<std::string> why, writer_.Incompatibility(table));
      if (!why) {
        HARMONY_RETURN_IF_ERROR(ApplyChange(table, c));
        continue;
      }
      if (reported_paused_.insert(table.name).second) {
        spdlog::warn("table \"{}\": replication paused: {} here yet; its changes are held in "
                     "__harmony_held and applied once the local schema has it",
                     table.name, *why);
      }
    }
    to_hold[c.table].push_back(c);
  }
  for (auto& [index, changes] : to_hold) {
    stats_.held.fetch_add(changes.size(), std::memory_order_relaxed);
    HARMONY_RETURN_IF_ERROR(held_.Hold(batch.tables[index], std::move(changes), batch.node_id));
  }
  stats_.paused_tables.store(held_.tables().size(), std::memory_order_relaxed);
  return Status::Ok();
}

Status Applier::ApplyChange(const change::TableSchema& table, const change::Change& c) {
  // A change with whole-row identity is never skipped: its row is named by its content, and
  // such changes commute with the local ones.
  if (!pending_.empty() && change::IdentityOf(c.op) == change::Identity::kKey) {
    const uint64_t hash = change::ChangeRowHash(table, c);
    auto it = pending_.find(hash);
    if (it != pending_.end()) {
      // The row has a local change; skip this one unless that change is already in the stream
      // ahead of it (our own message for that shard has been seen).
      const uint32_t row_shard = change::ShardOf(hash, options_.shards);
      if (it->second > own_[row_shard]) {
        stats_.skipped_pending.fetch_add(1, std::memory_order_relaxed);
        return Status::Ok();
      }
    }
  }
  HARMONY_RETURN_IF_ERROR(writer_.Apply(table, c));
  stats_.changes.fetch_add(1, std::memory_order_relaxed);
  return Status::Ok();
}

bool Applier::HeldMayBeReleasable() {
  if (held_.empty()) return false;
  auto version = db_.QueryInt("PRAGMA schema_version");
  return version.ok() && *version != held_checked_version_;
}

Status Applier::ReleaseHeld() {
  if (held_.empty() || writer_.schema_version() == held_checked_version_) return Status::Ok();
  held_checked_version_ = writer_.schema_version();
  const std::set<std::string> tables = held_.tables();
  for (const std::string& name : tables) {
    HARMONY_ASSIGN_OR_RETURN(std::vector<change::Batch> batches, held_.Batches(name));
    bool ready = true;
    for (const change::Batch& b : batches) {
      HARMONY_ASSIGN_OR_RETURN(std::optional<std::string> why,
                               writer_.Incompatibility(b.tables[0]));
      if (why) ready = false;
    }
    if (!ready) continue;
    size_t applied = 0;
    for (const change::Batch& b : batches) {
      for (const change::Change& c : b.changes) {
        HARMONY_RETURN_IF_ERROR(
            ApplyChange(b.tables[0], c).WithContext("apply held changes of " + name));
        ++applied;
      }
    }
    HARMONY_RETURN_IF_ERROR(held_.Release(name));
    reported_paused_.erase(name);
    stats_.released.fetch_add(applied, std::memory_order_relaxed);
    spdlog::info("table \"{}\": replication resumed; applied {} held changes", name, applied);
  }
  stats_.paused_tables.store(held_.tables().size(), std::memory_order_relaxed);
  return Status::Ok();
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
      db_.Prepare("INSERT OR REPLACE INTO __harmony_apply_position(shard, stream_seq, own_seq) "
                  "VALUES(?1, ?2, ?3)"));
  for (const auto& [shard, seq] : position_) {
    const uint64_t own = own_[shard];
    auto it = persisted_.find(shard);
    if (it != persisted_.end() && it->second == seq && persisted_own_[shard] == own) continue;
    HARMONY_RETURN_IF_ERROR(up.BindInt(1, shard));
    HARMONY_RETURN_IF_ERROR(up.BindInt(2, static_cast<int64_t>(seq)));
    HARMONY_RETURN_IF_ERROR(up.BindInt(3, static_cast<int64_t>(own)));
    HARMONY_RETURN_IF_ERROR(up.Run());
  }
  HARMONY_RETURN_IF_ERROR(tx_->Commit().WithContext("commit applied changes"));
  tx_.reset();
  committed_ = persisted_ = position_;
  committed_own_ = persisted_own_ = own_;
  unpersisted_ = 0;
  if (options_.own_progress != nullptr) options_.own_progress->SeenUpTo(committed_);
  buffered_.clear();
  open_batches_.clear();
  stats_.commits.fetch_add(1, std::memory_order_relaxed);
  return Status::Ok();
}

}  // namespace harmony::apply
