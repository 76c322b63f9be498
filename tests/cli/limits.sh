# limits.sh: one reproducer of each crash and blow-up of issue 11, each
# under a time bound: deep ONNX subgraphs, a 200,000-operator chain, deep
# YAML flow nesting, 100,000 operators of one name, an operator with
# 100,000 inputs (import, info), a plan with 300,000
# unknown keys and one with 200,000 intervals ending at one step, sizes
# near 2^62.  Inputs are generated here (tests/tools/hostile_inputs.py),
# not committed.
# Run as: bash limits.sh PATH_TO_COSMA SOURCE_DIR
source "$(dirname "$0")/lib.bash" "$@"

# within SECONDS CMD...: runs CMD like `run`, failing the check when it
# takes longer than SECONDS (times the scale).
within()
{
    local limit=$(($1 * SCALE))
    shift
    local start=$SECONDS
    run timeout "$limit" "$@"
    if [ "$RC" -eq 124 ]; then
        fail "still running after ${limit} s: $*"
    else
        pass
    fi
    echo "  $(($SECONDS - start)) s: $*"
}

# The inputs (tests/tools/hostile_inputs.py); the hostile plans derive
# from a real plan of the small graph.
TINY=$SRC/tests/data/tiny.yaml
expect_exit 0 "$COSMA" plan "$TINY" --budget 1MiB -o plan.json
"$PYTHON" "$SRC/tests/tools/hostile_inputs.py" . plan.json

# 1. Subgraphs nested 5,000 deep: protobuf-c would recurse off the stack.
for command in info "import -o nested.yaml"; do
    within 5 "$COSMA" $command nested.onnx
    expect_eq "$command of deeply nested ONNX: exit status" "$RC" 2
    expect_stderr_contains "nested.onnx: messages nest deeper than 100 levels"
done
expect_no_file "no output for a refused model" nested.yaml
# 30 levels (90 messages) are read: the error is the model's own.
within 5 "$COSMA" import nested30.onnx -o nested30.yaml
expect_stderr_contains "nested30.onnx: operator 'If_0' reads 'c'"

# 2. A plain chain of 200,000 operators (12 MB of ONNX): import and info.
within 30 "$COSMA" import chain.onnx -o chain.yaml
expect_eq "import of a 200,000-operator chain: exit status" "$RC" 0
expect_eq "operators in the YAML" "$(grep -c 'type: "Relu"' chain.yaml)" 200000
# info took 289 s and 10 GB (ancestor bitsets quadratic in the operators).
within 30 "$COSMA" info chain.onnx
expect_eq "info of a 200,000-operator chain: exit status" "$RC" 0
expect_stdout_contains "m_p             32 bytes (exact)"

# 3. YAML nested 100,000 deep in flow style: libyaml is quadratic in it.
within 5 "$COSMA" info deep.yaml
expect_eq "deep YAML: exit status" "$RC" 2
expect_stderr_contains "deep.yaml:3:73: lists and mappings nest deeper than 64 levels"

# 4. 100,000 ONNX nodes of one name get unique names in linear time.
within 20 "$COSMA" import same.onnx -o same.yaml
expect_eq "100,000 nodes named alike: exit status" "$RC" 0
expect_eq "distinct operator names" "$(grep -o '{name: "n[_0-9]*"' same.yaml | sort -u | wc -l)" 100000
# Its plan runs on the cpu backend: the runtime finds each write's
# overlapping earlier accesses in logarithmic time (it compared every pair
# of intervals: 26 s) and each output's interval by its tensor.
within 10 "$COSMA" plan same.onnx --budget M_H -o same.json -q
within 10 "$COSMA" run same.onnx same.json --backend cpu
expect_eq "run of a 100,000-operator plan: exit status" "$RC" 0
expect_stdout_contains "outputs identical to the reference"

# 4b. One operator with 100,000 distinct inputs: its distinct operands are
# derived once, in linear time (they were searched pairwise), and the
# placer finds each input's gap at that step in logarithmic time (it
# sorted every placed span for each: over 100 s in info).
within 10 "$COSMA" import wide.onnx -o wide.yaml
expect_eq "operator with 100,000 inputs: exit status" "$RC" 0
within 10 "$COSMA" info wide.onnx
expect_eq "info of an operator with 100,000 inputs: exit status" "$RC" 0
expect_stdout_contains "m_p             3200000 bytes (exact)"
# plan: the first plan offered to an early stop is the flush plan (linear),
# and at M_R nothing moves, so the baselines do not run.
within 10 "$COSMA" plan wide.onnx --budget M_R -o wide.json -q
expect_eq "plan of an operator with 100,000 inputs: exit status" "$RC" 0
within 10 "$COSMA" verify wide.onnx wide.json
expect_eq "verify of its plan: exit status" "$RC" 0
# arena: the TFLite-style allocators compare every pair of tensors live at
# a step; 100,001 at one step is refused at once (it ran out of memory
# after 18 s); the COSMA placer places them.
within 10 "$COSMA" arena wide.onnx --algo first-fit
expect_eq "pairwise allocator on 100,001 live tensors: exit status" "$RC" 2
expect_stderr_contains "100001 are live at step 1 of 'wide' (its limit is 20000)"
within 10 "$COSMA" arena wide.onnx --algo cosma
expect_eq "cosma placer on 100,001 live tensors: exit status" "$RC" 0

# 4c. 200,000 attributes of one operator: duplicates found by sorting.
within 10 "$COSMA" info attrs.yaml
expect_eq "200,000 attributes with one repeated: exit status" "$RC" 2
expect_stderr_contains "attrs.yaml:200012:7: duplicate attribute 'a7' in operator 'op' (first given at line 19)"

# 5 and 6: plans of the small graph with 300,000 unknown keys (which
# readers ignore; a pairwise check is quadratic) and with 200,000
# intervals ending at one step (an insertion sort is quadratic).
within 10 "$COSMA" verify "$TINY" keys.json
expect_eq "plan with 300,000 unknown keys: exit status" "$RC" 0
within 20 "$COSMA" verify "$TINY" intervals.json
expect_eq "plan with 200,000 intervals: exit status" "$RC" 2

# 7. Sizes near 2^62 bytes are legal; their sums are checked, not wrapped.
for command in info "plan --budget 1GiB -o huge.json"; do
    within 10 "$COSMA" $command huge.yaml
    expect_eq "$command near 2^62: exit status" "$RC" 2
    expect_stderr_contains "huge.yaml:6:5: tensor 'b': the planned tensors up to this one take more than 2^63 - 1"
done
finish
