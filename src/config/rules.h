// Internal to src/config: the accepted range or format of each key, shared by the TOML decoder
// (which reports file positions) and Validate (which checks a Config after overrides), so the two
// cannot drift apart.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace harmony::config::internal {

inline constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
inline constexpr int64_t kIntMax = std::numeric_limits<int>::max();

// An inclusive integer range; max == kInt64Max means "no upper bound".
struct IntRule {
  int64_t min;
  int64_t max;
  bool Accepts(int64_t value) const { return value >= min && value <= max; }
};

// "an integer from 1 to 1024" or "an integer >= 100".
std::string Describe(IntRule rule);

inline constexpr IntRule kNodeIdRule{0, kInt64Max};
inline constexpr IntRule kScanMaxChangesRule{1, 1'000'000};
inline constexpr IntRule kConflictsKeptRule{0, 100'000'000};
inline constexpr IntRule kCleanupIntervalRule{100, kInt64Max};
inline constexpr IntRule kPollingIntervalRule{0, kInt64Max};
inline constexpr IntRule kShardsRule{1, 1024};
inline constexpr IntRule kMaxEntriesRule{1, kInt64Max};
inline constexpr IntRule kReplicasRule{1, 5};  // JetStream's own limit
inline constexpr IntRule kConnectRetriesRule{0, kIntMax};
inline constexpr IntRule kReconnectWaitRule{0, kIntMax};
inline constexpr IntRule kSnapshotIntervalRule{0, kInt64Max};

// A string format: `expected` completes "expected ..." in messages.
struct StringRule {
  std::string_view expected;
  bool (*accepts)(std::string_view value);
};

extern const StringRule kDbPathRule;         // non-empty
extern const StringRule kUrlRule;            // non-empty
extern const StringRule kSubjectPrefixRule;  // a valid NATS subject prefix
extern const StringRule kStreamPrefixRule;   // a valid JetStream stream-name prefix
extern const StringRule kBindAddressRule;    // "host:port" or ":port"
extern const StringRule kLogFormatRule;      // "console" or "json"
extern const StringRule kMetricNameRule;     // [prometheus] namespace / subsystem
extern const StringRule kHttpPathRule;       // [health_check] path
extern const StringRule kListenRule;         // [prometheus] / [health_check] bind
extern const StringRule kSnapshotStoreRule;  // "nats" or "file"
extern const StringRule kBucketRule;         // a JetStream object store bucket name

// ignore_tables / include_tables entries: fnmatch(3) patterns, checked here rather than left to
// fnmatch because glibc treats a mistyped pattern as something else without a word (an unclosed
// '[' matches a literal '[', a trailing backslash or an unknown [:class:] matches nothing).
inline constexpr std::string_view kTablePatternExpected =
    "a table name pattern (a non-empty glob using *, ? and [...])";

// Why `pattern` is not a usable table name pattern, as a short phrase for the "got ..." half of
// a message ("'[' at offset 4 is never closed; ..."), or "" when it is usable.
std::string TablePatternProblem(std::string_view pattern);

// `value` as a TOML basic string, shortened if long: "two" -> "\"two\"".
std::string Quote(std::string_view value);

}  // namespace harmony::config::internal
