// common: the error vocabulary shared by every module (Status, Result<T>), the Value type that
// carries one SQLite cell between modules, and small standard-library-only helpers.
// Nothing here includes a third-party header.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace harmony {

// Status is a cheap success value or an error code plus a human-readable message. Expected
// failures (busy database, lost connection, bad input) travel as Status; broken invariants abort.
class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidArgument,  // bad config, bad flag, bad input from a user
    kNotFound,         // a file, table, stream or key that does not exist
    kCorruption,       // an undecodable message, a corrupt database or inconsistent stored state
    kUnavailable,      // broker unreachable, database busy, disk full: retrying may help
    kIoError,          // the operating system said no (SQLite: a failed read or write, read-only)
    kInternal,         // a library failed in an unexpected way
    kCancelled,        // shutdown requested
    // The database refused a value for good (a CHECK, NOT NULL or UNIQUE constraint, a type the
    // column does not accept, a value too big): retrying the same write cannot succeed.
    kRejected,
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) { return {Code::kInvalidArgument, std::move(msg)}; }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status Unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }
  static Status IoError(std::string msg) { return {Code::kIoError, std::move(msg)}; }
  static Status Internal(std::string msg) { return {Code::kInternal, std::move(msg)}; }
  static Status Cancelled(std::string msg) { return {Code::kCancelled, std::move(msg)}; }
  static Status Rejected(std::string msg) { return {Code::kRejected, std::move(msg)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

  // Returns a copy whose message is "context: message", for adding context as an error travels up.
  Status WithContext(std::string_view context) const;

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

std::string_view CodeName(Status::Code code);

}  // namespace harmony

// Returns early from the enclosing function with the Status of `expr` if it is an error.
#define HARMONY_RETURN_IF_ERROR(expr)              \
  do {                                             \
    ::harmony::Status harmony_status__ = (expr);   \
    if (!harmony_status__.ok()) return harmony_status__; \
  } while (0)
