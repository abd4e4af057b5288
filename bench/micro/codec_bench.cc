// Wire codec throughput: change::Encode / change::Decode of one 512-change batch, with and
// without zstd. Bytes processed count the encoded (wire) size, so MB/s is wire bandwidth; the
// "wire_bytes" and "plain_bytes" counters give the per-batch sizes with and without compression.
// Pure CPU work, so rates use Google Benchmark's default, CPU time.

#include <benchmark/benchmark.h>

#include <string>

#include "bench/micro/workload.h"
#include "change/codec.h"

namespace harmony::bench {
namespace {

enum class Shape { kUpserts, kMixed };

change::Batch MakeBatch(Shape shape) {
  return shape == Shape::kUpserts ? UpsertBatch(1, kRowsPerBatch, 0) : MixedBatch(1, kRowsPerBatch);
}

void SetSizes(benchmark::State& state, const change::Batch& batch, size_t wire_bytes) {
  const auto rows = static_cast<int64_t>(batch.changes.size());
  state.SetItemsProcessed(state.iterations() * rows);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(wire_bytes));
  state.counters["wire_bytes"] = static_cast<double>(wire_bytes);
  state.counters["plain_bytes"] =
      static_cast<double>(change::Encode(batch, {.compress = false}).size());
}

void BM_Encode(benchmark::State& state, Shape shape, bool compress) {
  const change::Batch batch = MakeBatch(shape);
  const change::EncodeOptions options{.compress = compress};
  size_t wire_bytes = 0;
  for (auto _ : state) {
    std::string payload = change::Encode(batch, options);
    wire_bytes = payload.size();
    benchmark::DoNotOptimize(payload.data());
    benchmark::ClobberMemory();
  }
  SetSizes(state, batch, wire_bytes);
}

void BM_Decode(benchmark::State& state, Shape shape, bool compress) {
  const change::Batch batch = MakeBatch(shape);
  const std::string payload = change::Encode(batch, {.compress = compress});
  for (auto _ : state) {
    Result<change::Batch> decoded = change::Decode(payload);
    if (!decoded.ok()) {
      state.SkipWithError(decoded.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(decoded->changes.data());
  }
  SetSizes(state, batch, payload.size());
}

BENCHMARK_CAPTURE(BM_Encode, upserts_plain, Shape::kUpserts, false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Encode, upserts_zstd, Shape::kUpserts, true)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Encode, mixed_plain, Shape::kMixed, false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Encode, mixed_zstd, Shape::kMixed, true)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Decode, upserts_plain, Shape::kUpserts, false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Decode, upserts_zstd, Shape::kUpserts, true)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Decode, mixed_plain, Shape::kMixed, false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Decode, mixed_zstd, Shape::kMixed, true)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace harmony::bench
