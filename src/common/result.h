#pragma once

#include <cstdlib>
#include <cstdio>
#include <optional>
#include <utility>

#include "common/status.h"

namespace harmony {

// Result<T> holds either a T or an error Status (std::expected is C++23).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (status_.ok()) {
      std::fprintf(stderr, "Result constructed from an ok Status\n");
      std::abort();
    }
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  T& value() & { Check(); return *value_; }
  const T& value() const& { Check(); return *value_; }
  T&& value() && { Check(); return std::move(*value_); }
  T* operator->() { Check(); return &*value_; }
  const T* operator->() const { Check(); return &*value_; }
  T& operator*() & { Check(); return *value_; }
  const T& operator*() const& { Check(); return *value_; }
  T&& operator*() && { Check(); return std::move(*value_); }

 private:
  void Check() const {
    if (!value_) {
      std::fprintf(stderr, "Result::value() on error: %s\n", status_.ToString().c_str());
      std::abort();
    }
  }
  std::optional<T> value_;
  Status status_;
};

}  // namespace harmony

// Declares `lhs` from a Result expression, or returns its error Status.
#define HARMONY_CONCAT_INNER(a, b) a##b
#define HARMONY_CONCAT(a, b) HARMONY_CONCAT_INNER(a, b)
#define HARMONY_ASSIGN_OR_RETURN(lhs, expr) \
  HARMONY_ASSIGN_OR_RETURN_IMPL(HARMONY_CONCAT(harmony_result_, __LINE__), lhs, expr)
#define HARMONY_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()
