#include "bus/stream_settings.h"

#include <gtest/gtest.h>

namespace harmony::bus {
namespace {

StreamOptions Options(uint32_t shards, int64_t max_entries, int replicas, bool compress) {
  StreamOptions o;
  o.shards = shards;
  o.max_entries = max_entries;
  o.replicas = replicas;
  o.compress = compress;
  return o;
}

TEST(StreamSettingsTest, DescriptionRoundTrips) {
  for (bool compress : {true, false}) {
    const StreamOptions o = Options(16, 100, 1, compress);
    const RecordedSettings r = ParseStreamDescription(StreamDescription(o, 3));
    ASSERT_TRUE(r.shards.has_value());
    EXPECT_EQ(*r.shards, 16u);
    ASSERT_TRUE(r.compress.has_value());
    EXPECT_EQ(*r.compress, compress);
  }
}

TEST(StreamSettingsTest, ForeignOrLegacyDescriptionsRecordNothing) {
  for (const char* text : {"", "made by hand", "shards=x compress=maybe", "myshards=4",
                           "shards=0", "shards=4x"}) {
    const RecordedSettings r = ParseStreamDescription(text);
    EXPECT_FALSE(r.shards.has_value()) << text;
    EXPECT_FALSE(r.compress.has_value()) << text;
  }
}

ExistingStream Existing(const StreamOptions& made_with, uint32_t shard, int replicas) {
  return {shard, SubjectName(made_with, shard), made_with.max_entries, replicas,
          StreamDescription(made_with, shard)};
}

TEST(StreamSettingsTest, MatchingStreamHasNoMismatch) {
  const StreamOptions o = Options(4, 140, 1, true);
  EXPECT_TRUE(CompareStreamSettings(o, Existing(o, 2, 1)).empty());
  // The server reports replicas 0 for a single replica.
  EXPECT_TRUE(CompareStreamSettings(o, Existing(o, 2, 0)).empty());
}

TEST(StreamSettingsTest, AnotherSubjectIsNeverChangeable) {
  StreamOptions cluster = Options(1, 140, 1, true);
  cluster.subject_prefix = "old-log";
  const StreamOptions node = Options(1, 140, 1, true);
  const auto m = CompareStreamSettings(node, Existing(cluster, 1, 1));
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].key, "nats.subject_prefix");
  EXPECT_EQ(m[0].theirs, "subject old-log-1");
  EXPECT_FALSE(m[0].changeable);
}

TEST(StreamSettingsTest, EachDifferenceIsNamedWithBothValues) {
  const StreamOptions cluster = Options(4, 140, 3, true);
  const StreamOptions node = Options(1, 50, 1, false);
  const auto m = CompareStreamSettings(node, Existing(cluster, 1, 3));
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0].key, "replication_log.compress");
  EXPECT_EQ(m[1].key, "replication_log.max_entries");
  EXPECT_EQ(m[1].ours, "50");
  EXPECT_EQ(m[1].theirs, "140");
  EXPECT_EQ(m[2].key, "replication_log.replicas");
  EXPECT_EQ(m[3].key, "replication_log.shards");
  EXPECT_FALSE(m[3].changeable);
  const std::string line = DescribeMismatches("harmony-changes-1", m, false);
  EXPECT_NE(line.find("replication_log.max_entries = 140 (this node has 50)"), std::string::npos)
      << line;
  EXPECT_NE(line.find("cannot be changed in place"), std::string::npos) << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(StreamSettingsTest, ChangeableDifferencePointsAtUpdateExisting) {
  const StreamOptions o = Options(1, 50, 1, true);
  const auto m = CompareStreamSettings(o, Existing(Options(1, 140, 1, true), 1, 1));
  ASSERT_EQ(m.size(), 1u);
  EXPECT_NE(DescribeMismatches("s", m, false).find("update_existing = true"), std::string::npos);
}

TEST(StreamSettingsTest, UnlimitedIsSpelledOut) {
  const StreamOptions o = Options(1, -1, 1, true);
  ExistingStream legacy = Existing(Options(1, 100, 1, true), 1, 1);
  legacy.description = "";
  const auto m = CompareStreamSettings(o, legacy);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].ours, "-1 (unlimited)");
}

}  // namespace
}  // namespace harmony::bus
