#!/usr/bin/env bash
# Runs Harmony's benchmarks: the micro-benchmarks (Google Benchmark: codec, change-log scan,
# apply without the network) and the end-to-end ones (harmony-bench: a real nats-server and real
# harmony processes on loopback: capture overhead, replication throughput and latency, catch-up,
# memory). Writes <out>/micro.json, <out>/results.json and <out>/results.md; a full run also
# rewrites the generated section of docs/benchmarks.md and bench/results/latest.json.
#
# Usage: scripts/bench.sh [--quick] [--out DIR] [--shards N]
#   --quick   small sizes, well under a minute: proves the tool works (CI runs this); its
#             figures mean little and it leaves docs/ alone.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
out=build/bench
shards=1
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --out) out="$2"; shift ;;
    --shards) shards="$2"; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

scripts/bootstrap.sh
mkdir -p "$out"

micro=(build/bench/micro/harmony_micro_bench --benchmark_out="$out/micro.json"
       --benchmark_out_format=json)
((quick)) && micro+=(--benchmark_min_time=0.01)
echo "== micro-benchmarks"
"${micro[@]}"

cluster=(build/harmony-bench --harmony build/harmony --shards "$shards" --json "$out/results.json"
         --markdown "$out/results.md" --micro-json "$out/micro.json")
if ((quick)); then
  cluster+=(--quick)
else
  cluster+=(--update-doc docs/benchmarks.md)
fi
echo "== end-to-end benchmarks"
"${cluster[@]}"
if ((!quick)); then
  mkdir -p bench/results
  cp "$out/results.json" bench/results/latest.json
  echo "bench.sh: updated docs/benchmarks.md and bench/results/latest.json"
fi
echo "bench.sh: results in $out/results.json and $out/results.md"
