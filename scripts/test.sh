#!/usr/bin/env bash
# Installs what is missing, builds cosma and runs every test suite (Check
# suites and end-to-end CLI tests) through ctest; then the same suites again
# on a build with AddressSanitizer and UndefinedBehaviorSanitizer
# (COSMA_SANITIZE, in build-asan/).  COSMA_SKIP_SANITIZE=1 skips that run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure -j"$(nproc)"
if [ "${COSMA_SKIP_SANITIZE:-0}" != 1 ]; then
    cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOSMA_SANITIZE=ON >/dev/null
    cmake --build build-asan -j"$(nproc)"
    ctest --test-dir build-asan --output-on-failure -j"$(nproc)"
fi
