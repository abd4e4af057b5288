#include "apply/schema_follower.h"

#include <spdlog/spdlog.h>

namespace harmony::apply {

void SchemaFollower::Reset() {
  ahead_.clear();
  all_.reset();
}

Result<std::vector<std::string>> SchemaFollower::Take(const change::Change& c, uint32_t shard,
                                                      uint64_t origin) {
  const Text* json = std::get_if<Text>(&c.values.at(0));
  if (json == nullptr) return Status::Corruption("schema change without its text");
  HARMONY_ASSIGN_OR_RETURN(change::SchemaChange change, change::DecodeSchemaChange(json->bytes));
  HARMONY_ASSIGN_OR_RETURN(bool applied, state::SchemaChangeApplied(*db_, change.id));
  Reset();
  if (applied) {
    HARMONY_RETURN_IF_ERROR(state::SchemaChangeArrived(*db_, change.id, shard));
    return std::vector<std::string>{};
  }
  if (!apply_schema_) {
    stats_.ignored.fetch_add(1, std::memory_order_relaxed);
    HARMONY_RETURN_IF_ERROR(state::MarkSchemaChangeApplied(*db_, change.id, shard, 0));
    spdlog::warn("schema change {} from node {} not carried out: replicate_ddl is off here ({} "
                 "step(s); docs/schema-changes.md, \"Migrating by hand\")",
                 change.id, origin, change.steps.size());
    return std::vector<std::string>{};
  }
  HARMONY_ASSIGN_OR_RETURN(SchemaChangeOutcome outcome, apply_schema_(*db_, change));
  HARMONY_RETURN_IF_ERROR(state::MarkSchemaChangeApplied(*db_, change.id, shard, shards_));
  HARMONY_RETURN_IF_ERROR(writer_->RefreshSchema());
  stats_.changes.fetch_add(1, std::memory_order_relaxed);
  stats_.conflicts.fetch_add(outcome.conflicts.size(), std::memory_order_relaxed);
  for (const std::string& conflict : outcome.conflicts) {
    spdlog::error("schema change {} from node {}: refused here: {} (docs/schema-changes.md, "
                  "\"Conflicting changes\")",
                  change.id, origin, conflict);
  }
  spdlog::info("schema change {} from node {} carried out: {} of {} step(s) changed something",
               change.id, origin, outcome.steps_done, change.steps.size());
  return outcome.dropped_tables;
}

Result<const std::vector<state::HistoryEntry>*> SchemaFollower::Ahead(uint32_t shard) {
  auto it = ahead_.find(shard);
  if (it != ahead_.end()) return &it->second;
  std::vector<state::HistoryEntry> entries;
  if (shard != 0) {
    HARMONY_ASSIGN_OR_RETURN(std::vector<std::string> ids, state::SchemaChangesAhead(*db_, shard));
    if (!ids.empty()) {
      HARMONY_ASSIGN_OR_RETURN(entries, state::ReadHistory(*db_, 0, &ids));
    }
  }
  return &ahead_.emplace(shard, std::move(entries)).first->second;
}

Result<const std::vector<state::HistoryEntry>*> SchemaFollower::All() {
  if (!all_) {
    HARMONY_ASSIGN_OR_RETURN(std::vector<state::HistoryEntry> entries, state::ReadHistory(*db_, 0));
    all_ = std::move(entries);
  }
  return &*all_;
}

Result<SchemaFollower::Landing> SchemaFollower::Land(const change::TableSchema& table,
                                                     uint32_t shard) {
  Landing landing;
  // Rows that come before a schema change's copy in this stream were made under the old shape.
  HARMONY_ASSIGN_OR_RETURN(const std::vector<state::HistoryEntry>* ahead, Ahead(shard));
  if (!ahead->empty()) {
    state::Translation t = state::Translate(table, *ahead);
    if (t.dropped) {
      landing.kind = Landing::Kind::kDropped;
      return landing;
    }
    if (t.changed) {
      landing.kind = Landing::Kind::kTranslated;
      landing.translation = std::move(t);
      return landing;
    }
  }
  HARMONY_ASSIGN_OR_RETURN(std::optional<std::string> why, writer_->Incompatibility(table));
  if (!why) return landing;
  // A table or column missing here: renamed or dropped here since the sender's shape?
  HARMONY_ASSIGN_OR_RETURN(const std::vector<state::HistoryEntry>* all, All());
  if (all->empty()) return landing;
  state::Translation t = state::Translate(table, *all);
  if (t.dropped) {
    // Only while no table of that name exists again: one created since takes new rows, and a
    // missing column of it is waited for as for any table.
    HARMONY_ASSIGN_OR_RETURN(std::optional<std::string> missing,
                             writer_->Incompatibility(change::TableSchema{table.name, {}, {}}));
    if (missing) landing.kind = Landing::Kind::kDropped;
    return landing;
  }
  if (!t.changed) return landing;
  HARMONY_ASSIGN_OR_RETURN(std::optional<std::string> still, writer_->Incompatibility(t.table));
  if (still) return landing;
  landing.kind = Landing::Kind::kTranslated;
  landing.translation = std::move(t);
  return landing;
}

}  // namespace harmony::apply
