#include "node/node_id_claim.h"

#include <gtest/gtest.h>

namespace harmony::node {
namespace {

TEST(NodeIdHolderTest, DescribesHostPidAndStartForTheRefusal) {
  const std::string holder = NodeIdHolder("0123abcd", "web-1", 4242, "2026-11-30T08:00:00Z");
  EXPECT_EQ(DescribeHolder(holder), "host web-1, pid 4242, up since 2026-11-30T08:00:00Z");
  // Two processes never store the same value, even on one host with one pid over time.
  EXPECT_NE(holder, NodeIdHolder("89ef0123", "web-1", 4242, "2026-11-30T08:00:00Z"));
}

TEST(NodeIdHolderTest, AnUnknownValueIsShownAsItIs) { EXPECT_EQ(DescribeHolder("cli-7"), "cli-7"); }

}  // namespace
}  // namespace harmony::node
