#include "common/status.h"

#include <gtest/gtest.h>

#include "common/result.h"
#include "common/value.h"

namespace harmony {
namespace {

TEST(StatusTest, ContextIsPrependedAndCodeKept) {
  Status s = Status::NotFound("no such table").WithContext("apply batch 4");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kNotFound);
  EXPECT_EQ(s.message(), "apply batch 4: no such table");
}

TEST(StatusTest, OkStaysOkWithContext) { EXPECT_TRUE(Status::Ok().WithContext("x").ok()); }

Result<int> Half(int v) {
  if (v % 2) return Status::InvalidArgument("odd");
  return v / 2;
}

Status UseHalf(int v, int* out) {
  HARMONY_ASSIGN_OR_RETURN(int h, Half(v));
  *out = h;
  return Status::Ok();
}

TEST(ResultTest, AssignOrReturnPropagates) {
  int out = 0;
  EXPECT_TRUE(UseHalf(4, &out).ok());
  EXPECT_EQ(out, 2);
  EXPECT_EQ(UseHalf(3, &out).message(), "odd");
}

TEST(ValueTest, SameValueIsExact) {
  EXPECT_FALSE(SameValue(Value{int64_t{3}}, Value{3.0}));
  EXPECT_FALSE(SameValue(Value{0.0}, Value{-0.0}));
  EXPECT_TRUE(SameValue(Value{Text{"a"}}, Value{Text{"a"}}));
  EXPECT_FALSE(SameValue(Value{Text{"a"}}, Value{Blob{"a"}}));
}

}  // namespace
}  // namespace harmony
