#include "snapshot/manifest.h"

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

namespace harmony::snapshot {
namespace {

Manifest Sample() {
  Manifest m;
  m.name = "20261123T120501Z-7";
  m.created_at = "2026-11-23T12:05:01Z";
  m.node_id = 7;
  m.positions = {{0, 42}, {5, 7}, {4294967295u, 18446744073709551615u}};
  m.schema = "CREATE TABLE t(a);\nCREATE INDEX t_a ON t(a)";
  m.db_bytes = 123456;
  m.compressed_bytes = 4567;
  m.xxh3 = 0xfedcba9876543210u;  // above 2^53: must survive tools that read doubles
  return m;
}

TEST(ManifestTest, RoundTripsThroughJson) {
  const Manifest m = Sample();
  auto decoded = DecodeManifest(EncodeManifest(m));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, m);
}

TEST(ManifestTest, EncodingIsStableAndReadable) {
  const std::string json = EncodeManifest(Sample());
  EXPECT_EQ(json, EncodeManifest(Sample()));
  EXPECT_NE(json.find("\"xxh3\": \"fedcba9876543210\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"5\": 7"), std::string::npos) << json;
  // Keys sorted: compressed_bytes comes before xxh3.
  EXPECT_LT(json.find("compressed_bytes"), json.find("xxh3"));
}

TEST(ManifestTest, NewManifestNamesTheSecondAndTheNode) {
  using namespace std::chrono;
  const sys_seconds t = sys_days{year{2026} / 11 / 23} + hours{12} + minutes{5} + seconds{1};
  Manifest m = NewManifest(7, t);
  EXPECT_EQ(m.name, "20261123T120501Z-7");
  EXPECT_EQ(m.created_at, "2026-11-23T12:05:01Z");
  EXPECT_EQ(m.node_id, 7u);
  EXPECT_EQ(m.format, kManifestFormat);
  EXPECT_TRUE(IsValidName(m.name));
}

TEST(ManifestTest, GarbageIsCorruption) {
  for (std::string_view text : {"", "not json", "[1,2]", "{\"format\": 1", "42"}) {
    auto m = DecodeManifest(text);
    ASSERT_FALSE(m.ok()) << text;
    EXPECT_EQ(m.status().code(), Status::Code::kCorruption) << text;
  }
}

// Each broken field is reported by name, so an operator knows what to look at.
TEST(ManifestTest, BadFieldsAreNamed) {
  const nlohmann::json good = nlohmann::json::parse(EncodeManifest(Sample()));
  struct Case {
    const char* field;
    nlohmann::json value;  // null: remove the field
    const char* expect;
  };
  const Case cases[] = {
      {"name", nullptr, "missing field \"name\""},
      {"positions", nullptr, "missing field \"positions\""},
      {"db_bytes", "12", "field \"db_bytes\""},
      {"node_id", -1, "field \"node_id\""},
      {"xxh3", "12", "field \"xxh3\""},
      {"xxh3", 12, "field \"xxh3\" is not a string"},
      {"positions", nlohmann::json{{"x", 1}}, "shard \"x\""},
      {"positions", nlohmann::json{{"1", "2"}}, "shard 1"},
      {"name", "../../etc/passwd", "invalid name"},
      {"name", "", "invalid name"},
      {"format", 2, "unsupported format 2"},
  };
  for (const Case& c : cases) {
    nlohmann::json j = good;
    if (c.value.is_null()) {
      j.erase(c.field);
    } else {
      j[c.field] = c.value;
    }
    auto m = DecodeManifest(j.dump());
    ASSERT_FALSE(m.ok()) << c.field << " = " << c.value.dump();
    EXPECT_EQ(m.status().code(), Status::Code::kCorruption);
    EXPECT_NE(m.status().message().find(c.expect), std::string::npos)
        << m.status().message() << " (expected to contain: " << c.expect << ")";
  }
}

TEST(ManifestTest, NamesAreSafeFileNames) {
  EXPECT_TRUE(IsValidName("20261123T120501Z-7"));
  EXPECT_FALSE(IsValidName(""));
  EXPECT_FALSE(IsValidName(".hidden"));
  EXPECT_FALSE(IsValidName("a/b"));
  EXPECT_FALSE(IsValidName("a b"));
  EXPECT_FALSE(IsValidName(std::string(201, 'a')));
}

}  // namespace
}  // namespace harmony::snapshot
