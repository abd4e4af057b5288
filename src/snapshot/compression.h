// Internal to snapshot: streaming zstd between files, hashing the compressed side on the way.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"

namespace harmony::snapshot {

struct Compressed {
  uint64_t in_bytes = 0;   // size of the source file
  uint64_t out_bytes = 0;  // size of the zstd file written
  uint64_t xxh3 = 0;       // XXH3-64 of the bytes written
};

// Compresses `in_path` into `out_path` (created or truncated, fsynced before returning) as one
// zstd frame at level 3 with the frame's own content checksum, in bounded memory.
Result<Compressed> CompressFile(const std::string& in_path, const std::string& out_path);

// Decompresses `in_path` into `out_path` (created or truncated, fsynced) and returns the number
// of bytes written. kCorruption if the input is not zstd, fails zstd's content checksum, ends in
// the middle of a frame, or would decompress to more than `max_out` bytes (a bound from the
// manifest, so a bad file cannot fill the disk).
Result<uint64_t> DecompressFile(const std::string& in_path, const std::string& out_path,
                                uint64_t max_out);

}  // namespace harmony::snapshot
