#include "config/rules.h"

#include <cstdio>
#include <string>

namespace harmony::config::internal {
namespace {

bool IsSpaceOrControl(char c) {
  auto u = static_cast<unsigned char>(c);
  return u <= 0x20 || u == 0x7f;
}

bool AcceptsNonEmpty(std::string_view value) { return !value.empty(); }

// NATS subjects are dot-separated tokens; spaces and the wildcards '*' and '>' would turn a
// publish subject into something else, and an empty token is rejected by the server.
bool AcceptsSubjectPrefix(std::string_view value) {
  if (value.empty() || value.front() == '.' || value.back() == '.') return false;
  if (value.find("..") != std::string_view::npos) return false;
  for (char c : value) {
    if (IsSpaceOrControl(c) || c == '*' || c == '>') return false;
  }
  return true;
}

// JetStream stream names become directory names on the server and may not contain these.
bool AcceptsStreamPrefix(std::string_view value) {
  if (value.empty()) return false;
  for (char c : value) {
    if (IsSpaceOrControl(c) || c == '.' || c == '*' || c == '>' || c == '/' || c == '\\') {
      return false;
    }
  }
  return true;
}

bool AcceptsBindAddress(std::string_view value) {
  size_t colon = value.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string_view host = value.substr(0, colon);
  std::string_view port = value.substr(colon + 1);
  // -1: any free port (nats-server's convention; HarmonyLite's default ":-1").
  if (port == "-1") port = "65535";
  if (port.empty() || port.size() > 5) return false;
  int port_number = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    port_number = port_number * 10 + (c - '0');
  }
  if (port_number < 1 || port_number > 65535) return false;
  for (char c : host) {
    if (IsSpaceOrControl(c)) return false;
  }
  // An IPv6 host must be bracketed, otherwise its colons make the port ambiguous.
  if (!host.empty() && host.front() == '[') return host.size() > 2 && host.back() == ']';
  return host.find_first_of(":[]") == std::string_view::npos;
}

bool AcceptsLogFormat(std::string_view value) { return value == "console" || value == "json"; }

bool AcceptsSnapshotStore(std::string_view value) { return value == "nats" || value == "file"; }

// An HTTP listener's address: as bind_address, but a fixed port (its users must know it).
bool AcceptsListenAddress(std::string_view value) {
  return AcceptsBindAddress(value) && value.substr(value.rfind(':') + 1) != "-1";
}

// Prometheus metric name parts: [a-zA-Z_][a-zA-Z0-9_]*, or empty (left out).
bool AcceptsMetricName(std::string_view value) {
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool AcceptsHttpPath(std::string_view value) {
  if (value.empty() || value.front() != '/') return false;
  for (char c : value) {
    if (c <= ' ' || c == '?' || c == '#') return false;
  }
  return true;
}

// A JetStream object store bucket name: letters, digits, '-' and '_'.
bool AcceptsBucket(std::string_view value) {
  if (value.empty()) return false;
  for (char c : value) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool IsCharClass(std::string_view name) {
  for (std::string_view known : {"alnum", "alpha", "blank", "cntrl", "digit", "graph", "lower",
                                 "print", "punct", "space", "upper", "xdigit"}) {
    if (name == known) return true;
  }
  return false;
}

// Scans the bracket expression opening at pattern[open] the way glibc's fnmatch reads it and
// returns the index just past its closing ']', or npos with *problem set.
size_t SkipBracket(std::string_view pattern, size_t open, std::string* problem) {
  size_t i = open + 1;
  if (i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^')) ++i;
  if (i < pattern.size() && pattern[i] == ']') ++i;  // first in the set: a member, not the end
  while (i < pattern.size()) {
    char c = pattern[i];
    if (c == ']') return i + 1;
    if (c == '\\') {  // escapes the next character, which may be the ']'
      i += 2;
      continue;
    }
    if (c == '[' && i + 1 < pattern.size() && pattern[i + 1] == ':') {
      size_t name_end = i + 2;
      while (name_end < pattern.size() && pattern[name_end] >= 'a' && pattern[name_end] <= 'z') {
        ++name_end;
      }
      if (pattern.substr(name_end, 2) == ":]") {
        std::string_view name = pattern.substr(i + 2, name_end - i - 2);
        if (!IsCharClass(name)) {
          *problem = "unknown character class [:" + std::string(name) + ":]";
          return std::string_view::npos;
        }
        i = name_end + 2;
        continue;
      }
      // Not a class name: fnmatch takes the '[' as an ordinary member of the set.
    }
    ++i;
  }
  *problem = "the '[' at position " + std::to_string(open + 1) +
             " is never closed; use [[] to match a literal '['";
  return std::string_view::npos;
}

}  // namespace

const StringRule kDbPathRule{"a non-empty path", AcceptsNonEmpty};
const StringRule kUrlRule{"a non-empty server URL", AcceptsNonEmpty};
const StringRule kSubjectPrefixRule{
    "a NATS subject prefix (non-empty; no spaces, '*', '>' or empty tokens)", AcceptsSubjectPrefix};
const StringRule kStreamPrefixRule{
    "a JetStream stream name prefix (non-empty; no spaces, '.', '*', '>', '/' or '\\')",
    AcceptsStreamPrefix};
const StringRule kBindAddressRule{
    "\"HOST:PORT\", \":PORT\" or \"[IPV6]:PORT\" with a port from 1 to 65535 (-1: any free port)",
    AcceptsBindAddress};
const StringRule kMetricNameRule{"a metric name part (letters, digits and '_', not starting "
                                 "with a digit) or \"\"",
                                 AcceptsMetricName};
const StringRule kHttpPathRule{"a URL path starting with '/' (no spaces, '?' or '#')",
                               AcceptsHttpPath};
const StringRule kListenRule{"\"HOST:PORT\", \":PORT\" or \"[IPV6]:PORT\" with a port from 1 to 65535",
                             AcceptsListenAddress};
const StringRule kLogFormatRule{"\"console\" or \"json\"", AcceptsLogFormat};
const StringRule kSnapshotStoreRule{
    "\"nats\" or \"file\" (HarmonyLite's s3, minio, webdav and sftp stores are not supported)",
    AcceptsSnapshotStore};
const StringRule kBucketRule{"a bucket name (non-empty; letters, digits, '-' and '_')",
                             AcceptsBucket};

std::string TablePatternProblem(std::string_view pattern) {
  if (pattern.empty()) return "an empty pattern matches no table";
  // fnmatch takes C strings: everything after a NUL would be silently dropped.
  if (pattern.find('\0') != std::string_view::npos) return "a NUL character ends the pattern early";
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\') {
      if (i + 1 == pattern.size()) return "a trailing backslash escapes nothing";
      ++i;
    } else if (pattern[i] == '[') {
      std::string problem;
      size_t end = SkipBracket(pattern, i, &problem);
      if (end == std::string_view::npos) return problem;
      i = end - 1;
    }
  }
  return "";
}

std::string Describe(IntRule rule) {
  std::string text = "an integer ";
  if (rule.max == kInt64Max) return text + ">= " + std::to_string(rule.min);
  return text + "from " + std::to_string(rule.min) + " to " + std::to_string(rule.max);
}

std::string Quote(std::string_view value) {
  constexpr size_t kMaxShown = 60;
  bool shortened = false;
  if (value.size() > kMaxShown) {
    size_t cut = kMaxShown;
    // Do not split a UTF-8 sequence: back up over continuation bytes.
    while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
    value = value.substr(0, cut);
    shortened = true;
  }
  std::string out = "\"";
  for (char c : value) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04X", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += shortened ? "...\"" : "\"";
  return out;
}

}  // namespace harmony::config::internal
