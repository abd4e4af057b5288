#include "change/fragment.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "change/codec.h"
#include "change/value_codec.h"

namespace harmony::change {
namespace {

using wire::AppendVarint;
using wire::Reader;
using wire::VarintSize;

constexpr size_t kFixedHeaderBytes = 2;  // version, flags

std::string Describe(uint32_t shard, uint64_t sender) {
  return "shard " + std::to_string(shard) + ", node " + std::to_string(sender);
}

std::string FragmentName(const FragmentHeader& h) {
  return "fragment " + std::to_string(h.index) + " of " + std::to_string(h.count);
}

}  // namespace

std::vector<std::string> Fragment(std::string_view encoded, size_t max_message_bytes,
                                  uint64_t sender) {
  if (encoded.size() <= max_message_bytes) return {std::string(encoded)};
  if (max_message_bytes < kMinFragmentMessageBytes) {
    std::fprintf(stderr, "change::Fragment: max_message_bytes %zu is below the minimum %zu\n",
                 max_message_bytes, kMinFragmentMessageBytes);
    std::abort();
  }
  const uint64_t total = encoded.size();
  // The header grows with the fragment count, and the count with the header: iterate to the fixed
  // point. The count never decreases from one step to the next, and each fragment carries at
  // least max_message_bytes - 42 bytes, so this ends after a few steps.
  auto header_bytes = [&](uint64_t count) {
    return kFixedHeaderBytes + VarintSize(sender) + VarintSize(count - 1) + VarintSize(count) +
           VarintSize(total);
  };
  uint64_t count = 2;
  size_t chunk = 0;
  while (true) {
    chunk = max_message_bytes - header_bytes(count);
    const uint64_t needed = (total + chunk - 1) / chunk;
    if (needed <= count) break;
    count = needed;
  }
  // At the fixed point `needed == count`: count >= 2 because total > max_message_bytes > chunk.
  std::vector<std::string> out;
  out.reserve(count);
  for (uint64_t index = 0; index < count; ++index) {
    const std::string_view piece = encoded.substr(index * chunk, chunk);
    std::string& message = out.emplace_back();
    message.reserve(header_bytes(count) + piece.size());
    message.push_back(static_cast<char>(kWireVersion));
    message.push_back(static_cast<char>(kFlagFragment));
    AppendVarint(&message, sender);
    AppendVarint(&message, index);
    AppendVarint(&message, count);
    AppendVarint(&message, total);
    message.append(piece);
  }
  return out;
}

bool IsFragment(std::string_view payload) {
  return payload.size() >= kFixedHeaderBytes && static_cast<uint8_t>(payload[0]) == kWireVersion &&
         (static_cast<uint8_t>(payload[1]) & kFlagFragment) != 0;
}

Result<FragmentHeader> ParseFragment(std::string_view payload) {
  if (payload.empty()) return Status::Corruption("fragment envelope: empty payload");
  const uint8_t version = static_cast<uint8_t>(payload[0]);
  if (version != kWireVersion) {
    return Status::Corruption("fragment envelope: unsupported wire version " +
                              std::to_string(version) + " (this build reads " +
                              std::to_string(kWireVersion) + ")");
  }
  Reader r(payload.substr(1), 1, "");
  uint8_t flags;
  if (!r.ReadByte(&flags, "flags")) return r.status().WithContext("fragment envelope");
  if (flags != kFlagFragment) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", flags);
    r.Fail(1, std::string("flags ") + hex + " are not exactly the fragment bit 0x02");
    return r.status().WithContext("fragment envelope");
  }
  FragmentHeader h;
  if (!r.ReadVarint(&h.sender, "sender") || !r.ReadVarint(&h.index, "fragment_index")) {
    return r.status().WithContext("fragment envelope");
  }
  const size_t count_at = r.offset();
  if (!r.ReadVarint(&h.count, "fragment_count")) {
    return r.status().WithContext("fragment envelope");
  }
  if (h.count < 2) {
    r.Fail(count_at, "fragment_count " + std::to_string(h.count) + " is below 2");
    return r.status().WithContext("fragment envelope");
  }
  if (h.index >= h.count) {
    r.Fail(count_at, "fragment_index " + std::to_string(h.index) + " is not below fragment_count " +
                         std::to_string(h.count));
    return r.status().WithContext("fragment envelope");
  }
  const size_t total_at = r.offset();
  if (!r.ReadVarint(&h.total_size, "total_size")) {
    return r.status().WithContext("fragment envelope");
  }
  if (h.total_size > kMaxReassembledBytes) {
    r.Fail(total_at, "total_size " + std::to_string(h.total_size) + " is over the limit of " +
                         std::to_string(kMaxReassembledBytes));
    return r.status().WithContext("fragment envelope");
  }
  // Every fragment carries at least one byte, so fewer bytes than fragments is a lie.
  if (h.total_size < h.count) {
    r.Fail(total_at, "total_size " + std::to_string(h.total_size) + " is below fragment_count " +
                         std::to_string(h.count));
    return r.status().WithContext("fragment envelope");
  }
  if (r.AtEnd()) {
    r.Fail(r.offset(), "fragment carries no data");
    return r.status().WithContext("fragment envelope");
  }
  h.data = payload.substr(r.offset());
  return h;
}

