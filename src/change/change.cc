#include "change/change.h"

namespace harmony::change {

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
