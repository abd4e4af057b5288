#pragma once

#include <string>
#include <string_view>

#include "change/change.h"
#include "common/result.h"

namespace harmony::change {

// Wire format version 1; see docs/wire-format.md for the exact byte layout.
inline constexpr uint8_t kWireVersion = 1;

struct EncodeOptions {
  bool compress = false;  // zstd-compress the body (flag bit 0 of the header)
  int zstd_level = 1;
};

// Serialises a batch into one message payload: [version][flags][body].
std::string Encode(const Batch& batch, const EncodeOptions& options);

// Parses a payload produced by Encode. Any malformed input (unknown version, truncated body,
// bad value tag, table index out of range, wrong value count) is a kCorruption Status that says
// what was wrong and at which byte offset; it never crashes or reads out of bounds.
Result<Batch> Decode(std::string_view payload);

// The JetStream de-duplication id (Nats-Msg-Id header) of a batch part:
// "<node_id>-<epoch>-<first_seq>-<last_seq>-<shard>-<part>".
std::string MessageId(const Batch& batch, uint32_t shard);

}  // namespace harmony::change
