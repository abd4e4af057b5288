#include "cli/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>
#include <string_view>

namespace harmony::cli {
namespace {

// %j: the message as a JSON string body (quotes, backslashes and control bytes escaped).
class JsonMessageFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    static constexpr char kHex[] = "0123456789abcdef";
    for (char c : std::string_view(msg.payload.data(), msg.payload.size())) {
      switch (c) {
        case '"': dest.append(std::string_view("\\\"")); break;
        case '\\': dest.append(std::string_view("\\\\")); break;
        case '\n': dest.append(std::string_view("\\n")); break;
        case '\t': dest.append(std::string_view("\\t")); break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            const char esc[] = {'\\', 'u', '0', '0', kHex[(c >> 4) & 0xf], kHex[c & 0xf]};
            dest.append(esc, esc + sizeof esc);
          } else {
            dest.push_back(c);
          }
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }
};

// %*: the level under zerolog's names, which HarmonyLite's JSON logs carry ("warn", "fatal").
class JsonLevelFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string_view name;
    switch (msg.level) {
      case spdlog::level::trace: name = "trace"; break;
      case spdlog::level::debug: name = "debug"; break;
      case spdlog::level::info: name = "info"; break;
      case spdlog::level::warn: name = "warn"; break;
      case spdlog::level::err: name = "error"; break;
      case spdlog::level::critical: name = "fatal"; break;
      default: name = "info"; break;
    }
    dest.append(name);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonLevelFlag>();
  }
};

}  // namespace

void SetUpLogging(const std::string& format, bool verbose, uint64_t node_id) {
  const std::string node = std::to_string(node_id);
  auto logger = spdlog::stderr_color_mt("harmony");
  if (format == "json") {
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    // HarmonyLite's field names (zerolog's, with its node_id), so its log queries keep working.
    formatter->add_flag<JsonMessageFlag>('j').add_flag<JsonLevelFlag>('*').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%*","node_id":)" + node +
        R"(,"message":"%j"})");
    logger->set_formatter(std::move(formatter));
  } else {
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e [node " + node + "] %^%-5l%$ %v");
  }
  logger->set_level(verbose ? spdlog::level::debug : spdlog::level::info);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
}

void LogFatal(const std::string& format, const std::string& line) {
  if (format == "json") {
    spdlog::critical("{}", line);  // level "fatal"
    spdlog::default_logger()->flush();
  } else {
    std::fprintf(stderr, "harmony: %s\n", line.c_str());
  }
}

}  // namespace harmony::cli
