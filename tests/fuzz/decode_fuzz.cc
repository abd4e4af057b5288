// libFuzzer target for change::Decode (docs/wire-format.md, "What a reader rejects"): any bytes a
// peer or a forged message can put in a stream must give a Batch or a kCorruption Status, never a
// crash, an out-of-bounds read (ASan) or undefined behaviour (UBSan). A Batch that decodes must
// also survive Encode (which aborts on a batch Decode should have rejected) and encode to the same
// bytes after another Decode round trip.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "change/codec.h"

namespace {

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "decode_fuzz: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace harmony::change;
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  harmony::Result<Batch> decoded = Decode(payload);
  if (!decoded.ok()) {
    if (decoded.status().ok()) Die("Decode failed with an ok Status");
    return 0;
  }
  const std::string encoded = Encode(*decoded, EncodeOptions{});
  harmony::Result<Batch> again = Decode(encoded);
  if (!again.ok()) Die("Decode rejects what Encode wrote for a decoded batch");
  if (Encode(*again, EncodeOptions{}) != encoded) Die("Encode(Decode(Encode(b))) != Encode(b)");
  const std::string compressed = Encode(*decoded, EncodeOptions{.compress = true});
  harmony::Result<Batch> unpacked = Decode(compressed);
  if (!unpacked.ok()) Die("Decode rejects a compressed encoding of a decoded batch");
  if (Encode(*unpacked, EncodeOptions{}) != encoded) Die("the compressed round trip changed it");
  return 0;
}
