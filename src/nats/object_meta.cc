#include "nats/object_meta.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

namespace harmony::nats::object_meta {

using Json = nlohmann::json;

std::string EncodeName(std::string_view name) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((name.size() + 2) / 3 * 4);
  for (size_t i = 0; i < name.size(); i += 3) {
    const size_t n = std::min<size_t>(3, name.size() - i);
    uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(name[i])) << 16;
    if (n > 1) v |= static_cast<uint32_t>(static_cast<unsigned char>(name[i + 1])) << 8;
    if (n > 2) v |= static_cast<uint32_t>(static_cast<unsigned char>(name[i + 2]));
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += n > 1 ? kAlphabet[(v >> 6) & 63] : '=';
    out += n > 2 ? kAlphabet[v & 63] : '=';
  }
  return out;
}

std::string Rfc3339(int64_t unix_nanos) {
  constexpr int64_t kNanos = 1000 * 1000 * 1000;
  int64_t secs = unix_nanos / kNanos;
  int64_t frac = unix_nanos % kNanos;
  if (frac < 0) {
    frac += kNanos;
    --secs;
  }
  const std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char date[32];
  std::strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
  char out[64];
  std::snprintf(out, sizeof(out), "%s.%09lldZ", date, static_cast<long long>(frac));
  return out;
}

std::string Now() {
  return Rfc3339(std::chrono::duration_cast<std::chrono::nanoseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count());
}

Result<std::string> Encode(const ObjectInfo& info, const std::string& bucket, uint32_t chunk_size) {
  try {
    Json headers = Json::object();
    for (const auto& [key, value] : info.headers) headers[key] = Json::array({value});
    Json j = Json::object();
    j["name"] = info.name;
    j["headers"] = std::move(headers);
    j["options"] = Json{{"max_chunk_size", chunk_size}};
    j["bucket"] = bucket;
    j["nuid"] = info.nuid;
    j["size"] = info.size;
    j["mtime"] = info.mtime;
    j["chunks"] = info.chunks;
    j["digest"] = "";
    if (info.deleted) j["deleted"] = true;
    return j.dump();
  } catch (const Json::exception& e) {
    return Status::InvalidArgument(std::string("encode object metadata: ") + e.what());
  }
}

Result<ObjectInfo> Decode(std::string_view body, int64_t stored_ns) {
  Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::Corruption("object metadata is not a JSON object");
  }
  ObjectInfo info;
  try {
    info.name = j.value("name", "");
    info.nuid = j.value("nuid", "");
    info.size = j.value("size", uint64_t{0});
    info.chunks = j.value("chunks", uint32_t{0});
    info.deleted = j.value("deleted", false);
    info.mtime = stored_ns > 0 ? Rfc3339(stored_ns) : j.value("mtime", "");
    if (auto it = j.find("headers"); it != j.end() && it->is_object()) {
      for (const auto& [key, value] : it->items()) {
        if (value.is_string()) {
          info.headers[key] = value.get<std::string>();
        } else if (value.is_array() && !value.empty() && value[0].is_string()) {
          info.headers[key] = value[0].get<std::string>();
        }
      }
    }
  } catch (const Json::exception& e) {
    return Status::Corruption(std::string("object metadata: ") + e.what());
  }
  if (info.name.empty()) return Status::Corruption("object metadata without a name");
  if (info.nuid.empty() && !info.deleted) {
    return Status::Corruption("metadata of object '" + info.name + "' without a nuid");
  }
  return info;
}

}  // namespace harmony::nats::object_meta
