#!/usr/bin/env bash
# Installs what is missing, then builds cosma with warnings as errors and runs
# every test suite (Check suites, end-to-end CLI tests, the install test)
# through ctest on each build: gcc in Release (build/, with the cuda runtime
# backend where the CUDA Toolkit is found), clang without CUDA (build-clang/),
# and gcc with AddressSanitizer and UndefinedBehaviorSanitizer without CUDA
# (COSMA_SANITIZE, build-asan/).  COSMA_TEST_BUILDS="gcc" (any of gcc clang
# asan) picks builds.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
jobs=$(nproc)

build_and_test() { # DIR COMPILER BUILD_TYPE [CMAKE_OPTION...]
  local dir=$1 compiler=$2 type=$3
  shift 3
  echo "== $compiler $type $* in $dir"
  cmake -S . -B "$dir" -DCMAKE_C_COMPILER="$compiler" -DCMAKE_BUILD_TYPE="$type" -DCOSMA_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
  ctest --test-dir "$dir" --output-on-failure -j"$jobs"
}

for build in ${COSMA_TEST_BUILDS:-gcc clang asan}; do
  case $build in
    gcc) build_and_test build gcc Release ;;
    # DWARF 4: the valgrind test's valgrind (3.19) cannot read clang's DWARF 5.
    clang) build_and_test build-clang clang RelWithDebInfo -DCOSMA_WITH_CUDA=OFF -DCMAKE_C_FLAGS=-gdwarf-4 ;;
    asan) build_and_test build-asan gcc RelWithDebInfo -DCOSMA_SANITIZE=ON -DCOSMA_WITH_CUDA=OFF ;;
    *) echo "unknown build '$build' in COSMA_TEST_BUILDS" >&2; exit 2 ;;
  esac
done
