#include "apply/assembler.h"

#include "change/codec.h"

namespace harmony::apply {

using Kind = state::PartialMessage::Kind;

Status Assembler::Reload() {
  reassembler_.Clear();
  units_.clear();
  HARMONY_ASSIGN_OR_RETURN(std::vector<state::PartialMessage> pieces, store_->LoadAll());
  for (state::PartialMessage& p : pieces) {
    if (p.kind == Kind::kFragment) {
      auto added = reassembler_.Add(p.shard, p.payload, p.stream_seq);
      if (!added.ok())
        return added.status().WithContext("stored fragment " + std::to_string(p.stream_seq));
      continue;
    }
    auto batch = change::Decode(p.payload);
    if (!batch.ok())
      return batch.status().WithContext("stored part " + std::to_string(p.stream_seq));
    OpenUnit& u = units_[{p.shard, p.sender}];
    u.epoch = batch->epoch;
    u.first_seq = batch->first_seq;
    u.last_seq = batch->last_seq;
    if (batch->last_part) u.last_part = batch->part;
    const uint32_t part = batch->part;
    u.parts.emplace(part, std::move(batch).value());
  }
  return Status::Ok();
}

Result<Assembler::FragmentResult> Assembler::TakeFragment(uint32_t shard, uint64_t stream_seq,
                                                          std::string_view envelope) {
  FragmentResult out;
  auto header = change::ParseFragment(envelope);
  if (!header.ok()) {
    out.rejected = header.status();
    return out;
  }
  const uint64_t sender = header->sender;
  // Fragment 0 restarts the sender's message: the stored fragments of the old one go.
  if (header->index == 0) HARMONY_RETURN_IF_ERROR(store_->Remove(shard, sender, Kind::kFragment));
  auto added = reassembler_.Add(shard, envelope, stream_seq);
  if (!added.ok()) {
    // The reassembler dropped that sender's unfinished message; so does the store.
    HARMONY_RETURN_IF_ERROR(store_->Remove(shard, sender, Kind::kFragment));
    out.rejected = added.status();
    return out;
  }
  if (!added->has_value()) {
    HARMONY_RETURN_IF_ERROR(
        store_->Add({shard, stream_seq, sender, Kind::kFragment, std::string(envelope)}));
    return out;
  }
  HARMONY_RETURN_IF_ERROR(store_->Remove(shard, sender, Kind::kFragment));
  out.whole = std::move(**added);
  return out;
}

Result<Assembler::PartResult> Assembler::TakePart(uint32_t shard, uint64_t stream_seq,
                                                  change::Batch batch, std::string_view encoded) {
  PartResult out;
  if (batch.part == 0 && batch.last_part && !units_.count({shard, batch.node_id})) {
    out.unit.emplace();
    out.unit->push_back(std::move(batch));  // not split: complete by itself, nothing to store
    return out;
  }
  const Key key{shard, batch.node_id};
  auto open = units_.find(key);
  if (open != units_.end() &&
      (open->second.epoch != batch.epoch || open->second.first_seq != batch.first_seq ||
       open->second.last_seq != batch.last_seq)) {
    // The sender restarted and published a new range: the unfinished unit is superseded; its
    // changes come again in the new one.
    out.abandoned = "node " + std::to_string(batch.node_id) + " abandoned a batch of " +
                    std::to_string(open->second.parts.size()) +
                    " part(s) received; continuing with its new batch";
    units_.erase(open);
    open = units_.end();
    HARMONY_RETURN_IF_ERROR(store_->Remove(shard, batch.node_id, Kind::kPart));
  }
  OpenUnit& u = open != units_.end() ? open->second : units_[key];
  u.epoch = batch.epoch;
  u.first_seq = batch.first_seq;
  u.last_seq = batch.last_seq;
  // Parts are collected by index: a publish retried after a lost connection can store them out of
  // order (p0, p2, then p1), and the same range sent again past JetStream's duplicate window
  // repeats parts already here (same content: kept once).
  if (u.parts.count(batch.part)) return out;
  if (batch.last_part) u.last_part = batch.part;
  const uint32_t part = batch.part;
  u.parts.emplace(part, std::move(batch));
  if (!u.last_part || u.parts.size() != *u.last_part + 1) {
    HARMONY_RETURN_IF_ERROR(
        store_->Add({shard, stream_seq, key.second, Kind::kPart, std::string(encoded)}));
    return out;
  }
  out.unit.emplace();
  for (auto& [index, b] : u.parts) out.unit->push_back(std::move(b));
  units_.erase(key);
  HARMONY_RETURN_IF_ERROR(store_->Remove(shard, key.second, Kind::kPart));
  return out;
}

}  // namespace harmony::apply
