#include "change/codec.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <bit>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "change/value_codec.h"

namespace harmony::change {
namespace {

using wire::AppendVarint;

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    if (!out.empty()) out += ' ';
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string Bytes(std::initializer_list<uint8_t> bytes) {
  return std::string(bytes.begin(), bytes.end());
}

double RealFromBits(uint64_t bits) { return std::bit_cast<double>(bits); }

void ExpectSameBatch(const Batch& want, const Batch& got) {
  EXPECT_EQ(got.node_id, want.node_id);
  EXPECT_EQ(got.epoch, want.epoch);
  EXPECT_EQ(got.first_seq, want.first_seq);
  EXPECT_EQ(got.last_seq, want.last_seq);
  EXPECT_EQ(got.part, want.part);
  EXPECT_EQ(got.last_part, want.last_part);
  EXPECT_EQ(got.tables, want.tables);
  ASSERT_EQ(got.changes.size(), want.changes.size());
  for (size_t i = 0; i < want.changes.size(); ++i) {
    EXPECT_EQ(got.changes[i].op, want.changes[i].op) << "change " << i;
    EXPECT_EQ(got.changes[i].table, want.changes[i].table) << "change " << i;
    ASSERT_EQ(got.changes[i].values.size(), want.changes[i].values.size()) << "change " << i;
    for (size_t j = 0; j < want.changes[i].values.size(); ++j) {
      const Value& w = want.changes[i].values[j];
      const Value& g = got.changes[i].values[j];
      EXPECT_TRUE(SameValue(w, g)) << "change " << i << " value " << j << ": want "
                                   << DebugString(w) << ", got " << DebugString(g);
    }
  }
}

// Encodes `batch` uncompressed and compressed and checks both decode to the same batch.
void ExpectRoundTrip(const Batch& batch) {
  for (bool compress : {false, true}) {
    SCOPED_TRACE(compress ? "compressed" : "uncompressed");
    const std::string payload = Encode(batch, {.compress = compress});
    ASSERT_GE(payload.size(), 2u);
    EXPECT_EQ(payload[1], compress ? kFlagCompressed : 0);
    Result<Batch> got = Decode(payload);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ExpectSameBatch(batch, *got);
  }
}

// The batch of the worked example in docs/wire-format.md.
Batch BooksBatch() {
  Batch b;
  b.node_id = 3;
  b.epoch = 300;
  b.first_seq = 10;
  b.last_seq = 11;
  b.tables = {{"Books", {"id", "title", "price"}, {0}}};
  b.changes = {{Op::kUpsert, 0, {int64_t{1}, Text{"Dune"}, 9.5}}, {Op::kDelete, 0, {int64_t{2}}}};
  return b;
}

// Byte offsets of fields in Encode(BooksBatch()), as laid out in the docs.
constexpr size_t kLastPartAt = 8;
constexpr size_t kPkCountAt = 32;
constexpr size_t kPkIndexAt = 33;
constexpr size_t kChangeCountAt = 34;
constexpr size_t kOpAt = 35;
constexpr size_t kTableIndexAt = 36;
constexpr size_t kTitleTagAt = 39;

std::string BooksPayload() { return Encode(BooksBatch(), {}); }

std::string DecodeError(std::string_view payload) {
  Result<Batch> got = Decode(payload);
  if (got.ok()) return "decoded without error";
  EXPECT_EQ(got.status().code(), Status::Code::kCorruption) << got.status().ToString();
  return got.status().message();
}

std::vector<Value> EveryStorageClass() {
  return {
      Null{},
      int64_t{0},
      int64_t{-1},
      int64_t{1},
      int64_t{63},
      int64_t{64},
      int64_t{-64},
      int64_t{-65},
      std::numeric_limits<int64_t>::min(),
      std::numeric_limits<int64_t>::max(),
      1e308,
      5e-324,
      3.0,
      0.1,
      -0.0,
      0.0,
      std::numeric_limits<double>::infinity(),
      RealFromBits(0x7ff8000000000123),  // quiet NaN with a payload
      RealFromBits(0xfff0000000000001),  // negative signalling NaN
      Text{"h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 \xe6\x97\xa5\xf0\x9f\x98\x80"},
      Text{"quotes ' \" \\ and ` backtick"},
      Text{std::string("nul\0inside\0", 11)},
      Text{"\x01\x02\x1f\x7f\t\n\r"},
      Text{""},
      Blob{""},
      Blob{std::string("\x00\xff\x80\x7f", 4)},
  };
}

TEST(CodecTest, EncodesWorkedExampleFromDocsExactly) {
  EXPECT_EQ(Hex(BooksPayload()),
            "01 00 03 ac 02 0a 0b 00 01 01 05 42 6f 6f 6b 73 03 02 69 64 05 74 69 74 6c 65 05 70 "
            "72 69 63 65 01 00 02 01 00 01 02 03 04 44 75 6e 65 02 00 00 00 00 00 00 23 40 02 00 "
            "01 04");
}

TEST(CodecTest, RoundTripsEveryStorageClassBitExactly) {
  const std::vector<Value> values = EveryStorageClass();
  Batch b;
  TableSchema table{"t", {}, {0}};
  for (size_t i = 0; i < values.size(); ++i) table.columns.push_back("c" + std::to_string(i));
  b.tables.push_back(table);
  b.changes.push_back({Op::kUpsert, 0, values});
  // Each value also travels alone as a delete key, so it is checked in the pk position too.
  for (const Value& v : values) b.changes.push_back({Op::kDelete, 0, {v}});
  ExpectRoundTrip(b);
}

TEST(CodecTest, EmptyTextEmptyBlobAndNullStayDistinct) {
  Batch b;
  b.tables = {{"t", {"a", "b", "c"}, {0}}};
  b.changes = {{Op::kUpsert, 0, {Text{""}, Blob{""}, Null{}}}};
  Result<Batch> got = Decode(Encode(b, {}));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  const std::vector<Value>& v = got->changes[0].values;
  ASSERT_EQ(v.size(), 3u);
  EXPECT_TRUE(std::holds_alternative<Text>(v[0]));
  EXPECT_TRUE(std::holds_alternative<Blob>(v[1]));
  EXPECT_TRUE(std::holds_alternative<Null>(v[2]));
}

TEST(CodecTest, RoundTripsFiveMebibyteBlob) {
  std::string bytes(5 << 20, '\0');
  uint64_t x = 0x9e3779b97f4a7c15;
  for (char& c : bytes) {  // xorshift: incompressible, every byte value occurs
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x);
  }
  Batch b;
  b.tables = {{"files", {"id", "data"}, {0}}};
  b.changes = {{Op::kUpsert, 0, {int64_t{1}, Blob{bytes}}}};
  ExpectRoundTrip(b);
}

TEST(CodecTest, RoundTripsMultipleTablesWithUpsertsAndDeletes) {
  Batch b;
  b.tables = {{"authors", {"id", "name"}, {0}},
              {"books", {"author", "title", "year", "cover"}, {1, 0}},
              {"", {}, {}}};  // SQLite allows an empty identifier; the codec does not judge names
  b.changes = {
      {Op::kUpsert, 1, {int64_t{7}, Text{"Dune"}, int64_t{1965}, Blob{"\x89PNG"}}},
      {Op::kDelete, 0, {int64_t{8}}},
      {Op::kUpsert, 0, {int64_t{7}, Text{"Herbert"}}},
      {Op::kDelete, 1, {Text{"Dune"}, int64_t{7}}},
      {Op::kUpsert, 2, {}},
      {Op::kDelete, 2, {}},
  };
  ExpectRoundTrip(b);
}

// The version-2 worked example in docs/wire-format.md: a NOCASE key and the whole-row ops.
Batch NocaseBatch() {
  Batch b;
  b.node_id = 3;
  b.epoch = 300;
  b.first_seq = 10;
  b.last_seq = 11;
  b.tables = {{"t", {"k", "v"}, {0}, {Collation::kNocase}}};
  b.changes = {{Op::kInsertRow, 0, {Null{}, Text{"a"}}},
               {Op::kDeleteRow, 0, {Null{}, Text{"a"}}},
               {Op::kUpsert, 0, {Text{"A"}, Text{"b"}}}};
  return b;
}

TEST(CodecTest, EncodesVersionTwoWorkedExampleFromDocsExactly) {
  EXPECT_EQ(Hex(Encode(NocaseBatch(), {})),
            "02 00 03 ac 02 0a 0b 00 01 01 01 74 02 01 6b 01 76 01 00 01 03 "
            "03 00 00 03 01 61 04 00 00 03 01 61 01 00 03 01 41 03 01 62");
}

TEST(CodecTest, RoundTripsKeyCollationsAndWholeRowOps) {
  ExpectRoundTrip(NocaseBatch());
  Batch b;
  b.tables = {{"a", {"x", "y", "z"}, {2, 0}, {Collation::kRtrim, Collation::kBinary}},
              {"b", {"x"}, {0}, {Collation::kBinary}}};
  b.changes = {{Op::kDelete, 0, {Text{"r  "}, int64_t{1}}},
               {Op::kDeleteRow, 1, {Null{}}},
               {Op::kEnsureRow, 1, {Text{"e"}}},
               {Op::kUpsert, 0, {int64_t{1}, 2.0, Text{"r"}}}};
  ExpectRoundTrip(b);
  Result<Batch> got = Decode(Encode(b, {}));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->tables[0].pk_collations,
            (std::vector<Collation>{Collation::kRtrim, Collation::kBinary}));
}

