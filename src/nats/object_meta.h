// The metadata message of an object in a NATS object store bucket: its subject token and its
// JSON body, as the Go client writes and reads them. Pure functions, no I/O; for
// object_store.cc and its tests.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "nats/object_store.h"

namespace harmony::nats::object_meta {

// URL-safe base64 with padding: the last token of the metadata subject $O.<bucket>.M.<token>.
// The Go and JavaScript clients encode names so ('=' is a valid subject character), and must
// find our objects by name.
std::string EncodeName(std::string_view name);

// RFC 3339 in UTC with nanoseconds: "2024-05-06T07:08:09.123456789Z".
std::string Rfc3339(int64_t unix_nanos);
// Rfc3339 of the system clock now.
std::string Now();

// The body, in the Go client's ObjectInfo JSON. Its "headers" is an http.Header (name -> list
// of values), so each value goes in a one-element array: a plain string there would make the Go
// client (and so the `nats` CLI) skip the object. kInvalidArgument if a string is not UTF-8.
Result<std::string> Encode(const ObjectInfo& info, const std::string& bucket, uint32_t chunk_size);

// Parses a body written by us or another client. `stored_ns` (when the server stored the
// message, nanoseconds since the epoch; 0 if unknown) becomes mtime, as in the Go client: the
// body's "mtime" is the writer's clock. Header values may be lists (first value taken) or
// strings. kCorruption if it is not an object's metadata.
Result<ObjectInfo> Decode(std::string_view body, int64_t stored_ns);

}  // namespace harmony::nats::object_meta
