#include "snapshot/manifest.h"

#include <charconv>
#include <ctime>
#include <nlohmann/json.hpp>

#include "snapshot/checksum.h"

namespace harmony::snapshot {
namespace {

using nlohmann::json;

std::string FormatUtc(std::chrono::system_clock::time_point t, const char* format) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof(buf), format, &tm);
  return std::string(buf, n);
}

Status Bad(std::string_view what) {
  return Status::Corruption("snapshot manifest: " + std::string(what));
}

// The value of `key` as an unsigned integer no greater than `max`.
Result<uint64_t> GetUint(const json& j, const char* key, uint64_t max) {
  auto it = j.find(key);
  if (it == j.end()) return Bad(std::string("missing field \"") + key + "\"");
  if (!it->is_number_unsigned() || it->get<uint64_t>() > max) {
    return Bad(std::string("field \"") + key +
               "\" is not an unsigned integer in range: " + it->dump());
  }
  return it->get<uint64_t>();
}

Result<std::string> GetString(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return Bad(std::string("missing field \"") + key + "\"");
  if (!it->is_string()) return Bad(std::string("field \"") + key + "\" is not a string");
  return it->get<std::string>();
}

Result<Manifest> Decode(const json& j) {
  if (!j.is_object()) return Bad("not a JSON object");
  Manifest m;
  HARMONY_ASSIGN_OR_RETURN(uint64_t format, GetUint(j, "format", UINT32_MAX));
  if (format != kManifestFormat) {
    return Bad("unsupported format " + std::to_string(format) + " (this version reads " +
               std::to_string(kManifestFormat) + ")");
  }
  m.format = static_cast<uint32_t>(format);
  HARMONY_ASSIGN_OR_RETURN(m.name, GetString(j, "name"));
  if (!IsValidName(m.name)) return Bad("invalid name \"" + m.name + "\"");
  HARMONY_ASSIGN_OR_RETURN(m.created_at, GetString(j, "created_at"));
  HARMONY_ASSIGN_OR_RETURN(m.node_id, GetUint(j, "node_id", UINT64_MAX));
  HARMONY_ASSIGN_OR_RETURN(m.schema, GetString(j, "schema"));
  HARMONY_ASSIGN_OR_RETURN(m.db_bytes, GetUint(j, "db_bytes", UINT64_MAX));
  HARMONY_ASSIGN_OR_RETURN(m.compressed_bytes, GetUint(j, "compressed_bytes", UINT64_MAX));
  HARMONY_ASSIGN_OR_RETURN(std::string xxh3, GetString(j, "xxh3"));
  auto [end, ec] = std::from_chars(xxh3.data(), xxh3.data() + xxh3.size(), m.xxh3, 16);
  if (xxh3.size() != 16 || ec != std::errc() || end != xxh3.data() + xxh3.size()) {
    return Bad("field \"xxh3\" is not 16 hex digits: \"" + xxh3 + "\"");
  }
  auto positions = j.find("positions");
  if (positions == j.end()) return Bad("missing field \"positions\"");
  if (!positions->is_object()) return Bad("field \"positions\" is not an object");
  for (const auto& [key, value] : positions->items()) {
    uint32_t shard = 0;
    auto [kend, kec] = std::from_chars(key.data(), key.data() + key.size(), shard);
    if (key.empty() || kec != std::errc() || kend != key.data() + key.size()) {
      return Bad("positions: shard \"" + key + "\" is not an unsigned 32-bit number");
    }
    if (!value.is_number_unsigned()) {
      return Bad("positions: shard " + key + " has no unsigned stream seq: " + value.dump());
    }
    m.positions[shard] = value.get<uint64_t>();
  }
  return m;
}

}  // namespace

Manifest NewManifest(uint64_t node_id, std::chrono::system_clock::time_point now) {
  Manifest m;
  m.node_id = node_id;
  m.name = FormatUtc(now, "%Y%m%dT%H%M%SZ") + "-" + std::to_string(node_id);
  m.created_at = FormatUtc(now, "%Y-%m-%dT%H:%M:%SZ");
  return m;
}

bool IsValidName(std::string_view name) {
  if (name.empty() || name.size() > 200 || name.front() == '.') return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string EncodeManifest(const Manifest& m) {
  json positions = json::object();
  for (const auto& [shard, seq] : m.positions) positions[std::to_string(shard)] = seq;
  // nlohmann's default object is an ordered std::map: keys come out sorted, so equal manifests
  // encode to equal bytes.
  json j = {
      {"format", m.format},         {"name", m.name},
      {"created_at", m.created_at}, {"node_id", m.node_id},
      {"positions", positions},     {"schema", m.schema},
      {"db_bytes", m.db_bytes},     {"compressed_bytes", m.compressed_bytes},
      {"xxh3", HexDigest(m.xxh3)},
  };
  // SQL text in sqlite_schema is not guaranteed to be UTF-8; replace bad bytes rather than throw.
  return j.dump(2, ' ', /*ensure_ascii=*/false, json::error_handler_t::replace) + "\n";
}

Result<Manifest> DecodeManifest(std::string_view text) {
  // The non-throwing parse: a parse error yields a "discarded" value instead of an exception.
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Bad("not valid JSON");
  try {
    return Decode(j);
  } catch (const json::exception& e) {  // a type check missed above; never expected
    return Bad(e.what());
  }
}

}  // namespace harmony::snapshot
