// Fragments: splitting one encoded message (the output of change::Encode) that is larger than the
// broker accepts into several fragment envelopes, and putting it back together on the receiving
// side before change::Decode. Pure: no I/O. The envelope layout is in docs/wire-format.md
// ("Fragment envelope").
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "common/status.h"

namespace harmony::change {

// Header flag bit (byte 1) of a fragment envelope. The compressed bit (0x01) is never set on an
// envelope: a fragment carries bytes of an already encoded message, which may be compressed.
inline constexpr uint8_t kFlagFragment = 0x02;

// A reassembled message may not be larger than this, so a small forged fragment cannot make a
// reader hold gigabytes. Fragment does not check it: a caller with a larger encoded message must
// not publish it (its fragments would be rejected by every reader).
inline constexpr size_t kMaxReassembledBytes = size_t{256} << 20;

// Fragment needs room for the longest possible envelope header (2 bytes and four 10-byte varints)
// and some data in every fragment.
inline constexpr size_t kMinFragmentMessageBytes = 64;

// Splits `encoded` into messages of at most `max_message_bytes` each. Returns {encoded} unchanged
// if it fits; otherwise N >= 2 fragment envelopes, to be published consecutively and in order on
// one shard, each carrying `sender` (the node id) so that a reader can tell apart the fragments
// of different nodes interleaved in the stream. Every fragment carries at least one byte of
// `encoded`. A `max_message_bytes` below kMinFragmentMessageBytes for a payload that does not fit
// is a programming error and aborts.
std::vector<std::string> Fragment(std::string_view encoded, size_t max_message_bytes,
                                  uint64_t sender);

// True if `payload` is a fragment envelope (version byte 1 with flag bit 0x02 set), i.e. it must
// go through a Reassembler rather than to Decode. Does not validate the rest of the envelope.
bool IsFragment(std::string_view payload);

// The parsed header of one fragment envelope; `data` points into the parsed payload.
struct FragmentHeader {
  uint64_t sender = 0;
  uint64_t index = 0;
  uint64_t count = 0;       // >= 2
  uint64_t total_size = 0;  // of the reassembled message, <= kMaxReassembledBytes
  std::string_view data;    // this fragment's bytes, non-empty
};

// Parses and checks one envelope on its own (version, flags exactly 0x02, index < count,
// count >= 2, count <= total_size <= kMaxReassembledBytes, non-empty data). Errors are
// kCorruption and name the field and byte offset, like Decode's.
Result<FragmentHeader> ParseFragment(std::string_view payload);

// Puts fragments back together. Feed it every fragment envelope of a shard, in stream order;
// reassembly is keyed by (shard, sender), so fragments of different senders may interleave.
//
// A fragment with index 0 starts a new reassembly and discards any unfinished one of the same
// (shard, sender): the sender restarted and published again. Any other fragment must be the next
// index of an unfinished reassembly with the same count and total_size, and no fragment may bring
// the data held past total_size (fragment 0 included); otherwise Add returns
// kCorruption and drops that (shard, sender)'s unfinished reassembly, so the caller dead-letters
// the fragment (and the rest of that message's fragments will fail the same way, since they have
// no predecessor). An envelope that does not parse (ParseFragment) is kCorruption too and leaves
// every unfinished reassembly alone: its sender cannot be trusted. Memory is bounded by
// kMaxReassembledBytes per unfinished (shard, sender); a sender that stops halfway keeps its
// unfinished reassembly until it sends a fragment 0 again or Clear is called.
//
// Not thread-safe: one thread (or one per shard, each with its own Reassembler) feeds it.
class Reassembler {
 public:
  // Takes one fragment envelope of shard `shard`. Returns the complete inner message (to be passed
  // to Decode) when `fragment_payload` is the last fragment, std::nullopt while more are needed,
  // or kCorruption. `stream_seq` is the fragment's stream sequence, kept only to answer
  // FirstPendingSeq (0 if the caller does not use that).
  Result<std::optional<std::string>> Add(uint32_t shard, std::string_view fragment_payload,
                                         uint64_t stream_seq = 0);

  // True while some reassembly is unfinished.
  bool HasPartial() const { return !partials_.empty(); }

  // The stream_seq given with the first fragment of the oldest unfinished reassembly in `shard`,
  // or nullopt if there is none. A consumer that persists its progress must resume no later than
  // this sequence after a restart; otherwise the remaining fragments of that message arrive
  // without their predecessors and the message is lost.
  std::optional<uint64_t> FirstPendingSeq(uint32_t shard) const;

  // Drops every unfinished reassembly (e.g. when a subscription is restarted from a new sequence).
  void Clear() { partials_.clear(); }

 private:
  struct Partial {
    uint64_t count = 0;
    uint64_t total_size = 0;
    uint64_t next_index = 0;
    uint64_t first_seq = 0;
    std::string data;
  };
  std::map<std::pair<uint32_t, uint64_t>, Partial> partials_;  // by (shard, sender)
};

}  // namespace harmony::change