// Backward compatibility: what a version-1 reader understands is still written as version 1.
TEST(CodecTest, BatchesWithOnlyBinaryKeysAndKeyOpsStayVersionOne) {
  Batch b = BooksBatch();
  EXPECT_EQ(Encode(b, {})[0], kWireVersion);
  b.tables[0].pk_collations = {Collation::kBinary};
  EXPECT_EQ(Encode(b, {})[0], kWireVersion);
  EXPECT_EQ(Encode(b, {.compress = true})[0], kWireVersion);
  b.tables[0].pk_collations = {Collation::kNocase};
  EXPECT_EQ(Encode(b, {})[0], kWireVersion2);
  b = BooksBatch();
  b.changes.push_back({Op::kInsertRow, 0, {Null{}, Text{"x"}, Null{}}});
  EXPECT_EQ(Encode(b, {.compress = true})[0], kWireVersion2);
}

TEST(CodecTest, EmptyCollationListEqualsAllBinary) {
  const TableSchema plain{"t", {"k"}, {0}};
  const TableSchema binary{"t", {"k"}, {0}, {Collation::kBinary}};
  const TableSchema nocase{"t", {"k"}, {0}, {Collation::kNocase}};
  EXPECT_EQ(plain, binary);
  EXPECT_NE(plain, nocase);
}

