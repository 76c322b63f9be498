# fuzz_regressions.sh: every input a fuzzer found a crash with
# (tests/fuzz/regressions/{yaml,onnx,plan}/) goes through the command that
# reads it and must end with exit 0, 1 or 2 and, on 2, a message; in the
# sanitizer build of CI an error of ASan or UBSan ends the process with
# another status and fails the check.
# Run as: bash fuzz_regressions.sh PATH_TO_COSMA SOURCE_DIR
source "$(dirname "$0")/lib.bash" "$@"

REG=$SRC/tests/fuzz/regressions
count=0
for file in "$REG"/yaml/* "$REG"/onnx/* "$REG"/plan/*; do
    [ -e "$file" ] || continue
    count=$((count + 1))
    case $file in
    */plan/*) run timeout 20 "$COSMA" verify "$SRC/tests/data/tiny.yaml" "$file" ;;
    *) run timeout 20 "$COSMA" info "$file" ;;
    esac
    expect_true "$(basename "$file"): exit $RC (0, 1 or 2 expected)" test "$RC" -le 2
    if [ "$RC" -eq 2 ]; then expect_stderr_contains "cosma: error: "; fi
done
expect_true "regression inputs found ($count)" test "$count" -ge 1
finish
