#include "snapshot/compression.h"

#include <zstd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "snapshot/checksum.h"
#include "snapshot/file_io.h"

namespace harmony::snapshot {
namespace {

constexpr int kLevel = 3;

struct FreeCCtx {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct FreeDCtx {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

template <typename T>
T* CheckAllocated(T* p) {
  if (p == nullptr) {
    std::fprintf(stderr, "zstd context allocation failed\n");
    std::abort();
  }
  return p;
}

Status ZstdError(std::string_view what, const std::string& path, size_t code) {
  return Status::Internal(std::string(what) + " " + path + ": " + ZSTD_getErrorName(code));
}

}  // namespace

Result<Compressed> CompressFile(const std::string& in_path, const std::string& out_path) {
  std::unique_ptr<ZSTD_CCtx, FreeCCtx> cctx(CheckAllocated(ZSTD_createCCtx()));
  HARMONY_ASSIGN_OR_RETURN(uint64_t in_size, FileSize(in_path));
  for (auto [param, value] :
       {std::pair{ZSTD_c_compressionLevel, kLevel}, std::pair{ZSTD_c_checksumFlag, 1}}) {
    size_t rc = ZSTD_CCtx_setParameter(cctx.get(), param, value);
    if (ZSTD_isError(rc)) return ZstdError("zstd parameters for", out_path, rc);
  }
  // The content size in the frame header lets tools (zstd -l) show it and decoders size buffers.
  size_t rc = ZSTD_CCtx_setPledgedSrcSize(cctx.get(), in_size);
  if (ZSTD_isError(rc)) return ZstdError("zstd pledged size for", out_path, rc);

  HARMONY_ASSIGN_OR_RETURN(File in, File::OpenForRead(in_path));
  HARMONY_ASSIGN_OR_RETURN(File out, File::Create(out_path));
  std::vector<char> in_buf(ZSTD_CStreamInSize());
  std::vector<char> out_buf(ZSTD_CStreamOutSize());
  Xxh3 hash;
  Compressed result;
  bool last = false;
  while (!last) {
    HARMONY_ASSIGN_OR_RETURN(size_t n, in.Read(in_buf.data(), in_buf.size()));
    result.in_bytes += n;
    // A short read is not the end of a regular file; only 0 is.
    last = n == 0;
    if (result.in_bytes > in_size) {
      return Status::IoError(in_path + " grew while being compressed");
    }
    if (last && result.in_bytes != in_size) {
      return Status::IoError(in_path + " shrank while being compressed");
    }
    ZSTD_inBuffer input{in_buf.data(), n, 0};
    const ZSTD_EndDirective mode = last ? ZSTD_e_end : ZSTD_e_continue;
    bool done = false;
    while (!done) {
      ZSTD_outBuffer output{out_buf.data(), out_buf.size(), 0};
      size_t remaining = ZSTD_compressStream2(cctx.get(), &output, &input, mode);
      if (ZSTD_isError(remaining)) return ZstdError("zstd compress into", out_path, remaining);
      HARMONY_RETURN_IF_ERROR(out.Write(out_buf.data(), output.pos));
      hash.Update(out_buf.data(), output.pos);
      result.out_bytes += output.pos;
      // With e_end, 0 means the frame is complete; with e_continue, all input consumed.
      done = last ? remaining == 0 : input.pos == input.size;
    }
  }
  HARMONY_RETURN_IF_ERROR(out.Sync());
  HARMONY_RETURN_IF_ERROR(out.Close());
  result.xxh3 = hash.Digest();
  return result;
}

Result<uint64_t> DecompressFile(const std::string& in_path, const std::string& out_path,
                                uint64_t max_out) {
  std::unique_ptr<ZSTD_DCtx, FreeDCtx> dctx(CheckAllocated(ZSTD_createDCtx()));
  HARMONY_ASSIGN_OR_RETURN(File in, File::OpenForRead(in_path));
  HARMONY_ASSIGN_OR_RETURN(File out, File::Create(out_path));
  std::vector<char> in_buf(ZSTD_DStreamInSize());
  std::vector<char> out_buf(ZSTD_DStreamOutSize());
  uint64_t written = 0;
  size_t frame_left = 1;  // ZSTD_decompressStream's hint; 0 exactly at the end of a frame
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(size_t n, in.Read(in_buf.data(), in_buf.size()));
    if (n == 0) break;
    ZSTD_inBuffer input{in_buf.data(), n, 0};
    // Drain until the input is consumed and the output buffer was not filled (a full buffer
    // may mean zstd holds more output back), unless the frame just ended: called again then,
    // zstd starts on a next frame and asks for its header, which read as "incomplete" whenever
    // the content was a multiple of the output buffer (128 KiB) long.
    bool output_full = true;
    while (input.pos < input.size || (output_full && frame_left != 0)) {
      ZSTD_outBuffer output{out_buf.data(), out_buf.size(), 0};
      frame_left = ZSTD_decompressStream(dctx.get(), &output, &input);
      if (ZSTD_isError(frame_left)) {
        return Status::Corruption("decompress " + in_path + ": " + ZSTD_getErrorName(frame_left));
      }
      written += output.pos;
      if (written > max_out) {
        return Status::Corruption("decompress " + in_path + ": more than the expected " +
                                  std::to_string(max_out) + " bytes");
      }
      HARMONY_RETURN_IF_ERROR(out.Write(out_buf.data(), output.pos));
      output_full = output.pos == output.size;
    }
  }
  if (frame_left != 0) {
    return Status::Corruption("decompress " + in_path + ": the zstd frame is incomplete");
  }
  HARMONY_RETURN_IF_ERROR(out.Sync());
  HARMONY_RETURN_IF_ERROR(out.Close());
  return written;
}

}  // namespace harmony::snapshot