TEST(CodecCorruptionTest, VersionTwoRejectsUnknownCollationAndOp) {
  std::string p = Encode(NocaseBatch(), {});
  constexpr size_t kCollationAt = 19;
  constexpr size_t kFirstOpAt = 21;
  ASSERT_EQ(p[kCollationAt], 1);
  p[kCollationAt] = 3;
  EXPECT_EQ(DecodeError(p), "table 0: unknown collation 3 at byte 19");
  p = Encode(NocaseBatch(), {});
  ASSERT_EQ(p[kFirstOpAt], 3);
  p[kFirstOpAt] = 7;
  EXPECT_EQ(DecodeError(p), "change 0: unknown op 7 at byte 21");
}

TEST(CodecTest, RowCopiesCarryTheCountAfterTheRowAndRoundTrip) {
  Batch b;
  b.tables = {{"t", {"k", "v"}, {0}}};
  b.changes = {{Op::kRowCopies, 0, {Null{}, Text{"a"}, int64_t{2}}},
               {Op::kRowCopies, 0, {Null{}, Text{"b"}, int64_t{0}}}};
  ExpectRoundTrip(b);
  EXPECT_EQ(Encode(b, {})[0], 2);  // version 2
}

TEST(CodecCorruptionTest, RowCopiesWithoutAnIntegerCountAreRejected) {
  for (const Value& count : {Value{int64_t{-1}}, Value{Text{"2"}}, Value{Null{}}}) {
    Batch b;
    b.tables = {{"t", {"k"}, {0}}};
    b.changes = {{Op::kRowCopies, 0, {Null{}, int64_t{1}}}};
    std::string p = Encode(b, {});
    // Re-encode with the count replaced: the encoder writes any value.
    b.changes[0].values[1] = count;
    p = Encode(b, {});
    EXPECT_NE(DecodeError(p).find("row copies: the count is not an INTEGER >= 0"),
              std::string::npos)
        << DecodeError(p);
  }
}

TEST(CodecTest, RoundTripsEmptyBatch) { ExpectRoundTrip(Batch{}); }

