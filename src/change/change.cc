#include "change/change.h"

#include <algorithm>

namespace harmony::change {

std::optional<Collation> CollationNamed(std::string_view name) {
  auto equals = [&](std::string_view want) {
    return name.size() == want.size() &&
           std::equal(name.begin(), name.end(), want.begin(), [](char a, char b) {
             return (a >= 'a' && a <= 'z' ? a - 'a' + 'A' : a) == b;
           });
  };
  if (name.empty() || equals("BINARY")) return Collation::kBinary;
  if (equals("NOCASE")) return Collation::kNocase;
  if (equals("RTRIM")) return Collation::kRtrim;
  return std::nullopt;
}

const char* CollationName(Collation collation) {
  switch (collation) {
    case Collation::kNocase:
      return "NOCASE";
    case Collation::kRtrim:
      return "RTRIM";
    default:
      return "BINARY";
  }
}


bool TableSchema::HasKeyCollation() const {
  for (Collation c : pk_collations) {
    if (c != Collation::kBinary) return true;
  }
  return false;
}

bool TableSchema::operator==(const TableSchema& other) const {
  if (name != other.name || columns != other.columns || pk != other.pk) return false;
  for (size_t i = 0; i < pk.size(); ++i) {
    if (KeyCollation(i) != other.KeyCollation(i)) return false;
  }
  return true;
}

}  // namespace harmony::change
