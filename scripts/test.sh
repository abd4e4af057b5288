#!/usr/bin/env bash
# Builds Harmony (installing what is missing) and runs the whole test suite: unit, integration
# (real nats-server) and end-to-end (real harmony processes). Extra arguments go to ctest,
# e.g. scripts/test.sh -L unit
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 600 "$@"
