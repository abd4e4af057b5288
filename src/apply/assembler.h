#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "change/change.h"
#include "change/fragment.h"
#include "common/result.h"
#include "state/partial_messages.h"

namespace harmony::apply {

// Puts together what must be applied as one: the fragments of a message larger than the broker's
// max_payload, and the parts of a multi-part batch (docs/wire-format.md). Every piece that does
// not complete anything is stored in state::PartialMessages by the caller's transaction, so the
// applier never keeps a transaction — and SQLite's write lock — open while it waits for the rest
// (issue #9, item 6), and a restart resumes from the stored pieces. A sender that restarts
// publishes the same range again: a fragment with index 0, or a part of another range, replaces
// its unfinished pieces; JetStream's duplicate window may drop re-sent pieces already stored, in
// which case the stored ones are continued. Parts of one range are collected by index, in any
// order, until the one flagged last_part and all before it are here.
// Not thread-safe: the applier's thread owns it.
class Assembler {
 public:
  // "store" must outlive this; it is written inside the caller's open transaction.
  explicit Assembler(state::PartialMessages* store) : store_(store) {}

  // Rebuilds the in-memory view from the store (at open, and after a rollback).
  Status Reload();

  struct FragmentResult {
    std::optional<std::string> whole;  // the complete message, when this was its last fragment
    Status rejected;                   // not ok: the fragment cannot be used (set it aside)
  };
  // Takes one fragment envelope at `stream_seq` of `shard`.
  Result<FragmentResult> TakeFragment(uint32_t shard, uint64_t stream_seq,
                                      std::string_view envelope);

  struct PartResult {
    // The whole unit, every part in order, when `batch` completes it (a batch that is not split
    // completes itself).
    std::optional<std::vector<change::Batch>> unit;
    // An unfinished unit of the same sender that this batch replaced (the sender restarted).
    std::optional<std::string> abandoned;
  };
  // Takes one decoded batch part. `encoded` is its encoding, stored while the unit is unfinished.
  Result<PartResult> TakePart(uint32_t shard, uint64_t stream_seq, change::Batch batch,
                              std::string_view encoded);

  // Units and messages still waiting for pieces.
  size_t open() const { return units_.size() + (reassembler_.HasPartial() ? 1 : 0); }

 private:
  struct OpenUnit {  // one sender's range (epoch, first_seq, last_seq) in one shard
    uint64_t epoch = 0;
    uint64_t first_seq = 0;
    uint64_t last_seq = 0;
    std::optional<uint32_t> last_part;       // index of the part flagged last_part, once seen
    std::map<uint32_t, change::Batch> parts;  // by part index
  };
  using Key = std::pair<uint32_t, uint64_t>;  // (shard, sender)

  state::PartialMessages* store_;  // not owned
  change::Reassembler reassembler_;
  std::map<Key, OpenUnit> units_;
};

}  // namespace harmony::apply
