#!/usr/bin/env bash
# Installs what is missing, then builds cosma twice with warnings as errors,
# with gcc in Release (build/) and with clang (build-clang/), and runs every
# test suite (Check suites, end-to-end CLI tests, the install test) on both
# through ctest.  COSMA_TEST_COMPILERS="gcc" limits it to one compiler.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
jobs=$(nproc)

build_and_test() { # DIR COMPILER BUILD_TYPE
  echo "== $2 $3 in $1"
  cmake -S . -B "$1" -DCMAKE_C_COMPILER="$2" -DCMAKE_BUILD_TYPE="$3" -DCOSMA_WERROR=ON >/dev/null
  cmake --build "$1" -j"$jobs"
  ctest --test-dir "$1" --output-on-failure -j"$jobs"
}

for compiler in ${COSMA_TEST_COMPILERS:-gcc clang}; do
  case $compiler in
    gcc) build_and_test build gcc Release ;;
    clang) build_and_test build-clang clang RelWithDebInfo ;;
    *) echo "unknown compiler '$compiler' in COSMA_TEST_COMPILERS" >&2; exit 2 ;;
  esac
done
