#!/usr/bin/env bash
# The runtime benchmark (issue 9) on a CUDA machine: the fourteen bundled
# models at M_R, M_H, M_Rp and M_Hp with their real element sizes, after
# `cosma calibrate`.  Each plan runs in --rounds processes of
# `cosma run --backend cuda --mode graph,streams,serial,serial`: one runtime
# (one arena, one pinned host block) runs the four entries in turn, every
# repeat of each interleaved with the others', so that the modes are
# compared on the same memory at the same time (a process's host memory
# and the machine's state vary from one process to the next); serial runs
# twice to measure the noise between two identical runs.  Rounds alternate
# the list's order.  Then one poisoned streams run; bench/runtime.py writes
# the table.
#
# usage: bash bench/runtime.sh [--cosma BIN] [--plans DIR] [--out DIR] [--repeat N] [--rounds N]
#                              [--time-limit S] [--models "A B ..."] [--cost COST.json]
#   --plans DIR   plan files NAME.BUDGET.json (missing ones are planned first)
#   --models      a subset of the bundled models (default: all fourteen)
#   --cost FILE   use this calibration instead of running cosma calibrate
#   --out DIR     cost.json, runs/MODEL.BUDGET.rR.json (one `cosma run --json` line per
#                 entry of the list), runs/MODEL.BUDGET.poison.json, reports/ (graph mode,
#                 round 1), runs.tar.gz (both), results-gpu.md
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."
cosma=build/cosma plans=bench-out/plans out=bench-out repeat=9 rounds=2 limit=30 models="" cost=""
while [ $# -gt 0 ]; do
  case $1 in
    --cosma) cosma=$2; shift 2 ;;
    --plans) plans=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --time-limit) limit=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    --cost) cost=$2; shift 2 ;;
    *) echo "runtime.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
mkdir -p "$plans" "$out/runs" "$out/reports"
[ -n "$models" ] || models=$(ls graphs/*.yaml | xargs -n1 basename | sed 's/\.yaml$//' | grep -v '^example$')

for g in $models; do
  for b in M_R M_H M_Rp M_Hp; do
    p=""; case $b in *p) p=--params ;; esac
    [ -s "$plans/$g.$b.json" ] && continue
    "$cosma" plan "graphs/$g.yaml" --budget $b $p --time-limit "$limit" -o "$plans/$g.$b.json" >/dev/null ||
      echo "runtime.sh: no plan for $g at $b" >&2
  done
done

if [ -n "$cost" ]; then cp "$cost" "$out/cost.json"; else "$cosma" calibrate --backend cuda -o "$out/cost.json" || exit 3; fi
nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.max,pcie.link.width.max --format=csv,noheader \
  > "$out/gpu.txt" 2>/dev/null

for g in $models; do
  for b in M_R M_H M_Rp M_Hp; do
    plan=$plans/$g.$b.json
    [ -s "$plan" ] || continue
    for r in $(seq 1 "$rounds"); do
      modes=graph,streams,serial,serial; [ $((r % 2)) = 0 ] && modes=serial,streams,graph,serial
      report=()
      [ "$r" = 1 ] && report=(--report "$out/reports/$g.$b.json")
      name=$out/runs/$g.$b.r$r
      "$cosma" run "graphs/$g.yaml" "$plan" --backend cuda --mode $modes --repeat "$repeat" --cost "$out/cost.json" \
        --json "${report[@]}" > "$name.json" 2> "$name.err"
      echo $? > "$name.rc"
    done
    "$cosma" run "graphs/$g.yaml" "$plan" --backend cuda --mode streams --poison --repeat 1 --cost "$out/cost.json" \
      --json > "$out/runs/$g.$b.poison.json" 2> "$out/runs/$g.$b.poison.err"
    echo $? > "$out/runs/$g.$b.poison.rc"
  done
done
tar -czf "$out/runs.tar.gz" -C "$out" runs reports
RUNTIME_COMMAND="bash bench/runtime.sh --cosma $cosma --plans $plans --out $out --repeat $repeat --rounds $rounds" \
  python3 "$here/runtime.py" "$out"
