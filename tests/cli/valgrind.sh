# valgrind.sh: import, info, plan (with every output), verify, run (cpu) and arena on
# the small test graph and on the example graph under valgrind
# --leak-check=full: no error and no leak.  Skipped (ctest status 77) where
# valgrind is not installed or tests/CMakeLists.txt sets COSMA_SKIP_VALGRIND
# (sanitizer builds, whose ASan checks the same, and clang builds).
# Run as: bash valgrind.sh PATH_TO_COSMA SOURCE_DIR
source "$(dirname "$0")/lib.bash" "$@"

if ! command -v valgrind >/dev/null 2>&1 || [ -n "${COSMA_SKIP_VALGRIND:-}" ]; then
    echo "skipped: no valgrind, or a sanitizer or clang build"
    exit 77
fi
# vg NAME CMD...: the command under valgrind must exit 0 with a clean report.
vg()
{
    local name=$1
    shift
    run valgrind -q --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all --error-exitcode=99 \
        "$COSMA" "$@"
    expect_eq "valgrind: $name" "$RC" 0
    [ "$RC" -eq 0 ] || head -n 20 "$ERR" >&2
}
for graph in "$SRC/tests/data/tiny.yaml" "$GRAPHS/example.yaml"; do
    vg "import $(basename "$graph")" import "$graph" -o g.yaml
    vg "info $(basename "$graph")" info "$graph"
    vg "plan $(basename "$graph")" plan "$graph" --budget M_R -o p.json --summary s.json --svg p.svg --emit-c p.h
    vg "verify $(basename "$graph")" verify "$graph" p.json
    vg "run $(basename "$graph")" run "$graph" p.json --check-all
    vg "arena $(basename "$graph")" arena "$graph"
done
"$PYTHON" "$SRC/tests/tools/onnx_craft.py" chain 50 chain.onnx
vg "import chain.onnx" import chain.onnx -o chain.yaml
vg "info chain.onnx" info chain.onnx
finish
