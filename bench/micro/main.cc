// harmony_micro_bench: in-process micro benchmarks of the wire codec, the change-log scan and the
// applier (no NATS involved). See docs/benchmarks.md for how to run them and recorded figures.
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
