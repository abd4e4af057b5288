#include "commands/dead_letter_command.h"

#include <fmt/format.h>

#include "apply/dead_letter_retry.h"
#include "capture/scanner.h"
#include "capture/schema_sync.h"
#include "sqlite/database.h"
#include "state/dead_letters.h"

namespace harmony::commands {
namespace {

std::string OneLine(std::string text, size_t max) {
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (text.size() > max) text = text.substr(0, max - 3) + "...";
  return text;
}

Status List(sqlite::Database& db, std::FILE* out) {
  HARMONY_ASSIGN_OR_RETURN(std::vector<state::DeadLetter> all, state::ListDeadLetters(db));
  if (all.empty()) {
    std::fprintf(out, "no dead letters in %s\n", db.path().c_str());
    return Status::Ok();
  }
  std::fprintf(out, "%-6s %-10s %-7s %-12s %-20s %-20s %-19s %s\n", "ID", "STATUS", "KIND",
               "SHARD:SEQ", "ORIGIN", "TABLE", "RECEIVED (UTC)", "ERROR");
  int64_t pending = 0;
  for (const state::DeadLetter& d : all) {
    if (d.status == "pending" && d.kind == "change") ++pending;
    std::fprintf(out, "%-6lld %-10s %-7s %-12s %-20s %-20s %-19s %s\n",
                 static_cast<long long>(d.id), d.status.c_str(), d.kind.c_str(),
                 fmt::format("{}:{}", d.shard, d.stream_seq).c_str(),
                 d.origin ? std::to_string(*d.origin).c_str() : "-",
                 d.table.empty() ? "-" : OneLine(d.table, 20).c_str(), d.received_at.c_str(),
                 OneLine(d.error, 200).c_str());
  }
  std::fprintf(out,
               "%zu dead letter(s), %lld change(s) pending; after fixing the cause run "
               "'dead-letters retry' (superseded ones are never applied again)\n",
               all.size(), static_cast<long long>(pending));
  return Status::Ok();
}

}  // namespace

Status DeadLetterCommand(const config::Config& config, const std::string& action,
                         const std::vector<int64_t>& ids, std::FILE* out) {
  if (action != "list" && action != "retry" && action != "discard") {
    return Status::InvalidArgument("dead-letters: unknown action '" + action +
                                   "' (use list, retry [ID...] or discard ID...)");
  }
  if (action == "discard" && ids.empty()) {
    return Status::InvalidArgument("dead-letters discard: give the ids to discard");
  }
  if (action == "list" && !ids.empty()) {
    return Status::InvalidArgument("dead-letters list takes no ids");
  }
  sqlite::OpenOptions open;
  open.wal = false;
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, sqlite::Database::Open(config.db_path, open));
  if (action == "list") return List(db, out);
  if (action == "discard") {
    for (int64_t id : ids) {
      HARMONY_RETURN_IF_ERROR(state::RemoveDeadLetter(db, id));
      std::fprintf(out, "discarded dead letter %lld\n", static_cast<long long>(id));
    }
    return Status::Ok();
  }
  apply::PendingRowsFn pending;
  if (config.publish) {
    pending = [shards = config.replication_log.shards](
                  sqlite::Database& db) -> Result<change::PendingChanges> {
      HARMONY_ASSIGN_OR_RETURN(bool installed, capture::CaptureInstalled(db));
      if (!installed) return change::PendingChanges{};
      return capture::PendingRowKeys(db, shards);
    };
  }
  HARMONY_ASSIGN_OR_RETURN(apply::RetryReport r,
                           apply::RetryDeadLetters(config.db_path, ids, 10000, pending));
  std::fprintf(out,
               "applied %lld, refused again %lld, superseded (left alone) %lld, undecodable "
               "messages (cannot be applied; discard them) %lld\n",
               static_cast<long long>(r.applied), static_cast<long long>(r.failed),
               static_cast<long long>(r.superseded), static_cast<long long>(r.messages));
  if (r.failed > 0) {
    return Status::Rejected(std::to_string(r.failed) +
                            " change(s) were refused again; see 'dead-letters list'");
  }
  return Status::Ok();
}

}  // namespace harmony::commands
