#!/usr/bin/env bash
# The main job: installs what is missing, builds cosma, prints the memory
# bounds of a bundled model, plans it at its smallest feasible budget with
# parameters counted (M_Rp, 8-bit elements as in the COSMA paper), verifies
# the plan and compares it with a baseline (TFLite-style arena + Belady).
set -euo pipefail
cd "$(dirname "$0")/.."
model="${1:-graphs/resnet50.yaml}"
name="$(basename "${model%.*}")"
bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target cosma >/dev/null
mkdir -p out
./build/cosma info "$model" --elem-bytes 1
echo
./build/cosma plan "$model" --elem-bytes 1 --params --budget M_Rp -o "out/$name.plan.json" \
  --summary "out/$name.summary.json" --svg "out/$name.svg" --emit-c "out/$name.plan.h"
echo
./build/cosma verify "$model" "out/$name.plan.json"
echo
echo "baseline for comparison (default order, best-fit arena, Belady replacement):"
./build/cosma plan "$model" --elem-bytes 1 --params --budget M_Rp --baseline default-belady \
  -o "out/$name.default-belady.plan.json" | sed -n '1,2p'
echo
echo "outputs: out/$name.plan.json, out/$name.summary.json, out/$name.svg, out/$name.plan.h"