TEST(CodecTest, RoundTripsMultiPartFieldsAtTheirLimits) {
  Batch b = BooksBatch();
  b.node_id = std::numeric_limits<uint64_t>::max();
  b.epoch = uint64_t{1} << 63;
  b.first_seq = (uint64_t{1} << 56) - 1;
  b.last_seq = uint64_t{1} << 56;
  b.part = std::numeric_limits<uint32_t>::max();
  b.last_part = false;
  ExpectRoundTrip(b);
  b.part = 0;
  b.last_part = true;
  ExpectRoundTrip(b);
}

TEST(CodecTest, CompressionShrinksRepetitiveBatches) {
  Batch b;
  b.tables = {{"log", {"id", "line"}, {0}}};
  for (int64_t i = 0; i < 1000; ++i) {
    b.changes.push_back({Op::kUpsert, 0, {i, Text{"the same line of text, again and again"}}});
  }
  const std::string plain = Encode(b, {});
  const std::string packed = Encode(b, {.compress = true});
  EXPECT_EQ(plain[1], 0);
  EXPECT_EQ(packed[1], kFlagCompressed);
  EXPECT_LT(packed.size() * 4, plain.size());
  Result<Batch> got = Decode(packed);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ExpectSameBatch(b, *got);
}

TEST(CodecTest, VarintAndZigZagBoundaries) {
  for (uint64_t v : {uint64_t{0}, uint64_t{127}, uint64_t{128}, uint64_t{16383}, uint64_t{16384},
                     std::numeric_limits<uint64_t>::max()}) {
    std::string out;
    AppendVarint(&out, v);
    EXPECT_EQ(out.size(), wire::VarintSize(v)) << v;
  }
  std::string max;
  AppendVarint(&max, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(Hex(max), "ff ff ff ff ff ff ff ff ff 01");
  EXPECT_EQ(wire::ZigZag(0), 0u);
  EXPECT_EQ(wire::ZigZag(-1), 1u);
  EXPECT_EQ(wire::ZigZag(1), 2u);
  EXPECT_EQ(wire::ZigZag(std::numeric_limits<int64_t>::min()),
            std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(wire::UnZigZag(std::numeric_limits<uint64_t>::max()),
            std::numeric_limits<int64_t>::min());
}

TEST(CodecTest, MessageIdJoinsFieldsWithDashes) {
  Batch b = BooksBatch();
  b.part = 2;
  EXPECT_EQ(MessageId(BooksBatch(), 1), "3-300-10-11-1-0");  // docs/wire-format.md
  EXPECT_EQ(MessageId(b, 7), "3-300-10-11-7-2");
  b.node_id = std::numeric_limits<uint64_t>::max();
  b.part = std::numeric_limits<uint32_t>::max();
  EXPECT_EQ(MessageId(b, 1), "18446744073709551615-300-10-11-1-4294967295");
}

TEST(CodecDeathTest, EncodeAbortsOnMalformedBatch) {
  Batch b = BooksBatch();
  b.changes[0].table = 1;
  EXPECT_DEATH((void)Encode(b, {}), "malformed batch: change 0");
  b = BooksBatch();
  b.changes[1].values.emplace_back();  // a NULL
  EXPECT_DEATH((void)Encode(b, {}), "malformed batch: change 1");
  b = BooksBatch();
  b.tables[0].pk = {3};
  EXPECT_DEATH((void)Encode(b, {}), "malformed batch: table \"Books\"");
}

// ---- Corrupt input ----

TEST(CodecCorruptionTest, EmptyPayload) { EXPECT_EQ(DecodeError(""), "empty payload"); }

TEST(CodecCorruptionTest, WrongVersion) {
  std::string p = BooksPayload();
  p[0] = 7;
  EXPECT_EQ(DecodeError(p), "unsupported wire version 7 (this build reads 1 to 3)");
  p[0] = 0;
  EXPECT_EQ(DecodeError(p), "unsupported wire version 0 (this build reads 1 to 3)");
}

TEST(CodecCorruptionTest, UnknownFlagBits) {
  std::string p = BooksPayload();
  p[1] = 0x04;  // 0x02 is the fragment flag; fragment_test.cc covers it
  EXPECT_EQ(DecodeError(p), "unknown flag bits 0x04 at byte 1");
  p[1] = static_cast<char>(0x81);
  EXPECT_EQ(DecodeError(p), "unknown flag bits 0x80 at byte 1");
}

TEST(CodecCorruptionTest, TruncationAtEveryOffsetIsAnError) {
  Batch b;
  b.tables = {{"t", {}, {0}}};
  for (const Value& v : EveryStorageClass()) {
    b.tables[0].columns.push_back("c");
    b.changes.push_back({Op::kDelete, 0, {v}});
  }
  b.changes.push_back({Op::kUpsert, 0, EveryStorageClass()});
  for (bool compress : {false, true}) {
    const std::string p = Encode(b, {.compress = compress});
    ASSERT_TRUE(Decode(p).ok());
    for (size_t n = 0; n < p.size(); ++n) {
      Result<Batch> got = Decode(std::string_view(p).substr(0, n));
      EXPECT_FALSE(got.ok()) << "compress=" << compress << " decoded from the first " << n
                             << " bytes";
      if (!got.ok()) {
        EXPECT_EQ(got.status().code(), Status::Code::kCorruption);
      }
    }
  }
}

TEST(CodecCorruptionTest, TruncationNamesFieldAndOffset) {
  const std::string p = BooksPayload();
  EXPECT_EQ(DecodeError(p.substr(0, 1)), "truncated flags at byte 1");
  EXPECT_EQ(DecodeError(p.substr(0, 2)), "truncated node_id at byte 2");
  EXPECT_EQ(DecodeError(p.substr(0, 4)), "truncated epoch at byte 3");
  EXPECT_EQ(DecodeError(p.substr(0, 50)), "change 0: truncated real value at byte 46");
}

TEST(CodecCorruptionTest, EverySingleByteCorruptionIsHandled) {
  // Not every mutation is detectable (a changed value is still a valid value); the point is that
  // none crashes or reads out of bounds (run under ASan to see the latter).
  const std::string p = Encode(BooksBatch(), {});
  for (size_t i = 0; i < p.size(); ++i) {
    for (int byte : {0x00, 0x01, 0x7f, 0x80, 0xff}) {
      std::string q = p;
      q[i] = static_cast<char>(byte);
      Result<Batch> got = Decode(q);
      if (!got.ok()) {
        EXPECT_EQ(got.status().code(), Status::Code::kCorruption);
      }
    }
  }
}

TEST(CodecCorruptionTest, BadValueTag) {
  std::string p = BooksPayload();
  ASSERT_EQ(p[kTitleTagAt], 3);  // TEXT
  p[kTitleTagAt] = 9;
  EXPECT_EQ(DecodeError(p), "change 0: unknown value tag 9 at byte 39");
}

TEST(CodecCorruptionTest, UnknownOp) {
  std::string p = BooksPayload();
  p[kOpAt] = 3;
  EXPECT_EQ(DecodeError(p), "change 0: unknown op 3 at byte 35");
}

TEST(CodecCorruptionTest, TableIndexOutOfRange) {
  std::string p = BooksPayload();
  p[kTableIndexAt] = 1;
  EXPECT_EQ(DecodeError(p), "change 0: table index 1 out of range [0, 1) at byte 36");
}

TEST(CodecCorruptionTest, PkIndexOutOfRange) {
  std::string p = BooksPayload();
  p[kPkIndexAt] = 3;
  EXPECT_EQ(DecodeError(p), "table 0: pk index 3 out of range [0, 3) at byte 33");
}

TEST(CodecCorruptionTest, RepeatedPkIndex) {
  const std::string p = BooksPayload();
  const std::string q = p.substr(0, kPkCountAt) + Bytes({2, 0, 0}) + p.substr(kChangeCountAt);
  EXPECT_EQ(DecodeError(q), "table 0: repeated pk index 0 at byte 34");
}

TEST(CodecCorruptionTest, LastPartMustBeZeroOrOne) {
  std::string p = BooksPayload();
  p[kLastPartAt] = 2;
  EXPECT_EQ(DecodeError(p), "last_part 2 is neither 0 nor 1 at byte 8");
}

TEST(CodecCorruptionTest, PartMustFitThirtyTwoBits) {
  std::string q = Bytes({1, 0, 0, 0, 0, 0});
  AppendVarint(&q, uint64_t{1} << 32);
  q += Bytes({1, 0, 0});
  EXPECT_EQ(DecodeError(q), "part 4294967296 out of range [0, 4294967296) at byte 6");
}

TEST(CodecCorruptionTest, VarintLongerThanSixtyFourBits) {
  const std::string q = Bytes({1, 0}) + std::string(10, '\xff') + Bytes({1});
  EXPECT_EQ(DecodeError(q), "node_id overflows 64 bits at byte 2");
  const std::string r = Bytes({1, 0}) + std::string(9, '\xff') + Bytes({2});
  EXPECT_EQ(DecodeError(r), "node_id overflows 64 bits at byte 2");
}

TEST(CodecCorruptionTest, TrailingBytes) {
  const std::string p = BooksPayload() + std::string(1, '\0');
  EXPECT_EQ(DecodeError(p), "1 trailing bytes after the last change at byte 58");
}

TEST(CodecCorruptionTest, HugeCountsAreRejectedBeforeAllocating) {
  // A 17-byte message asking for 2^60 changes / tables / columns / pk columns.
  const std::string head = Bytes({1, 0, 0, 0, 0, 0, 0, 1});
  std::string changes = head + Bytes({0});
  AppendVarint(&changes, uint64_t{1} << 60);
  EXPECT_EQ(DecodeError(changes),
            "change_count 1152921504606846976 cannot fit in the remaining 0 bytes at byte 9");
  std::string tables = head;
  AppendVarint(&tables, uint64_t{1} << 60);
  EXPECT_EQ(DecodeError(tables),
            "table_count 1152921504606846976 cannot fit in the remaining 0 bytes at byte 8");
  std::string columns = head + Bytes({1, 1, 'x'});
  AppendVarint(&columns, uint64_t{1} << 60);
  EXPECT_EQ(
      DecodeError(columns),
      "table 0: column_count 1152921504606846976 cannot fit in the remaining 0 bytes at byte 11");
  std::string pks = head + Bytes({1, 1, 'x', 0});
  AppendVarint(&pks, uint64_t{1} << 60);
  EXPECT_EQ(DecodeError(pks),
            "table 0: pk_count 1152921504606846976 cannot fit in the remaining 0 bytes at byte 12");
  std::string text = BooksPayload().substr(0, kTitleTagAt + 1);
  AppendVarint(&text, uint64_t{1} << 60);
  EXPECT_EQ(
      DecodeError(text),
      "change 0: text value length 1152921504606846976 exceeds the remaining 0 bytes at byte 40");
}

// ---- Corrupt compressed input ----

std::string CompressedPayload(std::string_view body) {
  std::string frame(ZSTD_compressBound(body.size()), '\0');
  frame.resize(ZSTD_compress(frame.data(), frame.size(), body.data(), body.size(), 1));
  return Bytes({kWireVersion, kFlagCompressed}) + frame;
}

TEST(CodecCorruptionTest, CompressedBodyErrorsCountFromDecompressedBody) {
  const std::string body = BooksPayload().substr(2) + std::string(1, '\0');
  EXPECT_EQ(DecodeError(CompressedPayload(body)),
            "1 trailing bytes after the last change at byte 56 of the decompressed body");
}

TEST(CodecCorruptionTest, BytesAfterZstdFrame) {
  const std::string p = CompressedPayload(BooksPayload().substr(2));
  EXPECT_EQ(DecodeError(p + "xy"),
            "2 trailing bytes after the zstd frame at byte " + std::to_string(p.size()));
}

TEST(CodecCorruptionTest, NotAZstdFrame) {
  std::string p = BooksPayload();
  p[1] = kFlagCompressed;
  EXPECT_EQ(DecodeError(p), "invalid zstd frame header at byte 2");
}

TEST(CodecCorruptionTest, ZstdFrameWithoutContentSize) {
  const std::string body = BooksPayload().substr(2);
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ASSERT_NE(cctx, nullptr);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);
  std::string frame(ZSTD_compressBound(body.size()), '\0');
  const size_t n = ZSTD_compress2(cctx, frame.data(), frame.size(), body.data(), body.size());
  ZSTD_freeCCtx(cctx);
  ASSERT_FALSE(ZSTD_isError(n));
  frame.resize(n);
  EXPECT_EQ(DecodeError(Bytes({kWireVersion, kFlagCompressed}) + frame),
            "zstd frame does not declare its content size at byte 2");
}

TEST(CodecCorruptionTest, ZstdFrameDeclaringTooLargeABody) {
  // A hand-made frame header: magic, single-segment with an 8-byte content size of 1 GiB.
  const std::string p = Bytes(
      {kWireVersion, kFlagCompressed, 0x28, 0xb5, 0x2f, 0xfd, 0xe0, 0, 0, 0, 0x40, 0, 0, 0, 0});
  EXPECT_EQ(DecodeError(p),
            "zstd frame declares 1073741824 bytes, over the limit of 268435456 at byte 2");
}

}  // namespace
}  // namespace harmony::change
