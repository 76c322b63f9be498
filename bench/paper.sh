#!/usr/bin/env bash
# The paper's evaluation as one command: builds cosma if the binary is missing,
# then runs bench/paper.py (COSMA and the four baselines on the ten human-designed
# models at the six budgets, plus the placement-only arena table), which writes
# docs/results.md, docs/results.csv and docs/results-*.svg.
#
# usage: bash bench/paper.sh [COSMA_BINARY] [extra bench/paper.py options]
set -euo pipefail
cd "$(dirname "$0")/.."
cosma="${1:-build/cosma}"
if [ $# -gt 0 ]; then shift; fi
if [ ! -x "$cosma" ]; then
  build_dir="$(dirname "$cosma")"
  echo "paper.sh: $cosma is missing, building it in $build_dir" >&2
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build_dir" -j"$(nproc)" --target cosma >/dev/null
fi
# The report quotes the command that produced it, as the user typed it.
PAPER_COMMAND="bash bench/paper.sh $cosma${*:+ $*}" exec python3 bench/paper.py --cosma "$cosma" "$@"
