#!/usr/bin/env bash
# Behaviour-unchanged check: plans every case that docs/results.csv lists as
# scheme=cosma,status=optimal, and every baseline case, exactly as
# bench/paper.py does (8-bit elements, --time-limit 60) with a given binary,
# and writes the plans, their summary, C header, SVG and messages, and the
# sha256 of each, into a folder.  `compare A B` reports every file that
# differs.
#   bash bench/identity.sh plan COSMA_BINARY OUT_DIR
#   bash bench/identity.sh compare REF_DIR NEW_DIR
set -euo pipefail
cd "$(dirname "$0")/.."

# One case: its plan, summary, C header and SVG, hashed.
plan_case() { # COSMA OUT_DIR MODEL TIER PARAMS BUDGET SCHEME
  local cosma=$1 out=$2 model=$3 tier=$4 params=$5 budget=$6 scheme=$7
  local tag="$model-$tier-$scheme" flags=()
  [ "$params" = True ] && flags+=(--params)
  [ "$scheme" != cosma ] && flags+=(--baseline "$scheme")
  "$cosma" plan "graphs/$model.yaml" --elem-bytes 1 --budget "$budget" -o "$out/$tag.plan.json" \
    --time-limit 60 "${flags[@]}" --summary "$out/$tag.summary.json" --emit-c "$out/$tag.h" \
    --svg "$out/$tag.svg" >/dev/null 2>"$out/$tag.err" || echo "exit $?" >>"$out/$tag.err"
  # solve_seconds in the summary is a measurement, not behaviour.
  [ -f "$out/$tag.summary.json" ] && sed -i 's/"solve_seconds": [0-9.e+-]*/"solve_seconds": -/' "$out/$tag.summary.json"
  (cd "$out" && for f in "$tag.plan.json" "$tag.summary.json" "$tag.h" "$tag.svg" "$tag.err"; do
    [ -f "$f" ] && sha256sum "$f"; done >>sha256)
}

# The proven COSMA cases, and every baseline case (deterministic and fast).
plan_all() {
  local cosma=$1 out=$2
  mkdir -p "$out"
  : >"$out/sha256"
  awk -F, 'NR > 1 && ($5 != "cosma" || $7 == "optimal") { print $1, $2, $3, $4, $5 }' docs/results.csv |
    while read -r model tier params budget scheme; do
      plan_case "$cosma" "$out" "$model" "$tier" "$params" "$budget" "$scheme"
    done
  echo "$(grep -c '\.plan\.json$' "$out/sha256") plans in $out"
}

compare() {
  if diff "$1/sha256" "$2/sha256"; then
    echo "identical: $(wc -l <"$1/sha256") files"
  else
    echo "plans differ" >&2
    return 1
  fi
}

case "${1:-}" in
  plan) plan_all "$2" "$3" ;;
  compare) compare "$2" "$3" ;;
  *) echo "usage: $0 plan COSMA OUT_DIR | compare REF_DIR NEW_DIR" >&2; exit 2 ;;
esac
