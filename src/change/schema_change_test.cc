#include "change/schema_change.h"

#include <gtest/gtest.h>

#include "change/codec.h"

namespace harmony::change {
namespace {

SchemaChange Example() {
  SchemaChange c;
  c.id = "7-99-1234";
  c.steps.push_back({SchemaStep::Kind::kCreate, "table", "t", "", "",
                     "CREATE TABLE t(id INTEGER PRIMARY KEY, \"v\" TEXT)"});
  c.steps.push_back({SchemaStep::Kind::kRenameColumn, "", "w", "t", "v", ""});
  c.steps.push_back({SchemaStep::Kind::kAddColumn, "", "x", "t", "", "x INT DEFAULT 'a,b'"});
  c.steps.push_back({SchemaStep::Kind::kDropColumn, "", "x", "t", "", ""});
  c.steps.push_back({SchemaStep::Kind::kRenameTable, "", "u", "t", "", ""});
  c.steps.push_back({SchemaStep::Kind::kDrop, "index", "i", "", "", ""});
  return c;
}

TEST(SchemaChangeTest, JsonRoundTrip) {
  const SchemaChange c = Example();
  auto back = DecodeSchemaChange(EncodeSchemaChange(c));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, c);
}

TEST(SchemaChangeTest, MalformedJsonIsCorruption) {
  for (const char* bad : {"", "[]", "{\"steps\": []}", "{\"id\": \"x\"}",
                          "{\"id\": \"x\", \"steps\": [{\"kind\": \"explode\", \"name\": \"t\"}]}",
                          "{\"id\": \"x\", \"steps\": [{\"kind\": \"drop\"}]}",
                          "{\"id\": 5, \"steps\": []}"}) {
    auto r = DecodeSchemaChange(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Status::Code::kCorruption) << bad;
    EXPECT_NE(r.status().message().find("schema change"), std::string::npos);
  }
}

TEST(SchemaChangeTest, TravelsAsWireVersion3) {
  Batch b;
  b.node_id = 1;
  b.epoch = 2;
  b.first_seq = b.last_seq = 3;
  b.tables.push_back(TableSchema{});
  b.changes.push_back({Op::kSchema, 0, {Text{EncodeSchemaChange(Example())}}});
  const std::string wire = Encode(b, {});
  EXPECT_EQ(wire[0], static_cast<char>(kWireVersion3));
  auto back = Decode(wire);
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_EQ(back->changes.size(), 1u);
  EXPECT_EQ(back->changes[0].op, Op::kSchema);
  auto change = DecodeSchemaChange(std::get<Text>(back->changes[0].values[0]).bytes);
  ASSERT_TRUE(change.ok());
  EXPECT_EQ(*change, Example());
}

TEST(SchemaChangeTest, SchemaOpIsRefusedBeforeVersion3AndWithoutText) {
  Batch b;
  b.tables.push_back(TableSchema{});
  b.changes.push_back({Op::kSchema, 0, {Text{"{}"}}});
  std::string wire = Encode(b, {});
  wire[0] = static_cast<char>(kWireVersion2);
  EXPECT_FALSE(Decode(wire).ok());
  b.changes[0].values[0] = int64_t{5};
  wire = Encode(b, {});
  auto r = Decode(wire);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not TEXT"), std::string::npos);
}

}  // namespace
}  // namespace harmony::change
