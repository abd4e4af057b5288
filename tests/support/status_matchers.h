#pragma once

#include <gtest/gtest.h>

#include "common/result.h"
#include "common/status.h"

namespace harmony::test {

// EXPECT_TRUE(IsOk(status)) prints the error message on failure.
inline ::testing::AssertionResult IsOk(const Status& status) {
  if (status.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "[" << CodeName(status.code()) << "] " << status.message();
}

template <typename T>
::testing::AssertionResult IsOk(const Result<T>& result) {
  return IsOk(result.status());
}

}  // namespace harmony::test
