// Internal to snapshot: streaming XXH3-64, the checksum of a snapshot's stored bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"

struct XXH3_state_s;

namespace harmony::snapshot {

// Incremental XXH3-64 (seed 0): equal to XXH3_64bits over all bytes given to Update. Move-only;
// not thread-safe.
class Xxh3 {
 public:
  Xxh3();
  void Update(const char* data, size_t n);
  uint64_t Digest() const;

 private:
  struct Free {
    void operator()(XXH3_state_s* state) const;
  };
  std::unique_ptr<XXH3_state_s, Free> state_;
};

// The XXH3-64 of the whole file at `path` (NotFound if it is missing).
Result<uint64_t> HashFile(const std::string& path);

// 16 lower-case hex digits, as in manifests and error messages.
std::string HexDigest(uint64_t digest);

}  // namespace harmony::snapshot
