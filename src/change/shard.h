#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "common/value.h"

namespace harmony::change {

// XXH3-64 (seed 0) over: the table name's UTF-8 bytes, one 0x00 byte, then each primary-key value
// in primary-key order, each encoded exactly as the wire codec encodes a value
// (docs/wire-format.md, "Values"). Every node and every future version must agree on this.
uint64_t RowKeyHash(std::string_view table, std::span<const Value> pk_values);

// Shard number in 1..shards for a row-key hash: (hash % shards) + 1.
uint32_t ShardOf(uint64_t row_key_hash, uint32_t shards);

}  // namespace harmony::change
