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

// A table shape whose key has `collations.size()` columns (names do not matter to the hash).
TableSchema Table(std::string name, std::vector<Collation> collations = {Collation::kBinary}) {
  TableSchema t;
  t.name = std::move(name);
  for (uint32_t i = 0; i < collations.size(); ++i) {
    t.columns.push_back("c" + std::to_string(i));
    t.pk.push_back(i);
  }
  t.pk_collations = std::move(collations);
  return t;
}

uint64_t KeyHash(const std::string& table, std::vector<Value> key,
                 Collation collation = Collation::kBinary) {
  return RowKeyHash(Table(table, std::vector<Collation>(key.size(), collation)), key);
}

// These values are what every node of this version computes; if one changes, rows move to other
// shards and nodes running different builds disagree on ordering. Change them only together with
// docs/wire-format.md and a note that all nodes must be upgraded together.
TEST(ShardTest, RowKeyHashOfBooksPk1NeverChanges) {
  EXPECT_EQ(KeyHash("Books", {int64_t{1}}), 0x59318020d7616603u);  // docs/wire-format.md
  EXPECT_EQ(ShardOf(0x59318020d7616603u, 7), 7u);
}

TEST(ShardTest, RowKeyHashOfCompositeKeyNeverChanges) {
  EXPECT_EQ(KeyHash("Books", {Text{"Dune"}, Null{}, 9.5, Blob{"\x01"}}), 0xca2e474e36fd8effu);
}

TEST(ShardTest, RowKeyHashIsXxh3OfLowercasedTableNulAndWireEncodedKey) {
  // "books", 0x00, INTEGER tag 0x01, zigzag(1) = 0x02.
  const std::string bytes("books\0\x01\x02", 8);
  EXPECT_EQ(KeyHash("Books", {int64_t{1}}), XXH3_64bits(bytes.data(), bytes.size()));
}

TEST(ShardTest, RowKeyHashUsesTheWireValueEncodingForLongKeysToo) {
  for (size_t len : {0, 1, 200, 243, 244, 245, 300, 100000}) {
    const std::vector<Value> pk = {Text{std::string(len, 't')}, int64_t{-5},
                                   Blob{std::string(len, 'b')}};
    std::string bytes = "orders";
    bytes.push_back('\0');
    for (const Value& v : pk) wire::AppendValue(&bytes, v);
    EXPECT_EQ(KeyHash("orders", pk), XXH3_64bits(bytes.data(), bytes.size())) << len;
  }
}

TEST(ShardTest, StorageClassAndKeyOrderMatterWhereSqliteSeesDifferentKeys) {
  const std::set<uint64_t> hashes = {
      KeyHash("Books", {int64_t{1}}),
      KeyHash("Books", {1.5}),
      KeyHash("Books", {Text{"1"}}),
      KeyHash("Books", {Blob{"1"}}),
      KeyHash("Books", {Null{}}),
      KeyHash("Books", {int64_t{1}, int64_t{2}}),
      KeyHash("Books", {int64_t{2}, int64_t{1}}),
      KeyHash("Books", {}),
      KeyHash("Books", {Text{"a"}}),
      KeyHash("Books", {Text{"A"}}),
      KeyHash("Books", {Text{"a "}}),
      KeyHash("Authors", {int64_t{1}}),
  };
  EXPECT_EQ(hashes.size(), 12u);
}

// Regression (#9): keys SQLite considers equal for the PRIMARY KEY are one row, so one shard.
TEST(ShardTest, TableNamesDifferingInAsciiCaseAreOneTable) {
  EXPECT_EQ(KeyHash("Items", {int64_t{1}}), KeyHash("items", {int64_t{1}}));
  EXPECT_EQ(KeyHash("ITEMS", {int64_t{1}}), KeyHash("items", {int64_t{1}}));
  // Only ASCII folds, as in SQLite: "\xc3\x89" (E acute) is not "\xc3\xa9".
  EXPECT_NE(KeyHash("\xc3\x89t\xc3\xa9", {int64_t{1}}), KeyHash("\xc3\xa9t\xc3\xa9", {int64_t{1}}));
}

