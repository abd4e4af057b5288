#include "change/value_codec.h"

#include <bit>
#include <cstring>
#include <string>
#include <variant>

namespace harmony::change::wire {

size_t VarintSize(uint64_t v) {
  // 1 byte per started group of 7 significant bits; 0 still takes one byte.
  const int bits = 64 - std::countl_zero(v | 1);
  return static_cast<size_t>((bits + 6) / 7);
}

size_t PutVarint(char* dst, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    dst[n++] = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  dst[n++] = static_cast<char>(v);
  return n;
}

void AppendVarint(std::string* out, uint64_t v) {
  char buf[kMaxVarintBytes];
  out->append(buf, PutVarint(buf, v));
}

size_t EncodedValueSize(const Value& v) {
  struct Visitor {
    size_t operator()(const Null&) const { return 1; }
    size_t operator()(int64_t i) const { return 1 + VarintSize(ZigZag(i)); }
    size_t operator()(double) const { return 1 + 8; }
    size_t operator()(const Text& t) const {
      return 1 + VarintSize(t.bytes.size()) + t.bytes.size();
    }
    size_t operator()(const Blob& b) const {
      return 1 + VarintSize(b.bytes.size()) + b.bytes.size();
    }
  };
  return std::visit(Visitor{}, v);
}

size_t PutValueHead(const Value& v, char* dst, std::string_view* payload) {
  struct Visitor {
    char* dst;
    std::string_view* payload;
    size_t Tagged(Tag tag) const {
      dst[0] = static_cast<char>(tag);
      return 1;
    }
    size_t operator()(const Null&) const { return Tagged(Tag::kNull); }
    size_t operator()(int64_t i) const {
      return Tagged(Tag::kInteger) + PutVarint(dst + 1, ZigZag(i));
    }
    size_t operator()(double d) const {
      // The IEEE-754 bit pattern, so NaN payloads and -0.0 survive the trip.
      const uint64_t bits = std::bit_cast<uint64_t>(d);
      for (int i = 0; i < 8; ++i) dst[1 + i] = static_cast<char>(bits >> (8 * i));
      return Tagged(Tag::kReal) + 8;
    }
    size_t operator()(const Text& t) const {
      *payload = t.bytes;
      return Tagged(Tag::kText) + PutVarint(dst + 1, t.bytes.size());
    }
    size_t operator()(const Blob& b) const {
      *payload = b.bytes;
      return Tagged(Tag::kBlob) + PutVarint(dst + 1, b.bytes.size());
    }
  };
  *payload = {};
  return std::visit(Visitor{dst, payload}, v);
}

void AppendValue(std::string* out, const Value& v) {
  char head[kMaxValueHeadBytes];
  std::string_view payload;
  out->append(head, PutValueHead(v, head, &payload));
  out->append(payload);
}

bool Reader::Fail(size_t at, std::string_view message) {
  if (!status_.ok()) return false;
  std::string msg(message);
  msg += " at byte ";
  msg += std::to_string(at);
  msg += where_;
  status_ = Status::Corruption(std::move(msg));
  return false;
}

bool Reader::ReadByte(uint8_t* out, const char* what) {
  if (pos_ >= data_.size()) return Fail(offset(), std::string("truncated ") + what);
  *out = static_cast<uint8_t>(data_[pos_++]);
  return true;
}

bool Reader::ReadVarintSlow(uint64_t* out, const char* what) {
  const size_t start = offset();
  uint64_t result = 0;
  for (int shift = 0;; shift += 7) {
    if (pos_ >= data_.size()) return Fail(start, std::string("truncated ") + what);
    const uint8_t b = static_cast<uint8_t>(data_[pos_++]);
    // The 10th byte holds bit 63 only; anything more (including a continuation bit) overflows.
    if (shift == 63 && b > 1) return Fail(start, std::string(what) + " overflows 64 bits");
    result |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) break;
  }
  *out = result;
  return true;
}

bool Reader::ReadIndex(uint32_t* out, uint64_t limit, const char* what) {
  const size_t start = offset();
  uint64_t v;
  if (!ReadVarint(&v, what)) return false;
  if (v >= limit) {
    return Fail(start, std::string(what) + " " + std::to_string(v) + " out of range [0, " +
                           std::to_string(limit) + ")");
  }
  *out = static_cast<uint32_t>(v);
  return true;
}

bool Reader::ReadCount(uint64_t* out, size_t min_item_bytes, const char* what) {
  const size_t start = offset();
  uint64_t v;
  if (!ReadVarint(&v, what)) return false;
  if (v > remaining() / min_item_bytes) {
    return Fail(start, std::string(what) + " " + std::to_string(v) +
                           " cannot fit in the remaining " + std::to_string(remaining()) +
                           " bytes");
  }
  *out = v;
  return true;
}

bool Reader::ReadLengthPrefixed(std::string_view* out, const char* what) {
  const size_t start = offset();
  uint64_t len;
  if (!ReadVarint(&len, what)) return false;
  if (len > remaining()) {
    return Fail(start, std::string(what) + " length " + std::to_string(len) +
                           " exceeds the remaining " + std::to_string(remaining()) + " bytes");
  }
  *out = data_.substr(pos_, len);
  pos_ += len;
  return true;
}

bool Reader::ReadValue(Value* out) {
  const size_t start = offset();
  uint8_t tag;
  if (!ReadByte(&tag, "value tag")) return false;
  switch (static_cast<Tag>(tag)) {
    case Tag::kNull:
      out->emplace<Null>();
      return true;
    case Tag::kInteger: {
      uint64_t zz;
      if (!ReadVarint(&zz, "integer value")) return false;
      out->emplace<int64_t>(UnZigZag(zz));
      return true;
    }
    case Tag::kReal: {
      if (remaining() < 8) return Fail(offset(), "truncated real value");
      uint64_t bits = 0;
      for (int i = 0; i < 8; ++i) {
        bits |= static_cast<uint64_t>(static_cast<uint8_t>(data_[pos_ + i])) << (8 * i);
      }
      pos_ += 8;
      out->emplace<double>(std::bit_cast<double>(bits));
      return true;
    }
    case Tag::kText: {
      std::string_view bytes;
      if (!ReadLengthPrefixed(&bytes, "text value")) return false;
      out->emplace<Text>(Text{std::string(bytes)});
      return true;
    }
    case Tag::kBlob: {
      std::string_view bytes;
      if (!ReadLengthPrefixed(&bytes, "blob value")) return false;
      out->emplace<Blob>(Blob{std::string(bytes)});
      return true;
    }
  }
  return Fail(start, "unknown value tag " + std::to_string(tag));
}

}  // namespace harmony::change::wire
