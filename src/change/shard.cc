#include "change/shard.h"

#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "change/value_codec.h"

namespace harmony::change {
namespace {

using wire::Tag;

// One value in the canonical form RowKeyHash hashes; `bytes` points into the original value.
struct Canonical {
  Tag tag = Tag::kNull;
  int64_t integer = 0;
  double real = 0;
  std::string_view bytes;
  bool fold_case = false;  // NOCASE: ASCII upper case is written as lower case
};

Canonical CanonicalOf(const Value& v, Collation collation) {
  Canonical c;
  if (const int64_t* i = std::get_if<int64_t>(&v)) {
    c.tag = Tag::kInteger;
    c.integer = *i;
  } else if (const double* d = std::get_if<double>(&v)) {
    // SQLite compares INTEGER and REAL by exact numeric value whatever the column's affinity, so
    // in a key column that can hold both (BLOB affinity: untyped or BLOB) 1 and 1.0 are one key.
    // -2^63 <= d < 2^63 holds exactly in both types; -0.0 becomes 0 like +0.0.
    if (std::isfinite(*d) && *d == std::trunc(*d) && *d >= -9223372036854775808.0 &&
        *d < 9223372036854775808.0) {
      c.tag = Tag::kInteger;
      c.integer = static_cast<int64_t>(*d);
    } else {
      c.tag = Tag::kReal;
      c.real = *d;
    }
  } else if (const Text* t = std::get_if<Text>(&v)) {
    c.tag = Tag::kText;
    c.bytes = t->bytes;
    if (collation == Collation::kRtrim) {
      // SQLite's RTRIM collation ignores trailing spaces only (not tabs or other blanks).
      while (!c.bytes.empty() && c.bytes.back() == ' ') c.bytes.remove_suffix(1);
    }
    c.fold_case = collation == Collation::kNocase;
  } else if (const Blob* b = std::get_if<Blob>(&v)) {
    c.tag = Tag::kBlob;  // collations apply to TEXT only
    c.bytes = b->bytes;
  }
  return c;
}

size_t CanonicalSize(const Canonical& c) {
  switch (c.tag) {
    case Tag::kNull:
      return 1;
    case Tag::kInteger:
      return 1 + wire::VarintSize(wire::ZigZag(c.integer));
    case Tag::kReal:
      return 1 + 8;
    default:
      return 1 + wire::VarintSize(c.bytes.size()) + c.bytes.size();
  }
}

char* PutCanonical(const Canonical& c, char* p) {
  *p++ = static_cast<char>(c.tag);
  switch (c.tag) {
    case Tag::kNull:
      return p;
    case Tag::kInteger:
      return p + wire::PutVarint(p, wire::ZigZag(c.integer));
    case Tag::kReal: {
      uint64_t bits;
      std::memcpy(&bits, &c.real, sizeof bits);
      for (int i = 0; i < 8; ++i) *p++ = static_cast<char>(bits >> (8 * i));
      return p;
    }
    default:
      p += wire::PutVarint(p, c.bytes.size());
      for (char ch : c.bytes) {
        *p++ = c.fold_case && ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch;
      }
      return p;
  }
}

// Writes the hash input (or the comparison form, for SameKey) into `out`: lowercased name, 0x00,
// [0xff for a whole row], canonical values. `collation_of(i)` gives value i's collation.
template <typename CollationOf>
void BuildHashInput(std::string_view name, bool whole_row, std::span<const Value> values,
                    CollationOf collation_of, std::string* out) {
  size_t size = name.size() + 1 + (whole_row ? 1 : 0);
  for (size_t i = 0; i < values.size(); ++i) {
    size += CanonicalSize(CanonicalOf(values[i], collation_of(i)));
  }
  out->resize(size);
  char* p = out->data();
  // SQLite compares identifiers ASCII-case-insensitively: "Items" and "items" are one table.
  for (char ch : name) *p++ = ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch;
  *p++ = '\0';
  if (whole_row) *p++ = static_cast<char>(0xff);
  for (size_t i = 0; i < values.size(); ++i) {
    p = PutCanonical(CanonicalOf(values[i], collation_of(i)), p);
  }
}

uint64_t Hash(std::string_view name, bool whole_row, std::span<const Value> values,
              const TableSchema* key_of) {
  // thread_local keeps the hot path (scanner, applier) free of allocations after warm-up.
  thread_local std::string buffer;
  auto collation_of = [&](size_t i) {
    return key_of != nullptr ? key_of->KeyCollation(i) : Collation::kBinary;
  };
  BuildHashInput(name, whole_row, values, collation_of, &buffer);
  return XXH3_64bits(buffer.data(), buffer.size());
}

}  // namespace

uint64_t RowKeyHash(const TableSchema& table, std::span<const Value> pk_values) {
  return Hash(table.name, false, pk_values, &table);
}

uint64_t WholeRowHash(const TableSchema& table, std::span<const Value> row) {
  return Hash(table.name, true, row, nullptr);
}

uint64_t ChangeRowHash(const TableSchema& table, const Change& change) {
  if (IdentityOf(change.op) == Identity::kRow) {
    // kRowCopies carries the count after the row's values: not part of the row.
    std::span<const Value> row(change.values);
    return WholeRowHash(table, row.first(std::min(row.size(), table.columns.size())));
  }
  if (change.op == Op::kDelete) return RowKeyHash(table, change.values);
  thread_local std::vector<Value> key;
  key.clear();
  for (uint32_t i : table.pk) key.push_back(change.values[i]);
  return RowKeyHash(table, key);
}

uint64_t TableShardHash(const TableSchema& table) { return Hash(table.name, false, {}, nullptr); }

uint64_t ShardHash(const TableSchema& table, const Change& change) {
  if (table.one_shard) return TableShardHash(table);
  if (IdentityOf(change.op) != Identity::kRow) return ChangeRowHash(table, change);
  // By its key (NULLs included), not its content: every change to one row — whatever values it
  // goes through — then travels in one shard stream, in order. Hashing the content would put
  // an insert of (NULL, 'y') and a later delete of that same row in different streams, which a
  // peer could apply the other way round.
  thread_local std::vector<Value> key;
  key.clear();
  for (uint32_t i : table.pk) key.push_back(change.values[i]);
  return RowKeyHash(table, key);
}

bool KeyHasNull(const TableSchema& table, std::span<const Value> row) {
  if (table.pk.empty()) return true;  // no key: identified by content, as a NULL key is
  for (uint32_t i : table.pk) {
    if (i < row.size() && std::holds_alternative<Null>(row[i])) return true;
  }
  return false;
}

bool SameKey(const TableSchema& table, std::span<const Value> a, std::span<const Value> b) {
  if (a.size() != b.size()) return false;
  auto collation_of = [&](size_t i) { return table.KeyCollation(i); };
  std::string ka, kb;
  BuildHashInput("", false, a, collation_of, &ka);
  BuildHashInput("", false, b, collation_of, &kb);
  return ka == kb;
}

uint32_t ShardOf(uint64_t row_key_hash, uint32_t shards) {
  if (shards == 0) {
    std::fprintf(stderr, "change::ShardOf: shards must be at least 1\n");
    std::abort();
  }
  return static_cast<uint32_t>(row_key_hash % shards) + 1;
}

}  // namespace harmony::change
