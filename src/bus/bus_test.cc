#include "bus/bus.h"

#include <gtest/gtest.h>

#include "bus/jetstream_bus.h"

namespace harmony::bus {
namespace {

TEST(BusNamesTest, StreamAndSubjectNamesAreOneBasedPerShard) {
  StreamOptions options;
  EXPECT_EQ(StreamName(options, 1), "harmony-changes-1");
  EXPECT_EQ(SubjectName(options, 1), "harmony-change-log-1");
  options.stream_prefix = "s";
  options.subject_prefix = "app.changes";
  EXPECT_EQ(StreamName(options, 12), "s-12");
  EXPECT_EQ(SubjectName(options, 12), "app.changes-12");
}

TEST(BusOptionsTest, DefaultsAreValid) { EXPECT_TRUE(ValidateStreamOptions({}).ok()); }

TEST(BusOptionsTest, RejectsBadOptions) {
  auto invalid = [](auto mutate) {
    StreamOptions options;
    mutate(options);
    return ValidateStreamOptions(options).code() == Status::Code::kInvalidArgument;
  };
  EXPECT_TRUE(invalid([](StreamOptions& o) { o.stream_prefix = "a.b"; }));
  EXPECT_TRUE(invalid([](StreamOptions& o) { o.stream_prefix = ""; }));
  EXPECT_TRUE(invalid([](StreamOptions& o) { o.subject_prefix = "a.*"; }));
  EXPECT_TRUE(invalid([](StreamOptions& o) { o.shards = 0; }));
  EXPECT_TRUE(invalid([](StreamOptions& o) { o.max_entries = 0; }));
  EXPECT_TRUE(invalid([](StreamOptions& o) { o.replicas = 0; }));
  EXPECT_TRUE(invalid([](StreamOptions& o) { o.replicas = 7; }));
}

TEST(JetStreamBusTest, ConnectWithoutUrlsIsInvalid) {
  ConnectOptions connect;
  auto bus = JetStreamBus::Connect(connect, StreamOptions{});
  ASSERT_FALSE(bus.ok());
  EXPECT_EQ(bus.status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace harmony::bus