TEST(ShardTest, NocaseKeysDifferingInAsciiCaseHashAlike) {
  EXPECT_EQ(KeyHash("t", {Text{"Hello"}}, Collation::kNocase),
            KeyHash("t", {Text{"hELLO"}}, Collation::kNocase));
  EXPECT_NE(KeyHash("t", {Text{"Hello"}}, Collation::kNocase),
            KeyHash("t", {Text{"Hello "}}, Collation::kNocase));
  // NOCASE folds ASCII only: SQLite keeps "\xc3\x84" and "\xc3\xa4" apart.
  EXPECT_NE(KeyHash("t", {Text{"\xc3\x84"}}, Collation::kNocase),
            KeyHash("t", {Text{"\xc3\xa4"}}, Collation::kNocase));
  // BINARY keeps case; a BLOB is never collated.
  EXPECT_NE(KeyHash("t", {Text{"A"}}), KeyHash("t", {Text{"a"}}));
  EXPECT_NE(KeyHash("t", {Blob{"A"}}, Collation::kNocase),
            KeyHash("t", {Blob{"a"}}, Collation::kNocase));
}

TEST(ShardTest, RtrimKeysDifferingInTrailingSpacesHashAlike) {
  EXPECT_EQ(KeyHash("t", {Text{"x"}}, Collation::kRtrim),
            KeyHash("t", {Text{"x   "}}, Collation::kRtrim));
  EXPECT_EQ(KeyHash("t", {Text{""}}, Collation::kRtrim),
            KeyHash("t", {Text{"  "}}, Collation::kRtrim));
  // Only spaces: a trailing tab or a leading space is part of the key.
  EXPECT_NE(KeyHash("t", {Text{"x"}}, Collation::kRtrim),
            KeyHash("t", {Text{"x\t"}}, Collation::kRtrim));
  EXPECT_NE(KeyHash("t", {Text{"x"}}, Collation::kRtrim),
            KeyHash("t", {Text{" x"}}, Collation::kRtrim));
  EXPECT_NE(KeyHash("t", {Text{"x"}}), KeyHash("t", {Text{"x "}}));
}

TEST(ShardTest, RealWithAnIntegerValueHashesLikeThatInteger) {
  EXPECT_EQ(KeyHash("t", {1.0}), KeyHash("t", {int64_t{1}}));
  EXPECT_EQ(KeyHash("t", {-0.0}), KeyHash("t", {int64_t{0}}));
  EXPECT_EQ(KeyHash("t", {0.0}), KeyHash("t", {int64_t{0}}));
  EXPECT_EQ(KeyHash("t", {-9223372036854775808.0}),
            KeyHash("t", {std::numeric_limits<int64_t>::min()}));
  EXPECT_EQ(KeyHash("t", {9007199254740992.0}), KeyHash("t", {int64_t{9007199254740992}}));
  EXPECT_NE(KeyHash("t", {9007199254740992.0}), KeyHash("t", {int64_t{9007199254740993}}));
  // 2^63 is no int64; it stays a REAL, as does every value with a fraction.
  EXPECT_NE(KeyHash("t", {9223372036854775808.0}),
            KeyHash("t", {std::numeric_limits<int64_t>::max()}));
  EXPECT_NE(KeyHash("t", {1.5}), KeyHash("t", {int64_t{1}}));
  // A number never equals TEXT, whatever the collation.
  EXPECT_NE(KeyHash("t", {1.0}, Collation::kNocase), KeyHash("t", {Text{"1"}}, Collation::kNocase));
}