Result<std::optional<std::string>> Reassembler::Add(uint32_t shard,
                                                    std::string_view fragment_payload,
                                                    uint64_t stream_seq) {
  Result<FragmentHeader> parsed = ParseFragment(fragment_payload);
  if (!parsed.ok()) {
    // The sender may be unreadable, so no unfinished reassembly is dropped here; if it was one of
    // them, its next fragment fails as out of order.
    return parsed.status().WithContext("shard " + std::to_string(shard));
  }
  const FragmentHeader& h = parsed.value();
  const auto key = std::make_pair(shard, h.sender);

  if (h.index == 0) {
    // A new message from this sender: whatever was unfinished will never be completed.
    if (h.data.size() > h.total_size) {
      // Later fragments check their data against total_size less what is held, which must
      // therefore never be exceeded (it would wrap and let the sender grow the buffer forever).
      partials_.erase(key);
      return Status::Corruption(Describe(shard, h.sender) + ": " + FragmentName(h) +
                                ": fragments hold more than total_size " +
                                std::to_string(h.total_size) +
                                " bytes; dropped the unfinished message");
    }
    Partial& p = partials_[key];
    p = Partial{};
    p.count = h.count;
    p.total_size = h.total_size;
    p.next_index = 1;
    p.first_seq = stream_seq;
    // Reserve what a sender that fills its fragments evenly needs, not the declared total: a tiny
    // forged first fragment must not make us allocate 256 MiB.
    p.data.reserve(std::min<uint64_t>(h.total_size, h.data.size() * h.count));
    p.data.append(h.data);
    return std::optional<std::string>();
  }

  auto it = partials_.find(key);
  if (it == partials_.end()) {
    return Status::Corruption(Describe(shard, h.sender) + ": " + FragmentName(h) +
                              " without its predecessors");
  }
  Partial& p = it->second;
  std::string problem;
  if (h.count != p.count || h.total_size != p.total_size) {
    problem = "fragment_count/total_size " + std::to_string(h.count) + "/" +
              std::to_string(h.total_size) + " differ from the first fragment's " +
              std::to_string(p.count) + "/" + std::to_string(p.total_size);
  } else if (h.index != p.next_index) {
    problem = "expected fragment " + std::to_string(p.next_index);
  } else if (h.data.size() > p.total_size - p.data.size()) {
    problem = "fragments hold more than total_size " + std::to_string(p.total_size) + " bytes";
  } else if (h.index + 1 == h.count && p.data.size() + h.data.size() != p.total_size) {
    problem = "fragments hold " + std::to_string(p.data.size() + h.data.size()) +
              " bytes, total_size says " + std::to_string(p.total_size);
  }
  if (!problem.empty()) {
    partials_.erase(it);
    return Status::Corruption(Describe(shard, h.sender) + ": " + FragmentName(h) + ": " + problem +
                              "; dropped the unfinished message");
  }
  p.data.append(h.data);
  ++p.next_index;
  if (p.next_index < p.count) return std::optional<std::string>();
  std::string complete = std::move(p.data);
  partials_.erase(it);
  return std::optional<std::string>(std::move(complete));
}

std::optional<uint64_t> Reassembler::FirstPendingSeq(uint32_t shard) const {
  std::optional<uint64_t> first;
  for (auto it = partials_.lower_bound({shard, 0});
       it != partials_.end() && it->first.first == shard; ++it) {
    if (!first || it->second.first_seq < *first) first = it->second.first_seq;
  }
  return first;
}

}  // namespace harmony::change
