#include "change/fragment.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "change/codec.h"

namespace harmony::change {
namespace {

std::string Bytes(std::initializer_list<uint8_t> bytes) {
  return std::string(bytes.begin(), bytes.end());
}

// Bytes that differ at every offset, so a misplaced piece cannot go unnoticed.
std::string Pattern(size_t n) {
  std::string out(n, '\0');
  uint64_t x = 0x9e3779b97f4a7c15;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out[i] = static_cast<char>(x);
  }
  return out;
}

std::string ErrorOf(const Result<std::optional<std::string>>& r) {
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
  return r.status().message();
}

std::string ParseError(std::string_view payload) {
  Result<FragmentHeader> r = ParseFragment(payload);
  EXPECT_FALSE(r.ok());
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
  return r.status().message();
}

// Feeds every fragment to a fresh Reassembler; expects the last to complete the message.
std::string Reassemble(const std::vector<std::string>& fragments, uint32_t shard = 1) {
  Reassembler reassembler;
  for (size_t i = 0; i < fragments.size(); ++i) {
    auto got = reassembler.Add(shard, fragments[i]);
    EXPECT_TRUE(got.ok()) << got.status().message();
    if (!got.ok()) return "";
    if (i + 1 < fragments.size()) {
      EXPECT_FALSE(got->has_value()) << "fragment " << i;
      EXPECT_TRUE(reassembler.HasPartial());
    } else {
      EXPECT_TRUE(got->has_value());
      EXPECT_FALSE(reassembler.HasPartial());
      return got->value_or("");
    }
  }
  return "";
}

void ExpectRoundTrip(const std::string& encoded, size_t max, uint64_t sender) {
  const std::vector<std::string> fragments = Fragment(encoded, max, sender);
  ASSERT_GE(fragments.size(), 2u);
  for (size_t i = 0; i < fragments.size(); ++i) {
    EXPECT_LE(fragments[i].size(), max) << "fragment " << i;
    EXPECT_TRUE(IsFragment(fragments[i]));
    auto h = ParseFragment(fragments[i]);
    ASSERT_TRUE(h.ok()) << h.status().message();
    EXPECT_EQ(h->sender, sender);
    EXPECT_EQ(h->index, i);
    EXPECT_EQ(h->count, fragments.size());
    EXPECT_EQ(h->total_size, encoded.size());
  }
  EXPECT_EQ(Reassemble(fragments), encoded);
}

TEST(FragmentTest, MessageThatFitsIsReturnedUnchanged) {
  const std::string encoded = Pattern(100);
  EXPECT_EQ(Fragment(encoded, 100, 3), std::vector<std::string>{encoded});
  EXPECT_EQ(Fragment(encoded, 1 << 20, 3), std::vector<std::string>{encoded});
  EXPECT_EQ(Fragment("", 0, 3), std::vector<std::string>{""});
  EXPECT_EQ(Fragment(Pattern(101), 100, 3).size(), 2u);
}

TEST(FragmentTest, RoundTripsAtMaxSizes100And1000) {
  for (size_t size : {101, 1000, 1001, 10'000, 100'000}) {
    for (size_t max : {100, 1000}) {
      if (size <= max) continue;
      SCOPED_TRACE("size " + std::to_string(size) + ", max " + std::to_string(max));
      ExpectRoundTrip(Pattern(size), max, 7);
      ExpectRoundTrip(Pattern(size), max, UINT64_MAX);  // longest sender varint
    }
  }
}

TEST(FragmentTest, ManyFragmentsWithMultiByteIndexes) {
  // 64-byte messages with a 10-byte sender leave 49..50 bytes each: over 128 fragments, so the
  // index and count varints take two bytes.
  ExpectRoundTrip(Pattern(20'000), kMinFragmentMessageBytes, UINT64_MAX);
}

TEST(FragmentTest, FiveMebibyteBatchInOneMebibyteMessagesDecodes) {
  Batch batch;
  batch.node_id = 3;
  batch.epoch = 300;
  batch.first_seq = batch.last_seq = 10;
  batch.last_part = true;
  batch.tables = {{"files", {"id", "data"}, {0}}};
  const std::string blob = Pattern(5 << 20);
  batch.changes.push_back({Op::kUpsert, 0, {Value(int64_t{1}), Value(Blob{blob})}});
  for (bool compress : {false, true}) {
    const std::string encoded = Encode(batch, {.compress = compress});
    ASSERT_GT(encoded.size(), size_t{5} << 20);  // random bytes do not compress
    const std::vector<std::string> fragments = Fragment(encoded, 1 << 20, batch.node_id);
    EXPECT_EQ(fragments.size(), 6u);
    for (const std::string& f : fragments) EXPECT_LE(f.size(), size_t{1} << 20);
    const std::string whole = Reassemble(fragments);
    ASSERT_EQ(whole, encoded);
    auto decoded = Decode(whole);
    ASSERT_TRUE(decoded.ok()) << decoded.status().message();
    ASSERT_EQ(decoded->changes.size(), 1u);
    EXPECT_TRUE(SameValue(decoded->changes[0].values[1], Value(Blob{blob})));
  }
}

TEST(FragmentTest, EncodesWorkedExampleFromDocsExactly) {
  // docs/wire-format.md: node 3 splits a 100-byte message into 64-byte messages.
  const std::string encoded = Pattern(100);
  const std::vector<std::string> fragments = Fragment(encoded, 64, 3);
  ASSERT_EQ(fragments.size(), 2u);
  EXPECT_EQ(fragments[0], Bytes({0x01, 0x02, 0x03, 0x00, 0x02, 0x64}) + encoded.substr(0, 58));
  EXPECT_EQ(fragments[1], Bytes({0x01, 0x02, 0x03, 0x01, 0x02, 0x64}) + encoded.substr(58));
}

TEST(FragmentTest, IsFragmentLooksOnlyAtVersionAndFlag) {
  EXPECT_TRUE(IsFragment(Bytes({1, 0x02})));
  EXPECT_TRUE(IsFragment(Bytes({1, 0x03})));  // invalid, but for the Reassembler to reject
  EXPECT_FALSE(IsFragment(Bytes({1, 0x00, 3})));
  EXPECT_FALSE(IsFragment(Bytes({1, 0x01, 3})));
  EXPECT_FALSE(IsFragment(Bytes({2, 0x02})));
  EXPECT_FALSE(IsFragment(Bytes({1})));
  EXPECT_FALSE(IsFragment(""));
  EXPECT_FALSE(IsFragment(Encode(Batch{}, {})));
  EXPECT_FALSE(IsFragment(Encode(Batch{}, {.compress = true})));
}

TEST(FragmentTest, DecodeRefusesAFragment) {
  const std::vector<std::string> fragments = Fragment(Pattern(200), 100, 3);
  auto got = Decode(fragments[0]);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Status::Code::kCorruption);
  EXPECT_EQ(got.status().message(), "fragment envelope: reassemble before decoding at byte 1");
}

TEST(ReassemblerTest, InterleavedSendersAndShardsAreKeptApart) {
  const std::string a = Pattern(1000);
  const std::string b = Pattern(777).replace(0, 1, "b");
  const std::vector<std::string> fa = Fragment(a, 100, 1);
  const std::vector<std::string> fb = Fragment(b, 100, 2);
  ASSERT_GT(fa.size(), fb.size());
  Reassembler reassembler;
  std::optional<std::string> got_a, got_b, got_a_shard2;
  // Shard 1 carries A and B interleaved; shard 2 carries A's message again, in step with it.
  for (size_t i = 0; i < fa.size(); ++i) {
    auto ra = reassembler.Add(1, fa[i]);
    ASSERT_TRUE(ra.ok()) << ra.status().message();
    if (ra->has_value()) got_a = *ra;
    auto ra2 = reassembler.Add(2, fa[i]);
    ASSERT_TRUE(ra2.ok()) << ra2.status().message();
    if (ra2->has_value()) got_a_shard2 = *ra2;
    if (i < fb.size()) {
      auto rb = reassembler.Add(1, fb[i]);
      ASSERT_TRUE(rb.ok()) << rb.status().message();
      if (rb->has_value()) got_b = *rb;
    }
  }
  EXPECT_EQ(got_a, a);
  EXPECT_EQ(got_b, b);
  EXPECT_EQ(got_a_shard2, a);
  EXPECT_FALSE(reassembler.HasPartial());
}

TEST(ReassemblerTest, IndexZeroDiscardsTheUnfinishedMessageOfARestartedSender) {
  const std::vector<std::string> old_message = Fragment(Pattern(500), 100, 5);
  const std::string fresh = Pattern(300).replace(0, 3, "new");
  const std::vector<std::string> new_message = Fragment(fresh, 100, 5);
  Reassembler reassembler;
  ASSERT_TRUE(reassembler.Add(1, old_message[0]).ok());
  ASSERT_TRUE(reassembler.Add(1, old_message[1]).ok());
  std::optional<std::string> got;
  for (const std::string& f : new_message) {
    auto r = reassembler.Add(1, f);
    ASSERT_TRUE(r.ok()) << r.status().message();
    got = *r;
  }
  EXPECT_EQ(got, fresh);
  EXPECT_FALSE(reassembler.HasPartial());
  // The rest of the old message now has no predecessors.
  EXPECT_EQ(ErrorOf(reassembler.Add(1, old_message[2])),
            "shard 1, node 5: fragment 2 of 6 without its predecessors");
}

TEST(ReassemblerTest, FirstPendingSeqIsTheOldestUnfinishedMessagePerShard) {
  const std::vector<std::string> a = Fragment(Pattern(300), 100, 1);
  const std::vector<std::string> b = Fragment(Pattern(300), 100, 2);
  Reassembler reassembler;
  EXPECT_EQ(reassembler.FirstPendingSeq(1), std::nullopt);
  ASSERT_TRUE(reassembler.Add(1, a[0], 10).ok());
  ASSERT_TRUE(reassembler.Add(1, b[0], 11).ok());
  ASSERT_TRUE(reassembler.Add(2, b[0], 4).ok());
  EXPECT_EQ(reassembler.FirstPendingSeq(1), 10u);
  EXPECT_EQ(reassembler.FirstPendingSeq(2), 4u);
  EXPECT_EQ(reassembler.FirstPendingSeq(3), std::nullopt);
  for (size_t i = 1; i < a.size(); ++i) ASSERT_TRUE(reassembler.Add(1, a[i], 11 + i).ok());
  EXPECT_EQ(reassembler.FirstPendingSeq(1), 11u);
  reassembler.Clear();
  EXPECT_FALSE(reassembler.HasPartial());
  EXPECT_EQ(reassembler.FirstPendingSeq(1), std::nullopt);
}

TEST(ReassemblerTest, OutOfOrderFragmentIsCorruptionAndDropsTheUnfinishedMessage) {
  const std::vector<std::string> f = Fragment(Pattern(500), 100, 5);
  Reassembler reassembler;
  ASSERT_TRUE(reassembler.Add(1, f[0]).ok());
  EXPECT_EQ(ErrorOf(reassembler.Add(1, f[2])),
            "shard 1, node 5: fragment 2 of 6: expected fragment 1; dropped the unfinished "
            "message");
  EXPECT_FALSE(reassembler.HasPartial());
  EXPECT_EQ(ErrorOf(reassembler.Add(1, f[1])),
            "shard 1, node 5: fragment 1 of 6 without its predecessors");
  // A repeated fragment is out of order too.
  ASSERT_TRUE(reassembler.Add(1, f[0]).ok());
  ASSERT_TRUE(reassembler.Add(1, f[1]).ok());
  EXPECT_EQ(ErrorOf(reassembler.Add(1, f[1])),
            "shard 1, node 5: fragment 1 of 6: expected fragment 2; dropped the unfinished "
            "message");
}

TEST(ReassemblerTest, CountOrTotalDifferingFromFirstFragmentIsCorruption) {
  const std::vector<std::string> f = Fragment(Pattern(500), 100, 5);   // 6 fragments
  const std::vector<std::string> g = Fragment(Pattern(1000), 100, 5);  // 11 fragments
  const std::vector<std::string> h = Fragment(Pattern(550), 100, 5);   // 6 fragments
  ASSERT_EQ(f.size(), h.size());
  Reassembler reassembler;
  ASSERT_TRUE(reassembler.Add(1, f[0]).ok());
  EXPECT_EQ(ErrorOf(reassembler.Add(1, g[1])),
            "shard 1, node 5: fragment 1 of 11: fragment_count/total_size 11/1000 differ from "
            "the first fragment's 6/500; dropped the unfinished message");
  ASSERT_TRUE(reassembler.Add(1, f[0]).ok());
  EXPECT_EQ(ErrorOf(reassembler.Add(1, h[1])),
            "shard 1, node 5: fragment 1 of 6: fragment_count/total_size 6/550 differ from the "
            "first fragment's 6/500; dropped the unfinished message");
  EXPECT_FALSE(reassembler.HasPartial());
}

// Hand-made envelope: version, flags, sender, index, count, total, data.
std::string Envelope(uint64_t index, uint64_t count, uint64_t total, std::string_view data,
                     uint8_t flags = kFlagFragment) {
  std::string out = Bytes({kWireVersion, flags, 9});
  for (uint64_t v : {index, count, total}) {
    while (v >= 0x80) {
      out.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out.push_back(static_cast<char>(v));
  }
  out.append(data);
  return out;
}

TEST(ReassemblerTest, WrongTotalIsCorruption) {
  Reassembler reassembler;
  // The fragments hold 6 bytes, the header says 7.
  ASSERT_TRUE(reassembler.Add(1, Envelope(0, 2, 7, "abc")).ok());
  EXPECT_EQ(ErrorOf(reassembler.Add(1, Envelope(1, 2, 7, "def"))),
            "shard 1, node 9: fragment 1 of 2: fragments hold 6 bytes, total_size says 7; "
            "dropped the unfinished message");
  // The fragments hold more than the header says, noticed before the last fragment.
  ASSERT_TRUE(reassembler.Add(1, Envelope(0, 3, 5, "abc")).ok());
  EXPECT_EQ(ErrorOf(reassembler.Add(1, Envelope(1, 3, 5, "def"))),
            "shard 1, node 9: fragment 1 of 3: fragments hold more than total_size 5 bytes; "
            "dropped the unfinished message");
  EXPECT_FALSE(reassembler.HasPartial());
  // Consistent hand-made fragments of uneven size are fine.
  ASSERT_TRUE(reassembler.Add(1, Envelope(0, 3, 6, "a")).ok());
  ASSERT_TRUE(reassembler.Add(1, Envelope(1, 3, 6, "bcde")).ok());
  auto got = reassembler.Add(1, Envelope(2, 3, 6, "f"));
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(*got, std::optional<std::string>("abcdef"));
}

// Found by tests/fuzz/reassemble_fuzz: a first fragment holding more than total_size was accepted,
// and then `total_size - held` wrapped around, so every later fragment of a large count was
// accepted too and the buffer grew past kMaxReassembledBytes without bound.
TEST(ReassemblerTest, FirstFragmentLargerThanTotalIsCorruption) {
  Reassembler reassembler;
  ASSERT_TRUE(reassembler.Add(1, Envelope(0, 2, 10, "abc")).ok());  // to be dropped
  EXPECT_EQ(ErrorOf(reassembler.Add(1, Envelope(0, 4, 4, "abcdefgh"))),
            "shard 1, node 9: fragment 0 of 4: fragments hold more than total_size 4 bytes; "
            "dropped the unfinished message");
  EXPECT_FALSE(reassembler.HasPartial());
  EXPECT_EQ(ErrorOf(reassembler.Add(1, Envelope(1, 4, 4, "i"))),
            "shard 1, node 9: fragment 1 of 4 without its predecessors");
  // Exactly total_size in the first fragment is still accepted (the next one then fails).
  EXPECT_TRUE(reassembler.Add(1, Envelope(0, 2, 3, "abc")).ok());
  EXPECT_FALSE(reassembler.Add(1, Envelope(1, 2, 3, "d")).ok());
}

TEST(ReassemblerTest, TruncatedHeaderIsCorruptionAtEveryOffset) {
  const std::string f = Envelope(1, 300, 1000, "x");  // 01 02 09 01 ac 02 e8 07 78
  EXPECT_EQ(ParseError(""), "fragment envelope: empty payload");
  EXPECT_EQ(ParseError(f.substr(0, 1)), "fragment envelope: truncated flags at byte 1");
  EXPECT_EQ(ParseError(f.substr(0, 2)), "fragment envelope: truncated sender at byte 2");
  EXPECT_EQ(ParseError(f.substr(0, 3)), "fragment envelope: truncated fragment_index at byte 3");
  EXPECT_EQ(ParseError(f.substr(0, 4)), "fragment envelope: truncated fragment_count at byte 4");
  EXPECT_EQ(ParseError(f.substr(0, 5)), "fragment envelope: truncated fragment_count at byte 4");
  EXPECT_EQ(ParseError(f.substr(0, 6)), "fragment envelope: truncated total_size at byte 6");
  EXPECT_EQ(ParseError(f.substr(0, 7)), "fragment envelope: truncated total_size at byte 6");
  EXPECT_EQ(ParseError(f.substr(0, 8)), "fragment envelope: fragment carries no data at byte 8");
  EXPECT_TRUE(ParseFragment(f).ok());
  Reassembler reassembler;
  EXPECT_EQ(ErrorOf(reassembler.Add(4, f.substr(0, 5))),
            "shard 4: fragment envelope: truncated fragment_count at byte 4");
}

TEST(ReassemblerTest, BadHeaderFieldsAreCorruption) {
  EXPECT_EQ(ParseError(Envelope(2, 2, 10, "x")),
            "fragment envelope: fragment_index 2 is not below fragment_count 2 at byte 4");
  EXPECT_EQ(ParseError(Envelope(7, 3, 10, "x")),
            "fragment envelope: fragment_index 7 is not below fragment_count 3 at byte 4");
  EXPECT_EQ(ParseError(Envelope(0, 1, 10, "x")),
            "fragment envelope: fragment_count 1 is below 2 at byte 4");
  EXPECT_EQ(ParseError(Envelope(0, 0, 10, "x")),
            "fragment envelope: fragment_count 0 is below 2 at byte 4");
  EXPECT_EQ(ParseError(Envelope(0, 5, 4, "x")),
            "fragment envelope: total_size 4 is below fragment_count 5 at byte 5");
  EXPECT_EQ(ParseError(Envelope(0, 2, kMaxReassembledBytes + 1, "x")),
            "fragment envelope: total_size 268435457 is over the limit of 268435456 at byte 5");
  EXPECT_TRUE(ParseFragment(Envelope(0, 2, kMaxReassembledBytes, "x")).ok());
  EXPECT_EQ(ParseError(Envelope(0, 2, 10, "x", kFlagFragment | kFlagCompressed)),
            "fragment envelope: flags 0x03 are not exactly the fragment bit 0x02 at byte 1");
  EXPECT_EQ(ParseError(Envelope(0, 2, 10, "x", 0)),
            "fragment envelope: flags 0x00 are not exactly the fragment bit 0x02 at byte 1");
  std::string wrong_version = Envelope(0, 2, 10, "x");
  wrong_version[0] = 2;
  EXPECT_EQ(ParseError(wrong_version),
            "fragment envelope: unsupported wire version 2 (this build reads 1)");
  // A varint beyond 64 bits.
  EXPECT_EQ(ParseError(Bytes({1, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02})),
            "fragment envelope: sender overflows 64 bits at byte 2");
}

TEST(ReassemblerTest, BadFragmentLeavesOtherSendersAlone) {
  const std::vector<std::string> a = Fragment(Pattern(300), 100, 1);
  Reassembler reassembler;
  ASSERT_TRUE(reassembler.Add(1, a[0]).ok());
  EXPECT_FALSE(reassembler.Add(1, Envelope(0, 1, 10, "x")).ok());
  EXPECT_FALSE(reassembler.Add(1, Envelope(3, 4, 10, "x")).ok());  // node 9, no predecessors
  std::optional<std::string> got;
  for (size_t i = 1; i < a.size(); ++i) {
    auto r = reassembler.Add(1, a[i]);
    ASSERT_TRUE(r.ok()) << r.status().message();
    got = *r;
  }
  EXPECT_EQ(got, Pattern(300));
}

TEST(ReassemblerTest, ForgedHugeTotalDoesNotReserveIt) {
  Reassembler reassembler;
  // Accepted (it is within the limit) but only grows with the data actually received.
  ASSERT_TRUE(reassembler.Add(1, Envelope(0, 2, kMaxReassembledBytes, "x")).ok());
  EXPECT_TRUE(reassembler.HasPartial());
  EXPECT_FALSE(reassembler.Add(1, Envelope(1, 2, kMaxReassembledBytes, "y")).ok());
}

TEST(FragmentDeathTest, MaxBelowMinimumAborts) {
  EXPECT_DEATH(Fragment(Pattern(100), kMinFragmentMessageBytes - 1, 1), "below the minimum");
}

}  // namespace
}  // namespace harmony::change
