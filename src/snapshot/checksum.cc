#include "snapshot/checksum.h"

#include <xxhash.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>

#include "snapshot/file_io.h"

namespace harmony::snapshot {

void Xxh3::Free::operator()(XXH3_state_s* state) const { XXH3_freeState(state); }

Xxh3::Xxh3() : state_(XXH3_createState()) {
  // Both fail only when memory is exhausted, which the rest of the program cannot survive either.
  if (!state_ || XXH3_64bits_reset(state_.get()) != XXH_OK) {
    std::fprintf(stderr, "XXH3 state allocation failed\n");
    std::abort();
  }
}

void Xxh3::Update(const char* data, size_t n) { XXH3_64bits_update(state_.get(), data, n); }

uint64_t Xxh3::Digest() const { return XXH3_64bits_digest(state_.get()); }

Result<uint64_t> HashFile(const std::string& path) {
  Xxh3 hash;
  HARMONY_RETURN_IF_ERROR(ForEachChunk(path, [&](const char* data, size_t n) {
    hash.Update(data, n);
    return Status::Ok();
  }));
  return hash.Digest();
}

std::string HexDigest(uint64_t digest) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016" PRIx64, digest);
  return buf;
}

}  // namespace harmony::snapshot
