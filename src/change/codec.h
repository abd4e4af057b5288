#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "change/change.h"
#include "common/result.h"

namespace harmony::change {

// Wire format versions; see docs/wire-format.md for the exact byte layout. Version 1 is the
// original message and the fragment envelope. Version 2 is version 1 plus each table's key
// collations and the whole-row ops (kInsertRow, kDeleteRow, kEnsureRow, kRowCopies; Decode refuses
// a kRowCopies whose count is not an INTEGER >= 0). Encode writes version 2
// only for a batch that needs it, so batches of tables with BINARY keys stay readable by version-1
// builds; Decode reads both.
inline constexpr uint8_t kWireVersion = 1;
inline constexpr uint8_t kWireVersion2 = 2;
// Version 3 is version 2 plus Op::kSchema (one value). Written only for a batch that carries one.
inline constexpr uint8_t kWireVersion3 = 3;

// Header flag bits (byte 1). Any other bit set makes Decode fail.
inline constexpr uint8_t kFlagCompressed = 0x01;

// Decode refuses a compressed body whose frame declares more than this many bytes, so a small
// message cannot make a node allocate gigabytes. Encode never compresses a larger body.
inline constexpr size_t kMaxDecompressedBodyBytes = size_t{256} << 20;

struct EncodeOptions {
  bool compress = false;  // zstd-compress the body (flag bit 0 of the header)
  int zstd_level = 1;
};

// Serialises a batch into one message payload: [version][flags][body]. The batch must be
// well-formed (change table indexes, value counts and pk indexes in range, pk indexes distinct);
// a malformed batch is a programming error and aborts. With options.compress, a body larger than
// kMaxDecompressedBodyBytes is sent uncompressed (flag bit 0 clear) so that it stays decodable.
std::string Encode(const Batch& batch, const EncodeOptions& options);

// Parses a payload produced by Encode. Any malformed input (unknown version, truncated body,
// bad value tag, table index out of range, wrong value count) is a kCorruption Status that says
// what was wrong and at which byte offset; it never crashes or reads out of bounds. In a
// compressed message, body offsets count from the start of the decompressed body.
Result<Batch> Decode(std::string_view payload);

// The JetStream de-duplication id (Nats-Msg-Id header) of a batch part:
// "<node_id>-<epoch>-<first_seq>-<last_seq>-<shard>-<part>".
std::string MessageId(const Batch& batch, uint32_t shard);

}  // namespace harmony::change
