// The primitive pieces of wire format version 1 (docs/wire-format.md): varints, zigzag, the Value
// encoding, and a bounds-checked Reader. Both the codec and RowKeyHash build on these, so a
// primary key is hashed from exactly the bytes the wire carries for it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "common/value.h"

namespace harmony::change::wire {

// Value tags; the numbers are part of the wire format and never change.
enum class Tag : uint8_t { kNull = 0, kInteger = 1, kReal = 2, kText = 3, kBlob = 4 };

// Longest unsigned LEB128 encoding of a uint64_t.
inline constexpr size_t kMaxVarintBytes = 10;
// Longest fixed part of an encoded value: tag + a 10-byte varint (INTEGER, or a TEXT/BLOB length).
inline constexpr size_t kMaxValueHeadBytes = 1 + kMaxVarintBytes;

inline uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t UnZigZag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

size_t VarintSize(uint64_t v);

// Writes the unsigned LEB128 encoding of `v` at `dst` (room for kMaxVarintBytes) and returns the
// number of bytes written.
size_t PutVarint(char* dst, uint64_t v);
void AppendVarint(std::string* out, uint64_t v);

// Number of bytes AppendValue writes for `v`.
size_t EncodedValueSize(const Value& v);

// Writes the fixed part of the encoding of `v` (tag, then the zigzag varint, the 8 REAL bytes,
// or the TEXT/BLOB length) at `dst` (room for kMaxValueHeadBytes) and returns its length. The
// TEXT/BLOB bytes that must follow are returned in `*payload` (empty for other classes); they
// stay owned by `v`.
size_t PutValueHead(const Value& v, char* dst, std::string_view* payload);

// Appends the full encoding of `v`: PutValueHead followed by the payload.
void AppendValue(std::string* out, const Value& v);

// A cursor over bytes being decoded. Every read is bounds-checked; the first failure is kept as a
// kCorruption Status naming what was read and its byte offset. Callers stop at the first false.
// Offsets are reported as `base_offset` + position in `data`, followed by `where` (for example
// " of the decompressed body"), so they point into the message a user can inspect.
// Not thread-safe; `data` and `where` must outlive the Reader.
class Reader {
 public:
  Reader(std::string_view data, size_t base_offset, std::string_view where)
      : data_(data), base_offset_(base_offset), where_(where) {}

  // Each returns false on failure; status() then says why. `what` names the field.
  bool ReadByte(uint8_t* out, const char* what);
  bool ReadVarint(uint64_t* out, const char* what) {
    // Most varints in a batch (counts, indexes, short lengths) are one byte.
    if (pos_ < data_.size() && static_cast<uint8_t>(data_[pos_]) < 0x80) {
      *out = static_cast<uint8_t>(data_[pos_++]);
      return true;
    }
    return ReadVarintSlow(out, what);
  }
  // A varint that must be < `limit`.
  bool ReadIndex(uint32_t* out, uint64_t limit, const char* what);
  // A varint element count, rejected if `count * min_item_bytes` exceeds the remaining bytes, so
  // a short message cannot make the caller reserve memory for 2^60 items. `min_item_bytes` >= 1.
  bool ReadCount(uint64_t* out, size_t min_item_bytes, const char* what);
  // A varint length followed by that many bytes; the view points into `data`.
  bool ReadLengthPrefixed(std::string_view* out, const char* what);
  bool ReadValue(Value* out);

  size_t remaining() const { return data_.size() - pos_; }
  bool AtEnd() const { return pos_ == data_.size(); }
  // The offset (as reported in errors) of the next byte to be read.
  size_t offset() const { return base_offset_ + pos_; }
  const Status& status() const { return status_; }

  // Records a failure at message offset `at` unless one is already recorded; returns false.
  bool Fail(size_t at, std::string_view message);

 private:
  bool ReadVarintSlow(uint64_t* out, const char* what);

  std::string_view data_;
  size_t pos_ = 0;
  size_t base_offset_;
  std::string_view where_;
  Status status_;
};

}  // namespace harmony::change::wire
