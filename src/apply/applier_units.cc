// The Applier's handling of one complete unit's changes: schema changes carried out, row changes
// translated to today's shape (SchemaFollower) or held for a table or column this node lacks
// (state::HeldChanges), and held changes released once the local schema can take them. Split
// from applier.cc, which takes messages in and keeps positions.
#include <spdlog/spdlog.h>

#include "apply/applier.h"

namespace harmony::apply {

Status Applier::ApplyUnit(const std::vector<change::Batch>& unit, const Incoming& m, bool careful) {
  for (const change::Batch& batch : unit) {
    // How each of the batch's tables lands here (read at its first change; again after a schema
    // change inside the batch).
    std::vector<std::optional<SchemaFollower::Landing>> landings(batch.tables.size());
    // Changes of tables that must wait, by (translated) table name, in arrival order.
    std::map<std::string, std::pair<change::TableSchema, std::vector<change::Change>>> to_hold;
    for (const change::Change& c : batch.changes) {
      if (c.op == change::Op::kSchema) {
        HARMONY_ASSIGN_OR_RETURN(std::vector<std::string> dropped,
                                 schema_.Take(c, m.shard, batch.node_id));
        for (const std::string& name : dropped) {
          if (!held_.IsHeld(name)) continue;
          HARMONY_RETURN_IF_ERROR(held_.Release(name));
          reported_paused_.erase(name);
          spdlog::info("table \"{}\" dropped: the changes held for it are discarded", name);
        }
        landings.assign(landings.size(), std::nullopt);
        continue;
      }
      std::optional<SchemaFollower::Landing>& landing = landings[c.table];
      if (!landing) {
        HARMONY_ASSIGN_OR_RETURN(SchemaFollower::Landing l,
                                 schema_.Land(batch.tables[c.table], m.shard));
        landing = std::move(l);
      }
      if (landing->kind == SchemaFollower::Landing::Kind::kDropped) {
        NoteDropped(batch.tables[c.table].name);
        continue;
      }
      const bool translated = landing->kind == SchemaFollower::Landing::Kind::kTranslated;
      const change::TableSchema& table =
          translated ? landing->translation.table : batch.tables[c.table];
      change::Change rewritten;
      if (translated) {
        rewritten = state::TranslateChange(landing->translation, c);
        schema_.mutable_stats().translated.fetch_add(1, std::memory_order_relaxed);
      }
      const change::Change& change = translated ? rewritten : c;
      if (!held_.IsHeld(table.name)) {
        HARMONY_ASSIGN_OR_RETURN(std::optional<std::string> why, writer_.Incompatibility(table));
        if (!why) {
          applying_translated_ = translated;
          if (translated) translated_from_ = {&batch.tables[c.table], &c};
          Status applied = ApplyChange(table, change, &m, batch.node_id, careful);
          applying_translated_ = false;
          translated_from_ = {};
          HARMONY_RETURN_IF_ERROR(applied);
          continue;
        }
        if (reported_paused_.insert(table.name).second) {
          spdlog::warn(
              "table \"{}\": replication paused: {} here yet; its changes are held in "
              "__harmony_held and applied once the local schema has it",
              table.name, *why);
        }
      }
      auto& [shape, changes] = to_hold[table.name];
      if (changes.empty()) shape = table;
      changes.push_back(change);
    }
    for (auto& [name, held] : to_hold) {
      stats_.held.fetch_add(held.second.size(), std::memory_order_relaxed);
      HARMONY_RETURN_IF_ERROR(held_.Hold(held.first, std::move(held.second), batch.node_id));
    }
  }
  stats_.paused_tables.store(held_.tables().size(), std::memory_order_relaxed);
  return Status::Ok();
}

void Applier::NoteDropped(const std::string& table) {
  schema_.mutable_stats().dropped.fetch_add(1, std::memory_order_relaxed);
  if (reported_dropped_.insert(table).second) {
    spdlog::warn("table \"{}\": changes made under its old shape are discarded: the table was "
                 "dropped (docs/schema-changes.md)",
                 table);
  }
}

bool Applier::HeldMayBeReleasable() {
  if (held_.empty()) return false;
  auto version = db_.QueryInt("PRAGMA schema_version");
  return version.ok() && *version != held_checked_version_;
}

Status Applier::ReleaseHeld(bool careful) {
  if (held_.empty() || writer_.schema_version() == held_checked_version_) return Status::Ok();
  held_checked_version_ = writer_.schema_version();
  const std::set<std::string> tables = held_.tables();
  for (const std::string& name : tables) {
    HARMONY_ASSIGN_OR_RETURN(std::vector<change::Batch> batches, held_.Batches(name));
    bool ready = true;
    bool dropped = false;
    std::vector<SchemaFollower::Landing> landings;
    for (const change::Batch& b : batches) {
      HARMONY_ASSIGN_OR_RETURN(SchemaFollower::Landing l, schema_.Land(b.tables[0], 0));
      dropped = dropped || l.kind == SchemaFollower::Landing::Kind::kDropped;
      const bool translated = l.kind == SchemaFollower::Landing::Kind::kTranslated;
      HARMONY_ASSIGN_OR_RETURN(
          std::optional<std::string> why,
          writer_.Incompatibility(translated ? l.translation.table : b.tables[0]));
      if (why) ready = false;
      landings.push_back(std::move(l));
    }
    if (dropped) {  // renamed or dropped here since: the held changes have nowhere to go
      HARMONY_RETURN_IF_ERROR(held_.Release(name));
      reported_paused_.erase(name);
      NoteDropped(name);
      continue;
    }
    if (!ready) continue;
    size_t applied = 0;
    for (size_t i = 0; i < batches.size(); ++i) {
      const change::Batch& b = batches[i];
      const SchemaFollower::Landing& l = landings[i];
      const bool translated = l.kind == SchemaFollower::Landing::Kind::kTranslated;
      for (const change::Change& c : b.changes) {
        const change::Change rewritten = translated ? state::TranslateChange(l.translation, c) : c;
        HARMONY_RETURN_IF_ERROR(
            ApplyChange(translated ? l.translation.table : b.tables[0], rewritten, nullptr,
                        b.node_id, careful)
                .WithContext("apply held changes of " + name));
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

}  // namespace harmony::apply
