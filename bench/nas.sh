#!/usr/bin/env bash
# The NAS benchmark of issue 10 as one command: cosma and the four baselines
# on nasnetalarge, pnasnet5large, darts_v2_imagenet and amoebanet_d at M_R,
# M_H and M_P (8-bit, activations only), every plan verified; prints the
# Markdown table that docs/results-nas.md quotes (bench/nas.py).
#
# usage: bash bench/nas.sh [COSMA_BINARY] [extra bench/nas.py options]
set -euo pipefail
cd "$(dirname "$0")/.."
cosma="${1:-build/cosma}"
if [ $# -gt 0 ]; then shift; fi
if [ ! -x "$cosma" ]; then
  echo "nas.sh: $cosma is missing: build it first (cmake --build build)" >&2
  exit 2
fi
exec python3 bench/nas.py --cosma "$cosma" "$@"
