#pragma once

#include <cstdint>
#include <string>

namespace harmony::cli {

// Points spdlog's default logger at stderr with the given format ("console" or "json": one
// JSON object per line with time, level, node and msg) and level (debug when verbose). Every line
// names the node, so the logs of several nodes can share a terminal or a collector.
void SetUpLogging(const std::string& format, bool verbose, uint64_t node_id);

}  // namespace harmony::cli
