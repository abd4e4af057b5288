// snapshot: create, store and restore consistent copies of an application database, so that a
// new node (or one too far behind the stream's retention) can start from a recent copy and then
// replay only the stream messages after the copy's positions.
//
// A snapshot is two things: the database file compressed with zstd (the "stored" bytes) and a
// Manifest describing it (which node made it, which stream positions it includes, sizes and the
// XXH3 of the stored bytes). snapshot_file.h makes, checks and installs the stored bytes;
// store.h says where they live. This module never includes capture or apply: it knows
// harmony's bookkeeping tables only by their "__harmony" name prefix and the layout of
// __harmony_apply_position.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/result.h"

namespace harmony::snapshot {

inline constexpr uint32_t kManifestFormat = 1;

struct Manifest {
  uint32_t format = kManifestFormat;
  // Unique and sortable: "<UTC yyyymmddThhmmssZ>-<node_id>", e.g. "20261123T120501Z-7". Used as
  // a file name by stores, so it is restricted to [A-Za-z0-9._-] (see IsValidName).
  std::string name;
  std::string created_at;  // ISO-8601 UTC, e.g. "2026-11-23T12:05:01Z"
  uint64_t node_id = 0;    // the node that made it
  // shard -> last stream seq whose changes the snapshot includes (as persisted by the applier;
  // replaying a few messages at or before it again is harmless).
  std::map<uint32_t, uint64_t> positions;
  // The user schema: sql of the sqlite_schema rows (tables, indexes, views, triggers) not named
  // sqlite_% or __harmony%, ordered by name, joined by ";\n".
  std::string schema;
  uint64_t db_bytes = 0;          // size of the uncompressed database file
  uint64_t compressed_bytes = 0;  // size of the stored (zstd) file
  uint64_t xxh3 = 0;              // XXH3-64 of the stored (compressed) bytes

  bool operator==(const Manifest&) const = default;
};

// A Manifest with format, name and created_at filled in for a snapshot made by `node_id` at `now`.
Manifest NewManifest(uint64_t node_id, std::chrono::system_clock::time_point now);

// True if `name` is non-empty, at most 200 bytes, made of [A-Za-z0-9._-] and does not start with
// '.': safe as a file or object name, so a manifest read from a shared store cannot point outside
// it.
bool IsValidName(std::string_view name);

// JSON with sorted keys. xxh3 is written as 16 hex digits because JSON tools that read numbers
// as doubles (jq, JavaScript) would round a 64-bit value.
std::string EncodeManifest(const Manifest& m);
// kCorruption, naming the field, if `json` is not a manifest (bad JSON, missing or mistyped
// field, invalid name, unsupported format).
Result<Manifest> DecodeManifest(std::string_view json);

}  // namespace harmony::snapshot
