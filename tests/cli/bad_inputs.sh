# bad_inputs.sh: the bad-input corpus of tests/data/bad (YAML graphs, ONNX
# models, plan files): each file gets its exit status and its first error
# message, which names the problem and where it is (file:line:column, the
# ONNX node or tensor, or the JSON path), exactly as tests/data/bad/
# expected.tsv lists them; and nothing may crash or hang.
# Run as: bash bad_inputs.sh PATH_TO_COSMA SOURCE_DIR
source "$(dirname "$0")/lib.bash" "$@"

cd "$SRC/tests/data/bad" || exit 2
count=0
while IFS=$'\t' read -r want file message; do
    case $want in '#'* | '') continue ;; esac
    count=$((count + 1))
    case $file in
    plan/*) run timeout 10 "$COSMA" verify ../tiny.yaml "$file" ;;
    *) run timeout 10 "$COSMA" info "$file" ;;
    esac
    expect_eq "exit status for $file" "$RC" "$want"
    first=$(sed -n '1s/^cosma: error: //p' "$ERR")
    expect_eq "first message for $file" "$first" "$message"
done <expected.tsv
listed=$(grep -vc '^#' expected.tsv)
present=$(ls yaml onnx plan | grep -c '\.')
expect_eq "every corpus file is listed" "$listed" "$present"
expect_true "at least 60 files in the corpus ($count)" test "$count" -ge 60
cd "$TMP" || exit 2
finish
