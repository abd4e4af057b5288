#pragma once

#include <cstdint>
#include <string>
#include <variant>

namespace harmony {

// One SQLite cell with its storage class kept exactly: NULL, INTEGER, REAL, TEXT or BLOB.
// TEXT and BLOB both hold bytes in a std::string; the wrapper type tells them apart.
struct Text {
  std::string bytes;
  bool operator==(const Text&) const = default;
};
struct Blob {
  std::string bytes;
  bool operator==(const Blob&) const = default;
};
struct Null {
  bool operator==(const Null&) const = default;
};

using Value = std::variant<Null, int64_t, double, Text, Blob>;

// Exact equality: 3 and 3.0 differ, and REAL values compare by bit pattern (so NaN == NaN and
// 0.0 != -0.0), because replication must reproduce bits, not numeric equivalence.
bool SameValue(const Value& a, const Value& b);

// A short human-readable rendering for logs and test failure messages.
std::string DebugString(const Value& v);

}  // namespace harmony
