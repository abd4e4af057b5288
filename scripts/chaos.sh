#!/usr/bin/env bash
# Runs Harmony's chaos suite (tests/chaos, docs/reliability.md): three real harmony nodes with
# concurrent writer apps, one fault kind per scenario (kill -9 of a sidecar, SIGSTOP/SIGCONT,
# kill -9 of the broker, kill -9 of one server of a 3-server NATS cluster, kill -9 of the app
# inside a transaction, restart of all sidecars, a node down past retention, an app holding the
# write lock); after healing it checks identical data on all nodes, zero lost committed rows and
# no crash. Prints one row per run and a summary; writes <out>/results.md and keeps the whole
# directory (logs, journals, databases) of every failing run. Exits non-zero if any run failed.
#
# Usage: scripts/chaos.sh [--quick] [--seeds N] [--scenario NAME]... [--out DIR] [--keep]
#   --quick          one seed per scenario, a few minutes (CI runs this)
#   --seeds N        seeds per scenario (default 5)
#   --scenario NAME  only this scenario (repeatable; build/tests/chaos/harmony-chaos --list)
#   --out DIR        results and kept runs (default build/chaos)
#   --keep           keep the directories of passing runs too
set -euo pipefail
cd "$(dirname "$0")/.."

args=()
out=build/chaos
while (($#)); do
  case "$1" in
    --quick|--keep) args+=("$1") ;;
    --seeds|--scenario|--first-seed|--converge-timeout) args+=("$1" "$2"); shift ;;
    --out) out="$2"; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "chaos.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

scripts/bootstrap.sh
mkdir -p "$out"
echo "== chaos suite (results in $out/results.md)"
exec build/tests/chaos/harmony-chaos --harmony build/harmony --out "$out" "${args[@]}"
