#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ (the wire decoder and the fragment reassembler) with
# clang, ASan and UBSan into build-fuzz/ and runs them side by side for a bounded time, starting
# from seeds made by this build's encoder plus the corpus kept from earlier runs in
# build-fuzz/corpus/ (not committed). Usage: scripts/fuzz.sh [seconds per target, default 60]
#
# A crash, a sanitizer finding, a timeout or an out-of-memory fails the script and leaves the
# input in build-fuzz/findings/. Reproduce it with `build-fuzz/tests/fuzz/<target> <file>`, fix the
# bug where it is and add a unit test named after what it guards next to that code
# (docs/testing.md).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
targets=(decode reassemble)

# clang with libFuzzer and the sanitizer runtimes; llvm for llvm-symbolizer (readable traces).
scripts/bootstrap.sh --no-build clang libclang-rt-14-dev llvm
if [ ! -f build-fuzz/CMakeCache.txt ]; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DHARMONY_FUZZ=ON -DHARMONY_SANITIZE=address,undefined -DHARMONY_BENCH=OFF >/dev/null
fi
cmake --build build-fuzz -j"$(nproc)" --target make_seeds "${targets[@]/%/_fuzz}"

rm -rf build-fuzz/seeds
build-fuzz/tests/fuzz/make_seeds build-fuzz/seeds
mkdir -p build-fuzz/findings
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
pids=()
for t in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$t"
  # -timeout: one input running 10 s is a finding; -rss_limit_mb: so is one needing 2 GiB (the
  # codec allows 256 MiB per message).
  build-fuzz/tests/fuzz/"$t"_fuzz -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="build-fuzz/findings/$t-" \
    "build-fuzz/corpus/$t" "build-fuzz/seeds/$t" >"build-fuzz/$t.log" 2>&1 &
  pids+=($!)
done
failed=0
for i in "${!targets[@]}"; do
  t="${targets[$i]}"
  if wait "${pids[$i]}"; then
    echo "fuzz: ${t}_fuzz: $(grep -m1 '^Done' "build-fuzz/$t.log"), no finding" \
         "(corpus: $(ls "build-fuzz/corpus/$t" | wc -l) inputs)"
  else
    failed=1
    echo "fuzz: ${t}_fuzz FAILED; end of build-fuzz/$t.log:"
    tail -n 60 "build-fuzz/$t.log"
  fi
done
if [ "$failed" -ne 0 ]; then
  echo "fuzz: findings in build-fuzz/findings/: $(ls build-fuzz/findings)"
  exit 1
fi
