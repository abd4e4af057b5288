#!/usr/bin/env bash
# Builds Harmony with sanitizers and runs tests under them. Extra arguments go to ctest.
#   scripts/sanitize.sh asan   ASan + UBSan (build-asan/): the unit and integration tests.
#   scripts/sanitize.sh tsan   TSan (build-tsan/): the tests labelled `threaded` (publish loop,
#                              apply loop, async publisher, subscriptions; see docs/testing.md).
# Every instrumented process, including the harmony children of end-to-end tests, writes its
# reports to build-<kind>/sanitizer-reports/; any report fails the script, even one from a child
# whose test passed. Suppressions (tests/sanitizers/) cover only findings inside uninstrumented
# third-party libraries; each says why.
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-}"
shift || true
case "$kind" in
  asan)
    sanitize=address,undefined
    labels='^(unit|integration)$'
    targets=(tests_unit tests_integration)
    ;;
  tsan)
    sanitize=thread
    labels='^threaded$'
    targets=(tests_threaded)
    ;;
  *) echo "usage: scripts/sanitize.sh asan|tsan [ctest arguments...]" >&2; exit 2 ;;
esac
build="build-$kind"
supp="$PWD/tests/sanitizers"

scripts/bootstrap.sh --no-build
if [ ! -f "$build/CMakeCache.txt" ]; then
  # -O1 -g1: about 40% less compile time than RelWithDebInfo's -O2 -g with sanitizers (the CI
  # budget), still line numbers in every report; NDEBUG as in the build that ships.
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
    -DHARMONY_SANITIZE="$sanitize" -DHARMONY_BENCH=OFF >/dev/null
fi
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"

reports="$PWD/$build/sanitizer-reports"
rm -rf "$reports"
mkdir -p "$reports"
# log_path: one file per process that found something (<prefix>.<pid>), so reports from harmony
# children and nats.c threads are not lost in a log nobody reads.
common="halt_on_error=1:log_path=$reports/report"
export UBSAN_OPTIONS="$common:print_stacktrace=1:suppressions=$supp/ubsan.supp"
if [ "$kind" = asan ]; then
  export ASAN_OPTIONS="$common:detect_leaks=1:strict_string_checks=1:check_initialization_order=1"
  export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
else
  # second_deadlock_stack: both stacks of a lock-order inversion.
  export TSAN_OPTIONS="$common:second_deadlock_stack=1:suppressions=$supp/tsan.supp"
fi

status=0
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" --timeout 900 -L "$labels" "$@" ||
  status=$?
shopt -s nullglob
found=("$reports"/report.*)
if ((${#found[@]})); then
  echo "sanitize $kind: ${#found[@]} process(es) reported findings:"
  for f in "${found[@]}"; do
    echo "==== $f"
    head -n 80 "$f"
  done
  status=1
fi
if [ "$status" -ne 0 ]; then
  echo "sanitize $kind: FAILED"
  exit "$status"
fi
echo "sanitize $kind: no findings"
