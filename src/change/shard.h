#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "change/change.h"
#include "common/value.h"

namespace harmony::change {

// Row identity (docs/architecture.md, "Row identity"; bytes in docs/wire-format.md, "Row-key
// hash and shards"). Two keys SQLite considers equal for the table's PRIMARY KEY hash alike, on
// every node: the hash is XXH3-64 (seed 0) over the ASCII-lowercased table name, one 0x00 byte,
// then each key value in primary-key order in its canonical form, encoded as the wire codec
// encodes a value. Canonical form: a REAL with an exact 64-bit integer value becomes that
// INTEGER (SQLite compares numbers by value in every column affinity); TEXT is folded by the
// column's collation (NOCASE: A-Z to a-z; RTRIM: trailing spaces dropped); other values as they
// are. Every node must agree on this; changing it moves rows between shards.
uint64_t RowKeyHash(const TableSchema& table, std::span<const Value> pk_values);

// Whole-row identity: the same, but with one 0xff byte after the 0x00 (no value tag is 0xff, so a
// row never hashes like a key) and every column's value, TEXT taken as BINARY.
uint64_t WholeRowHash(const TableSchema& table, std::span<const Value> row);

// The identity hash of the row `change` affects: RowKeyHash of its key, or WholeRowHash of its
// values for Identity::kRow.
uint64_t ChangeRowHash(const TableSchema& table, const Change& change);

// The hash that picks the shard of `change`: for a table with TableSchema::one_shard,
// TableShardHash(table) for every change; else ChangeRowHash for changes with key identity, and
// for whole-row identity RowKeyHash of the row's key values, NULLs included (so every change of a
// row with a NULL key stays in one shard stream, in order).
uint64_t ShardHash(const TableSchema& table, const Change& change);

// The hash that picks the one shard of a one_shard table: RowKeyHash with no key values (XXH3-64
// of the ASCII-lowercased name and one 0x00 byte), so every node sends the table's changes to
// the same shard.
uint64_t TableShardHash(const TableSchema& table);

// True when `row` (all columns, in column order) has no identity by key: some primary-key value is
// NULL (SQLite treats every such row as distinct), or the table has no key at all (a table
// without PRIMARY KEY and without a usable UNIQUE index; issue #10, item 3).
bool KeyHasNull(const TableSchema& table, std::span<const Value> row);

// True when the canonical forms of two keys of `table` are equal (same hash input).
bool SameKey(const TableSchema& table, std::span<const Value> a, std::span<const Value> b);

// Shard number in 1..shards for a row-key hash: (hash % shards) + 1.
uint32_t ShardOf(uint64_t row_key_hash, uint32_t shards);

}  // namespace harmony::change
