#include "change/shard.h"

#include <xxhash.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "change/value_codec.h"

namespace harmony::change {

uint64_t RowKeyHash(std::string_view table, std::span<const Value> pk_values) {
  size_t size = table.size() + 1;
  for (const Value& v : pk_values) size += wire::EncodedValueSize(v);

  // One-shot XXH3 over a contiguous key is much faster than the streaming API for the short keys
  // that are the common case; only unusually long keys pay for a heap buffer.
  char stack[256];
  std::string heap;
  char* key = stack;
  if (size > sizeof stack) {
    heap.resize(size);
    key = heap.data();
  }
  char* p = key;
  if (!table.empty()) std::memcpy(p, table.data(), table.size());
  p += table.size();
  *p++ = '\0';
  for (const Value& v : pk_values) {
    std::string_view payload;
    p += wire::PutValueHead(v, p, &payload);
    if (!payload.empty()) std::memcpy(p, payload.data(), payload.size());
    p += payload.size();
  }
  return XXH3_64bits(key, size);
}

uint32_t ShardOf(uint64_t row_key_hash, uint32_t shards) {
  if (shards == 0) {
    std::fprintf(stderr, "change::ShardOf: shards must be at least 1\n");
    std::abort();
  }
  return static_cast<uint32_t>(row_key_hash % shards) + 1;
}

}  // namespace harmony::change
