#include "snapshot/compression.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <fstream>
#include <iterator>
#include <string>

#include "tests/support/temp_dir.h"

namespace harmony::snapshot {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Every size around multiples of zstd's output buffer: a content exactly that long once read
// as an incomplete frame (the chaos suite's "the zstd frame is incomplete", issue #9 known gap).
TEST(CompressionTest, RoundTripsContentOfEverySizeAroundTheOutputBuffer) {
  test::TempDir dir;
  const size_t block = ZSTD_DStreamOutSize();
  for (size_t size : {size_t{0}, size_t{1}, block - 1, block, block + 1, 2 * block, 3 * block,
                      size_t{32 * 4096}, size_t{64 * 4096}}) {
    std::string content(size, '\0');
    for (size_t i = 0; i < size; ++i) content[i] = static_cast<char>((i * 2654435761u) >> 13);
    const std::string in = dir.Sub("in"), packed = dir.Sub("in.zst"), out = dir.Sub("out");
    std::ofstream(in, std::ios::binary) << content;
    auto c = CompressFile(in, packed);
    ASSERT_TRUE(c.ok()) << c.status().message();
    auto d = DecompressFile(packed, out, size + 1);
    ASSERT_TRUE(d.ok()) << "size " << size << ": " << d.status().message();
    EXPECT_EQ(*d, size);
    EXPECT_EQ(ReadAll(out), content) << "size " << size;
  }
}

}  // namespace
}  // namespace harmony::snapshot
