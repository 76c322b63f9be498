#!/usr/bin/env bash
# Times every command on the hostile inputs of issue 11
# (tests/tools/hostile_inputs.py, the inputs of tests/cli/limits.sh) and
# prints a Markdown table: exit status, wall and user seconds, peak memory,
# and whether the run kept its goal (issue 11: import, info, verify and
# run (cpu) within 10 s; arena, sweep and plan within their time limit, 10 s here,
# plus 10%).  A run is stopped after 120 s.
#   bash bench/hostile.sh COSMA_BINARY [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
cosma=$(realpath "${1:?usage: bench/hostile.sh COSMA_BINARY [WORK_DIR]}")
src=$PWD
work=${2:-$(mktemp -d)}
mkdir -p "$work"
cd "$work"
"$cosma" plan "$src/tests/data/tiny.yaml" --budget 1MiB -o tiny.plan.json >/dev/null
python3 "$src/tests/tools/hostile_inputs.py" . tiny.plan.json

# measure INPUT GOAL_SECONDS ARGS...: one table row.
measure() {
  local input=$1 goal=$2
  shift 2
  local rc=0
  /usr/bin/time -f "%e %U %M" -o time.txt timeout 120 "$cosma" "$@" >out.txt 2>err.txt || rc=$?
  local wall user rss
  read -r wall user rss < <(tail -n 1 time.txt)
  local kept=yes
  [ "$rc" -eq 124 ] && kept="no (stopped)"
  [ "$kept" = yes ] && awk -v w="$wall" -v g="$goal" 'BEGIN { exit !(w > g) }' && kept=no
  printf '| %s | %s | %s | %s | %s | %s | %d | %s |\n' "$input" "$(du -h "$input" | cut -f1)" "${*//$src\//}" "$rc" \
    "$wall" "$user" $((rss / 1024)) "$kept"
}

echo "| input | size | command | exit | wall s | user s | max RSS MB | goal kept |"
echo "|---|---:|---|---:|---:|---:|---:|---|"
for graph in nested.onnx nested30.onnx chain.onnx same.onnx wide.onnx deep.yaml attrs.yaml huge.yaml; do
  measure "$graph" 10 import "$graph" -o imported.yaml
  measure "$graph" 10 info "$graph"
  measure "$graph" 11 arena "$graph" --time-limit 10
  measure "$graph" 11 sweep "$graph" --budgets M_R,M_P --time-limit 10
  rm -f plan.json
  measure "$graph" 11 plan "$graph" --budget M_H --time-limit 10 -q -o plan.json
  [ -f plan.json ] && measure "$graph" 10 verify "$graph" plan.json
  [ -f plan.json ] && measure "$graph" 10 run "$graph" plan.json --backend cpu
done
for plan in keys.json intervals.json; do
  measure "$plan" 10 verify "$src/tests/data/tiny.yaml" "$plan"
done
