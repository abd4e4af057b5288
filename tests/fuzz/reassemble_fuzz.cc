// libFuzzer target for the fragment envelope (change::ParseFragment, change::Reassembler,
// change::Fragment; docs/wire-format.md, "Fragment envelope"). The first input byte picks a mode:
//
// even: the rest is a sequence of records [shard: 1 byte][length: 2 bytes LE][payload], fed in
//   order to one Reassembler as the fragments of a stream. Besides crashes and sanitizer findings,
//   the target checks the Reassembler against a model of the documented rules: a fragment is
//   accepted only if it continues (or, with index 0, starts) its (shard, sender) message, the
//   data held never exceeds total_size, and a completed message is exactly the concatenation of
//   its fragments' data with total_size bytes.
// odd: [max_message_bytes - 64: 2 bytes LE][sender: 1 byte][message: rest]: Fragment splits the
//   message and a Reassembler must give back exactly the message from those fragments.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "change/codec.h"
#include "change/fragment.h"

namespace {

using harmony::Result;
using harmony::change::FragmentHeader;
using harmony::change::ParseFragment;
using harmony::change::Reassembler;

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "reassemble_fuzz: %s\n", what);
  std::abort();
}

struct ModelMessage {
  uint64_t count = 0;
  uint64_t total_size = 0;
  uint64_t next_index = 0;
  std::string data;
};

void StreamMode(std::string_view in) {
  Reassembler reassembler;
  std::map<std::pair<uint32_t, uint64_t>, ModelMessage> model;
  uint64_t stream_seq = 0;
  while (in.size() >= 3) {
    const uint32_t shard = 1 + static_cast<uint8_t>(in[0]) % 3;
    size_t length = static_cast<uint8_t>(in[1]) | (size_t{static_cast<uint8_t>(in[2])} << 8);
    in.remove_prefix(3);
    if (length > in.size()) length = in.size();
    const std::string_view payload = in.substr(0, length);
    in.remove_prefix(length);
    ++stream_seq;

    const Result<FragmentHeader> header = ParseFragment(payload);
    Result<std::optional<std::string>> added = reassembler.Add(shard, payload, stream_seq);
    if (!header.ok()) {
      if (added.ok()) Die("Add accepted an envelope that ParseFragment rejects");
      continue;  // the model leaves every unfinished message alone
    }
    const FragmentHeader& h = *header;
    if (h.count < 2 || h.index >= h.count || h.total_size < h.count ||
        h.total_size > harmony::change::kMaxReassembledBytes || h.data.empty()) {
      Die("ParseFragment accepted a header outside its documented bounds");
    }
    const auto key = std::make_pair(shard, h.sender);
    auto it = model.find(key);
    // What the documented rules say about this fragment.
    bool accept;
    if (h.index == 0) {
      accept = h.data.size() <= h.total_size;
    } else {
      accept = it != model.end() && it->second.count == h.count &&
               it->second.total_size == h.total_size && it->second.next_index == h.index &&
               it->second.data.size() + h.data.size() <= h.total_size &&
               (h.index + 1 < h.count || it->second.data.size() + h.data.size() == h.total_size);
    }
    if (added.ok() != accept) {
      std::fprintf(stderr, "shard %u sender %llu fragment %llu of %llu, %zu bytes, total %llu\n",
                   shard, static_cast<unsigned long long>(h.sender),
                   static_cast<unsigned long long>(h.index),
                   static_cast<unsigned long long>(h.count), h.data.size(),
                   static_cast<unsigned long long>(h.total_size));
      Die(accept ? "Add rejected a fragment the rules accept"
                 : "Add accepted a fragment the rules reject");
    }
    if (!accept) {
      model.erase(key);
      continue;
    }
    if (h.index == 0) {
      model[key] = ModelMessage{h.count, h.total_size, 0, std::string()};
      it = model.find(key);
    }
    ModelMessage& m = it->second;
    m.data.append(h.data);
    ++m.next_index;
    if (m.next_index < m.count) {
      if (added->has_value()) Die("Add completed a message before its last fragment");
      continue;
    }
    if (!added->has_value()) Die("Add did not complete a message at its last fragment");
    if (**added != m.data || m.data.size() != m.total_size) {
      Die("the reassembled message is not its fragments' data");
    }
    // A reassembled message goes to Decode next; that must not crash either.
    (void)harmony::change::Decode(**added);
    model.erase(it);
  }
  for (uint32_t shard = 1; shard <= 3; ++shard) {
    bool pending = false;
    for (const auto& [key, m] : model) pending |= key.first == shard;
    if (reassembler.FirstPendingSeq(shard).has_value() != pending) {
      Die("FirstPendingSeq disagrees with the unfinished messages");
    }
  }
  if (reassembler.HasPartial() != !model.empty()) Die("HasPartial disagrees with the model");
}

void SplitMode(std::string_view in) {
  if (in.size() < 3) return;
  const size_t max_bytes = harmony::change::kMinFragmentMessageBytes +
                           (static_cast<uint8_t>(in[0]) | (size_t{static_cast<uint8_t>(in[1])} << 8));
  const uint64_t sender = static_cast<uint8_t>(in[2]);
  const std::string_view message = in.substr(3);
  const std::vector<std::string> fragments = harmony::change::Fragment(message, max_bytes, sender);
  if (message.size() <= max_bytes) {
    if (fragments.size() != 1 || fragments[0] != message) Die("a message that fits was changed");
    return;
  }
  if (fragments.size() < 2) Die("a message that does not fit gave fewer than 2 fragments");
  Reassembler reassembler;
  for (size_t i = 0; i < fragments.size(); ++i) {
    if (fragments[i].size() > max_bytes) Die("a fragment is larger than max_message_bytes");
    Result<std::optional<std::string>> added = reassembler.Add(1, fragments[i], i + 1);
    if (!added.ok()) Die("Add rejected a fragment that Fragment wrote");
    if (added->has_value() != (i + 1 == fragments.size())) Die("completed at the wrong fragment");
    if (added->has_value() && **added != message) Die("reassembly did not give the message back");
  }
  if (reassembler.HasPartial()) Die("a partial message remains after reassembly");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) == 0) {
    StreamMode(in);
  } else {
    SplitMode(in);
  }
  return 0;
}
