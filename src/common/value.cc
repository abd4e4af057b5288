#include "common/value.h"

#include <cstring>
#include <string>

namespace harmony {

bool SameValue(const Value& a, const Value& b) {
  if (a.index() != b.index()) return false;
  if (const double* da = std::get_if<double>(&a)) {
    const double db = std::get<double>(b);
    return std::memcmp(da, &db, sizeof db) == 0;
  }
  return a == b;
}

std::string DebugString(const Value& v) {
  struct Visitor {
    std::string operator()(const Null&) const { return "NULL"; }
    std::string operator()(int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const {
      char buf[40];
      std::snprintf(buf, sizeof buf, "%.17g", d);
      return buf;
    }
    std::string operator()(const Text& t) const { return "'" + t.bytes + "'"; }
    std::string operator()(const Blob& b) const {
      return "X<" + std::to_string(b.bytes.size()) + " bytes>";
    }
  };
  return std::visit(Visitor{}, v);
}

}  // namespace harmony
