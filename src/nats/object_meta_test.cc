#include "nats/object_meta.h"

#include <gtest/gtest.h>

#include <string>

namespace harmony::nats::object_meta {
namespace {

TEST(ObjectMetaTest, NamesAreEncodedAsPaddedUrlSafeBase64LikeTheGoClient) {
  EXPECT_EQ(EncodeName("a/b?"), "YS9iPw==");
  EXPECT_EQ(EncodeName("ab"), "YWI=");
  EXPECT_EQ(EncodeName("abc"), "YWJj");
  EXPECT_EQ(EncodeName("\xfb\xff"), "-_8=");  // '-' and '_' instead of '+' and '/'
  EXPECT_EQ(EncodeName(""), "");
}

TEST(ObjectMetaTest, Rfc3339IsUtcWithNanoseconds) {
  EXPECT_EQ(Rfc3339(0), "1970-01-01T00:00:00.000000000Z");
  EXPECT_EQ(Rfc3339(1715000000123456789), "2024-05-06T12:53:20.123456789Z");
  EXPECT_EQ(Rfc3339(-1), "1969-12-31T23:59:59.999999999Z");
}

TEST(ObjectMetaTest, EncodeWritesTheGoClientsFieldsWithHeaderValueLists) {
  ObjectInfo info;
  info.name = "db";
  info.nuid = "N1";
  info.size = 5;
  info.chunks = 1;
  info.mtime = "2024-05-06T12:53:20.000000000Z";
  info.headers = {{"k", "v"}};
  auto body = Encode(info, "B", 131072);
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(*body, R"({"bucket":"B","chunks":1,"digest":"","headers":{"k":["v"]},)"
                   R"("mtime":"2024-05-06T12:53:20.000000000Z","name":"db","nuid":"N1",)"
                   R"("options":{"max_chunk_size":131072},"size":5})");
  info.deleted = true;
  EXPECT_NE(Encode(info, "B", 131072)->find(R"("deleted":true)"), std::string::npos);
  info.name = "\xff";  // not UTF-8
  EXPECT_EQ(Encode(info, "B", 131072).status().code(), Status::Code::kInvalidArgument);
}

TEST(ObjectMetaTest, DecodeReadsWhatEncodeWroteAndWhatTheGoClientWrites) {
  ObjectInfo info;
  info.name = "snap";
  info.nuid = "N2";
  info.size = 300000;
  info.chunks = 3;
  info.headers = {{"a", "1"}, {"b", "2"}};
  auto decoded = Decode(*Encode(info, "B", 131072), 1715000000123456789);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->name, "snap");
  EXPECT_EQ(decoded->nuid, "N2");
  EXPECT_EQ(decoded->size, 300000u);
  EXPECT_EQ(decoded->chunks, 3u);
  EXPECT_EQ(decoded->headers, info.headers);
  EXPECT_EQ(decoded->mtime, "2024-05-06T12:53:20.123456789Z");  // the server's time
  EXPECT_FALSE(decoded->deleted);

  // As the Go client writes it (no headers, digest set, a deletion marker).
  auto go =
      Decode(R"({"name":"x","bucket":"B","nuid":"N3","size":0,"mtime":"0001-01-01T00:00:00Z",)"
             R"("chunks":0,"digest":"SHA-256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=",)"
             R"("deleted":true,"headers":{"h":"plain"}})",
             0);
  ASSERT_TRUE(go.ok()) << go.status().ToString();
  EXPECT_TRUE(go->deleted);
  EXPECT_EQ(go->mtime, "0001-01-01T00:00:00Z");
  EXPECT_EQ(go->headers.at("h"), "plain");
}

TEST(ObjectMetaTest, DecodeRejectsWhatIsNotObjectMetadata) {
  EXPECT_EQ(Decode("not json", 0).status().code(), Status::Code::kCorruption);
  EXPECT_EQ(Decode("[1]", 0).status().code(), Status::Code::kCorruption);
  EXPECT_EQ(Decode(R"({"nuid":"N"})", 0).status().code(), Status::Code::kCorruption);
  EXPECT_EQ(Decode(R"({"name":"x"})", 0).status().code(), Status::Code::kCorruption);
  EXPECT_EQ(Decode(R"({"name":"x","nuid":"N","size":"big"})", 0).status().code(),
            Status::Code::kCorruption);
}

}  // namespace
}  // namespace harmony::nats::object_meta