TEST(ShardTest, CompositeKeysUseEachColumnsOwnCollation) {
  const TableSchema t = Table("t", {Collation::kNocase, Collation::kBinary, Collation::kRtrim});
  const std::vector<Value> a = {Text{"A"}, Text{"b"}, Text{"c "}};
  const std::vector<Value> b = {Text{"a"}, Text{"b"}, Text{"c"}};
  const std::vector<Value> c = {Text{"a"}, Text{"B"}, Text{"c"}};
  EXPECT_EQ(RowKeyHash(t, a), RowKeyHash(t, b));
  EXPECT_TRUE(SameKey(t, a, b));
  EXPECT_NE(RowKeyHash(t, a), RowKeyHash(t, c));
  EXPECT_FALSE(SameKey(t, a, c));
}

TEST(ShardTest, WholeRowHashNeverEqualsAKeyHashAndKeepsCase) {
  TableSchema t = Table("t", {Collation::kNocase});
  t.columns.push_back("v");
  const std::vector<Value> row = {Null{}, Text{"a"}};
  const std::vector<Value> upper = {Null{}, Text{"A"}};
  EXPECT_NE(WholeRowHash(t, row), RowKeyHash(t, row));
  EXPECT_NE(WholeRowHash(t, row), WholeRowHash(t, upper));
  TableSchema renamed = t;
  renamed.name = "T";
  EXPECT_EQ(WholeRowHash(t, row), WholeRowHash(renamed, row));
  EXPECT_TRUE(KeyHasNull(t, row));
  EXPECT_FALSE(KeyHasNull(t, std::vector<Value>{Text{"k"}, Null{}}));
}

TEST(ShardTest, ChangeRowHashFollowsTheChangesIdentity) {
  TableSchema t = Table("t", {Collation::kNocase});
  t.columns.push_back("v");
  const std::vector<Value> key = {Text{"K"}};
  EXPECT_EQ(ChangeRowHash(t, {Op::kUpsert, 0, {Text{"k"}, int64_t{1}}}), RowKeyHash(t, key));
  EXPECT_EQ(ChangeRowHash(t, {Op::kDelete, 0, {Text{"k"}}}), RowKeyHash(t, key));
  const std::vector<Value> row = {Null{}, int64_t{1}};
  EXPECT_EQ(ChangeRowHash(t, {Op::kInsertRow, 0, row}), WholeRowHash(t, row));
  EXPECT_EQ(ChangeRowHash(t, {Op::kDeleteRow, 0, row}), WholeRowHash(t, row));
}

TEST(ShardTest, OneShardTableSendsEveryChangeToTheShardOfItsName) {
  // Issue #9 item 2: rows of a table with a secondary UNIQUE constraint must be ordered against
  // each other, so all of them share one stream.
  TableSchema t = Table("Users");
  t.columns.push_back("email");
  t.one_shard = true;
  const std::string bytes("users\0", 6);
  const uint64_t table_hash = XXH3_64bits(bytes.data(), bytes.size());
  EXPECT_EQ(TableShardHash(t), table_hash);
  std::set<uint32_t> shards;
  for (int64_t id = 0; id < 100; ++id) {
    shards.insert(ShardOf(ShardHash(t, {Op::kUpsert, 0, {id, Text{"a@x"}}}), 7));
    shards.insert(ShardOf(ShardHash(t, {Op::kDelete, 0, {id}}), 7));
    shards.insert(ShardOf(ShardHash(t, {Op::kInsertRow, 0, {Null{}, int64_t{id}}}), 7));
  }
  EXPECT_EQ(shards, std::set<uint32_t>{ShardOf(table_hash, 7)});
  // The row's identity does not change with the routing.
  EXPECT_EQ(ChangeRowHash(t, {Op::kDelete, 0, {int64_t{1}}}), KeyHash("users", {int64_t{1}}));
  // Nor does shape equality: the flag is the sender's routing, not on the wire.
  TableSchema plain = t;
  plain.one_shard = false;
  EXPECT_TRUE(plain == t);
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
    const uint32_t shard = ShardOf(RowKeyHash(Table("Books"), pk), 7);
    EXPECT_GE(shard, 1u);
    EXPECT_LE(shard, 7u);
    seen.insert(shard);
  }
  EXPECT_EQ(seen.size(), 7u);
}

}  // namespace
}  // namespace harmony::change
