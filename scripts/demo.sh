#!/usr/bin/env bash
# The main job: installs what is missing, builds cosma, prints the memory
# bounds of a bundled model and plans it at its smallest feasible budget.
set -euo pipefail
cd "$(dirname "$0")/.."
model="${1:-graphs/resnet50.yaml}"
name="$(basename "${model%.*}")"
bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target cosma >/dev/null
mkdir -p out
./build/cosma info "$model" --elem-bytes 1
./build/cosma plan "$model" --elem-bytes 1 --budget M_R -o "out/$name.plan.json" \
  --summary "out/$name.summary.json" --svg "out/$name.svg" --emit-c "out/$name.plan.h"
./build/cosma verify "$model" "out/$name.plan.json"
