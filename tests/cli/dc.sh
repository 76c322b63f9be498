# dc.sh: `cosma plan --method` end to end: the option is parsed and
# checked, every method gives a verified plan, also divide-and-conquer on
# a generated layered DAG (its deadline is tested in tests/test_dc.c).
# --method greedy on a 1,500-operator DAG.
# Run as: bash dc.sh PATH_TO_COSMA SOURCE_DIR
source "$(dirname "$0")/lib.bash" "$@"

expect_exit 2 cosma plan "$GRAPHS/example.yaml" --budget M_R -o bad.json --method fastest
expect_stderr_contains "--method must be auto, ilp, dc or greedy, not 'fastest'"

for method in auto ilp dc greedy; do
    expect_exit 0 cosma plan "$GRAPHS/example.yaml" --budget M_R -o "example-$method.json" --method "$method" -q
    expect_exit 0 cosma verify "$GRAPHS/example.yaml" "example-$method.json"
done

# A generated layered DAG (bench/layered_dag.py) with --method dc gives a
# verified plan.
"$PYTHON" "$SRC/bench/layered_dag.py" --ops 120 --layers 20 --seed 3 --min-bytes 256 --max-bytes 4096 -o dag.yaml
expect_exit 0 cosma plan dag.yaml --budget M_R -o dag.json --method dc --time-limit 60 -q
expect_exit 0 cosma verify dag.yaml dag.json

# --method greedy: no ILP, so a large graph plans in seconds; the plan is
# verified, never worse than a baseline (they are its incumbents), and its
# method says what it is.
"$PYTHON" "$SRC/bench/layered_dag.py" --ops 1100 --layers 55 --seed 1 -o big.yaml
expect_exit 0 cosma info big.yaml --json --time-limit 5
budget=$("$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["m_h"])' < "$OUT")
# (A generous limit: greedy ends on its own work; under a binding limit the
# flush plan could be all there is.)
expect_exit 0 cosma plan big.yaml --budget "$budget" -o big.json --summary big.sum --method greedy --time-limit 600 -q
expect_exit 0 cosma verify big.yaml big.json
expect_json_all big.sum -- "j['method'].startswith('greedy')"
expect_exit 0 cosma plan big.yaml --budget "$budget" -o belady.json --summary belady.sum --baseline default-belady -q
# no_worse A B: A's traffic is at most B's.
no_worse()
{
    "$PYTHON" -c 'import json, sys
a, b = (json.load(open(f))["non_compulsory_bytes"] for f in sys.argv[1:])
sys.exit(0 if a <= b else 1)' "$1" "$2"
}
expect_true "greedy no worse than default-belady" no_worse big.sum belady.sum
expect_json_all big.sum -- "j['search'] == 'complete'"
finish
