# dc.sh: `cosma plan --method` end to end: the option is parsed and
# checked, every method gives a verified plan, also divide-and-conquer on
# a generated layered DAG (its deadline is tested in tests/test_dc.c).
# Run as: bash dc.sh PATH_TO_COSMA SOURCE_DIR
source "$(dirname "$0")/lib.bash" "$@"

expect_exit 2 cosma plan "$GRAPHS/example.yaml" --budget M_R -o bad.json --method fastest
expect_stderr_contains "--method must be auto, ilp or dc, not 'fastest'"

for method in auto ilp dc; do
    expect_exit 0 cosma plan "$GRAPHS/example.yaml" --budget M_R -o "example-$method.json" --method "$method" -q
    expect_exit 0 cosma verify "$GRAPHS/example.yaml" "example-$method.json"
done

# A generated layered DAG (bench/layered_dag.py) with --method dc gives a
# verified plan.
"$PYTHON" "$SRC/bench/layered_dag.py" --ops 120 --layers 20 --seed 3 --min-bytes 256 --max-bytes 4096 -o dag.yaml
expect_exit 0 cosma plan dag.yaml --budget M_R -o dag.json --method dc --time-limit 60 -q
expect_exit 0 cosma verify dag.yaml dag.json
finish
