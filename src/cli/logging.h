#pragma once

#include <string>

namespace harmony::cli {

// Points spdlog's default logger at stderr with the given format ("console" or "json": one
// JSON object per line with time, level and msg) and level (debug when verbose).
void SetUpLogging(const std::string& format, bool verbose);

}  // namespace harmony::cli
