#include "apply/dead_letter_retry.h"

#include <algorithm>

#include "apply/row_writer.h"
#include "change/codec.h"
#include "sqlite/database.h"
#include "state/dead_letters.h"

namespace harmony::apply {

Result<RetryReport> RetryDeadLetters(const std::string& db_path, const std::vector<int64_t>& ids,
                                     int busy_timeout_ms, const PendingRowsFn& pending) {
  sqlite::OpenOptions open;
  open.busy_timeout_ms = busy_timeout_ms;
  open.enable_triggers = false;  // as the applier: no capture, no application triggers
  open.wal = false;
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, sqlite::Database::Open(db_path, open));
  HARMONY_ASSIGN_OR_RETURN(std::vector<state::DeadLetter> all, state::ListDeadLetters(db));
  for (int64_t id : ids) {
    if (std::none_of(all.begin(), all.end(), [&](const auto& d) { return d.id == id; })) {
      return Status::NotFound("no dead letter with id " + std::to_string(id));
    }
  }
  RetryReport report;
  RowWriter writer(&db);
  for (const state::DeadLetter& d : all) {
    if (!ids.empty() && std::find(ids.begin(), ids.end(), d.id) == ids.end()) continue;
    if (d.kind != "change") {
      ++report.messages;
      continue;
    }
    if (d.status != "pending") {
      ++report.superseded;
      continue;
    }
    auto batch = change::Decode(d.payload);
    if (!batch.ok() || batch->changes.size() != 1 || batch->tables.size() != 1) {
      return Status::Corruption("dead letter " + std::to_string(d.id) +
                                " does not hold one change");
    }
    HARMONY_ASSIGN_OR_RETURN(sqlite::Transaction tx,
                             sqlite::Transaction::Begin(db, sqlite::Transaction::Mode::kImmediate));
    // The running applier may have superseded it (or an operator removed it) since the list was
    // read: look again inside the write transaction.
    HARMONY_ASSIGN_OR_RETURN(std::optional<std::string> status_now,
                             state::DeadLetterStatus(db, d.id));
    if (status_now != std::optional<std::string>("pending")) {
      if (status_now) ++report.superseded;
      continue;
    }
    if (pending && d.key_hash) {
      HARMONY_ASSIGN_OR_RETURN(change::PendingChanges local, pending(db));
      if (local.rows.count(*d.key_hash) > 0) {
        HARMONY_RETURN_IF_ERROR(state::SupersedeDeadLetters(db, {*d.key_hash}));
        HARMONY_RETURN_IF_ERROR(tx.Commit());
        ++report.superseded;
        continue;
      }
    }
    HARMONY_RETURN_IF_ERROR(writer.RefreshSchema());
    const change::TableSchema& table = batch->tables[0];
    const change::Change& c = batch->changes[0];
    HARMONY_ASSIGN_OR_RETURN(std::optional<std::string> missing, writer.Incompatibility(table));
    Status s = missing ? Status::Rejected(*missing) : writer.Apply(table, c);
    if (s.code() == Status::Code::kRejected) {
      tx.Rollback();
      HARMONY_RETURN_IF_ERROR(state::UpdateDeadLetterError(db, d.id, s.message()));
      ++report.failed;
      continue;
    }
    HARMONY_RETURN_IF_ERROR(s.WithContext("dead letter " + std::to_string(d.id)));
    HARMONY_RETURN_IF_ERROR(state::RemoveDeadLetter(db, d.id));
    HARMONY_RETURN_IF_ERROR(tx.Commit());
    ++report.applied;
  }
  return report;
}

}  // namespace harmony::apply
