#!/usr/bin/env bash
# run.sh: builds the libFuzzer targets (clang, ASan+UBSan) in build-fuzz/
# and runs each for SECONDS, one after the other, on one core:
#
#   bash tests/fuzz/run.sh SECONDS [yaml] [onnx] [plan]
#
# The corpus grows in build-fuzz/corpus/NAME (seeded from tests/fuzz/seeds/
# NAME); crashes land in build-fuzz/artifacts/NAME/ and end the run with
# status 1.  For each fuzzer it prints the executions and the coverage
# (libFuzzer's "cov", edges reached) of the final corpus.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:?usage: run.sh SECONDS [yaml] [onnx] [plan]}
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(yaml onnx plan)
CC=${CC:-clang} cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOSMA_FUZZ=ON \
    -DCOSMA_BUILD_TESTS=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target "${targets[@]/#/fuzz_}" >/dev/null
status=0
for name in "${targets[@]}"; do
    corpus=build-fuzz/corpus/$name artifacts=build-fuzz/artifacts/$name
    mkdir -p "$corpus" "$artifacts"
    log=build-fuzz/fuzz_$name.log
    started=$SECONDS
    # A run that exceeds 10 s or 2 GB on one input is a finding too.
    if ! build-fuzz/tests/fuzz/fuzz_$name "$corpus" "tests/fuzz/seeds/$name" -max_total_time="$seconds" \
        -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" >"$log" 2>&1; then
        status=1
        echo "$name: FOUND A PROBLEM (see $log and $artifacts/)"
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
    # A crash ends the run early: the time is the run's own.
    echo "$name: ${runs:-?} executions in $((SECONDS - started)) s, $cov, corpus $(ls "$corpus" | wc -l) files"
done
exit $status
