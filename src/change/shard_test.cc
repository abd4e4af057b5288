#include "change/shard.h"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "change/value_codec.h"

namespace harmony::change {
namespace {

// These values are what every node of every version computes; if one changes, rows move to other
// shards and nodes running different builds disagree on ordering. Never update them.
TEST(ShardTest, RowKeyHashOfBooksPk1NeverChanges) {
  const std::vector<Value> pk = {int64_t{1}};
  EXPECT_EQ(RowKeyHash("Books", pk), 0x43ea8a76021d9753u);  // docs/wire-format.md
  EXPECT_EQ(ShardOf(0x43ea8a76021d9753u, 7), 3u);
}

TEST(ShardTest, RowKeyHashOfCompositeKeyNeverChanges) {
  const std::vector<Value> pk = {Text{"Dune"}, Null{}, 9.5, Blob{"\x01"}};
  EXPECT_EQ(RowKeyHash("Books", pk), 0x16dd1f68eb2b5dbcu);
}

TEST(ShardTest, RowKeyHashIsXxh3OfTableNulAndWireEncodedKey) {
  // "Books", 0x00, INTEGER tag 0x01, zigzag(1) = 0x02.
  const std::string bytes("Books\0\x01\x02", 8);
  const std::vector<Value> pk = {int64_t{1}};
  EXPECT_EQ(RowKeyHash("Books", pk), XXH3_64bits(bytes.data(), bytes.size()));
}

TEST(ShardTest, RowKeyHashUsesTheWireValueEncodingForLongKeysToo) {
  // Keys longer than the hash's stack buffer take another path; both must hash the same bytes.
  for (size_t len : {0, 1, 200, 243, 244, 245, 300, 100000}) {
    const std::vector<Value> pk = {Text{std::string(len, 't')}, int64_t{-5},
                                   Blob{std::string(len, 'b')}};
    std::string bytes = "orders";
    bytes.push_back('\0');
    for (const Value& v : pk) wire::AppendValue(&bytes, v);
    EXPECT_EQ(RowKeyHash("orders", pk), XXH3_64bits(bytes.data(), bytes.size())) << len;
  }
}

TEST(ShardTest, StorageClassTableNameAndKeyOrderAllMatter) {
  const std::vector<Value> one_int = {int64_t{1}};
  const std::vector<Value> one_real = {1.0};
  const std::vector<Value> one_text = {Text{"1"}};
  const std::vector<Value> one_blob = {Blob{"1"}};
  const std::vector<Value> ab = {int64_t{1}, int64_t{2}};
  const std::vector<Value> ba = {int64_t{2}, int64_t{1}};
  const std::set<uint64_t> hashes = {
      RowKeyHash("Books", one_int),  RowKeyHash("Books", one_real), RowKeyHash("Books", one_text),
      RowKeyHash("Books", one_blob), RowKeyHash("books", one_int),  RowKeyHash("Books", ab),
      RowKeyHash("Books", ba),       RowKeyHash("Books", {}),
  };
  EXPECT_EQ(hashes.size(), 8u);
}

TEST(ShardTest, ShardOfWithOneShardIsAlwaysOne) {
  for (uint64_t h :
       {uint64_t{0}, uint64_t{1}, uint64_t{12345}, std::numeric_limits<uint64_t>::max()}) {
    EXPECT_EQ(ShardOf(h, 1), 1u) << h;
  }
}

TEST(ShardTest, ShardOfWithSevenShardsCoversOneToSeven) {
  EXPECT_EQ(ShardOf(0, 7), 1u);
  EXPECT_EQ(ShardOf(6, 7), 7u);
  EXPECT_EQ(ShardOf(7, 7), 1u);
  EXPECT_EQ(ShardOf(std::numeric_limits<uint64_t>::max(), 7), 2u);  // 2^64 - 1 = 1 (mod 7)
  std::set<uint32_t> seen;
  for (int64_t id = 0; id < 1000; ++id) {
    const std::vector<Value> pk = {id};
    const uint32_t shard = ShardOf(RowKeyHash("Books", pk), 7);
    EXPECT_GE(shard, 1u);
    EXPECT_LE(shard, 7u);
    seen.insert(shard);
  }
  EXPECT_EQ(seen.size(), 7u);
}

}  // namespace
}  // namespace harmony::change
