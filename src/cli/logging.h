#pragma once

#include <cstdint>
#include <string>

namespace harmony::cli {

// Points spdlog's default logger at stderr with the given format ("console" or "json": one
// JSON object per line with HarmonyLite's fields time, level, node_id and message; levels as
// zerolog names them: debug, info, warn, error, fatal) and level (debug when verbose). Every line
// names the node, so the logs of several nodes can share a terminal or a collector. Not
// thread-safe: call once, before any thread logs.
void SetUpLogging(const std::string& format, bool verbose, uint64_t node_id);

// The one line with which harmony exits on a failure, after SetUpLogging: "harmony: <line>" on
// stderr for the console format, a JSON object with level "fatal" for "json" (so a log collector
// parsing every line sees the reason too).
void LogFatal(const std::string& format, const std::string& line);

}  // namespace harmony::cli
