# plan.sh: `cosma plan` end to end: plans at the paper's budgets verify,
# their summaries are consistent, the side outputs (C header, SVG, LP model)
# are usable, output is deterministic, infeasible budgets and bad order
# files are reported, and `cosma verify` rejects tampered plans with the
# right exit code and rule.
# Run as: bash plan.sh PATH_TO_COSMA SOURCE_DIR
source "$(dirname "$0")/lib.bash" "$@"

SUMMARY_KEYS='["status", "method", "budget_bytes", "non_compulsory_bytes", "spill_bytes", "retrieve_bytes",
               "compulsory_bytes", "lower_bound_bytes", "gap", "peak_bytes", "solve_seconds"]'

# check_summary S.json PLAN.json BUDGET: the summary's internal consistency
# and its agreement with the plan file.
check_summary()
{
    local s=$1 p=$2 budget=$3
    expect_json_all "$s" "$p" -- \
        "all(key in j for key in $SUMMARY_KEYS)" \
        "j['budget_bytes'] == $budget" \
        'j["status"] in ("optimal", "feasible")' \
        'j["non_compulsory_bytes"] == j["spill_bytes"] + j["retrieve_bytes"]' \
        'j["lower_bound_bytes"] <= j["non_compulsory_bytes"]' \
        'j["peak_bytes"] <= j["budget_bytes"]' \
        'j["status"] != "optimal" or j["lower_bound_bytes"] == j["non_compulsory_bytes"]' \
        'j["status"] != "optimal" or j["gap"] == 0' \
        'abs(j["gap"] - (j["non_compulsory_bytes"] - j["lower_bound_bytes"]) / max(j["non_compulsory_bytes"], 1)) < 1e-5' \
        'j["solve_seconds"] >= 0' \
        'all(k["totals"][key] == j[key] for key in ("spill_bytes", "retrieve_bytes", "non_compulsory_bytes", "compulsory_bytes", "peak_bytes"))' \
        'k["totals"]["compulsory_bytes"] == k["totals"]["compulsory_load_bytes"] + k["totals"]["compulsory_store_bytes"]' \
        'k["status"] == j["status"] and k["method"] == j["method"]' \
        'k["budget_bytes"] == j["budget_bytes"] and k["lower_bound_bytes"] == j["lower_bound_bytes"]' \
        'j["steps"] == len(k["steps"]) == len(k["schedule"]) and j["intervals"] == len(k["intervals"])' \
        'k["totals"]["peak_bytes"] == max(i["offset"] + i["bytes"] for i in k["intervals"])' \
        'k["totals"]["spill_bytes"] == sum(i["bytes"] for i in k["intervals"] if i["end"] == "spill")'
}

# A header that only includes the generated one, as a runtime would.
compile_header()
{
    local header=$1 macro=$2
    printf '#include "%s"\nint plan_steps(void);\nint plan_steps(void) { return (int)%s_N_STEPS; }\n' \
        "$header" "$macro" >"$TMP/use_header.c"
    cc -std=c11 -Wall -Werror -c "$TMP/use_header.c" -o "$TMP/use_header.o"
}

for g in example resnet50; do
    G=$GRAPHS/$g.yaml
    MACRO=COSMA_$(echo $g | tr a-z A-Z)
    expect_exit 0 cosma info --json --elem-bytes 1 "$G"
    cp "$OUT" $g-info.json
    m_r=$(json_get $g-info.json m_r)
    n_ops=$(json_get $g-info.json operators)

    for b in M_R M_H M_P; do
        budget=$(json_get $g-info.json $(echo $b | tr A-Z a-z))
        P=$g-$b.json S=$g-$b-summary.json X=$g-$b.svg H=${g}_$b.h
        expect_exit 0 cosma plan "$G" --elem-bytes 1 --budget $b -o $P --summary $S --svg $X --emit-c $H \
            --time-limit 20
        expect_stdout_contains "$g: "
        expect_stdout_contains "plan written to $P"
        expect_file "$g $b plan" $P
        expect_exit 0 cosma verify "$G" $P
        expect_stdout_contains "plan for '$g' is valid"
        expect_exit 0 cosma verify --json "$G" $P
        cp "$OUT" $g-$b-verify.json
        check_summary $S $P "$budget"
        # j: summary, k: plan, l: verify --json (recomputed from the plan),
        # m: info.  In activation-only mode the compulsory traffic is the
        # inputs in and the outputs out, whatever the budget.
        expect_json_all $S $P $g-$b-verify.json $g-info.json -- \
            'j["compulsory_bytes"] == m["input_bytes"] + m["output_bytes"]' \
            'j["compulsory_load_bytes"] == m["input_bytes"] and j["compulsory_store_bytes"] == m["output_bytes"]' \
            "len(k['schedule']) == len(set(k['schedule'])) == $n_ops" \
            'k["mode"] == {"params": False, "elem_bytes": 1}' \
            'all(l[key] == j[key] for key in ("spill_bytes", "retrieve_bytes", "non_compulsory_bytes", "compulsory_bytes", "peak_bytes", "lower_bound_bytes", "budget_bytes", "status", "method"))' \
            'l["valid"] is True and l["elem_bytes"] == 1 and l["with_params"] is False'

        expect_true "$H compiles with cc -std=c11 -Wall -Werror" compile_header "$TMP/$H" "$MACRO"
        expect_true "$X starts with <svg or <?xml" grep -qE '^(<svg|<\?xml)' <(head -c 64 $X)
        expect_true "$X is closed" grep -q '</svg>' $X

        # Same inputs, same bytes (the plan file holds no solve time).
        expect_exit 0 cosma plan "$G" --elem-bytes 1 --budget $b -o again-$P --svg again-$X --emit-c again-$H \
            --time-limit 20
        expect_same_file "$g $b: plan is deterministic" $P again-$P
        expect_same_file "$g $b: header is deterministic" $H again-$H
        expect_same_file "$g $b: SVG is deterministic" $X again-$X
    done
    # At M_P a spill-free plan exists and the planner finds it.
    expect_json_eq $g-M_P-summary.json non_compulsory_bytes 0

    # A header included twice hits its include guard.
    printf '#include "%s"\n#include "%s"\nint twice(void);\nint twice(void) { return (int)%s_N_STEPS; }\n' \
        ${g}_M_R.h ${g}_M_R.h "$MACRO" >twice.c
    expect_true "$g: header included twice compiles" cc -std=c11 -Wall -Wextra -Werror -pedantic -c twice.c -o twice.o

    # A budget one byte below M_R: no plan, exit 1, the operator named.
    rm -f $g-tight.json
    expect_exit 1 cosma plan "$G" --elem-bytes 1 --budget $((m_r - 1)) -o $g-tight.json
    expect_stdout_empty
    expect_stderr_matches "^cosma: error: operator '[^']+' \([A-Za-z]+\) needs $m_r bytes for its operands, more than the budget of $((m_r - 1))$"
    expect_no_file "$g: no plan below M_R" $g-tight.json

    # --schedule peak at M_P: the minimum-peak order, no spills.
    expect_exit 0 cosma plan "$G" --elem-bytes 1 --budget M_P --schedule peak -o $g-peak.json --summary $g-peak-s.json
    expect_json_eq $g-peak-s.json non_compulsory_bytes 0
    expect_json_eq $g-peak-s.json status optimal
    expect_exit 0 cosma verify "$G" $g-peak.json

    # --schedule fixed: the graph's own order.
    operator_names "$G" >$g-order.txt
    expect_eq "$g: operator names read from the YAML" "$(wc -l <$g-order.txt)" "$n_ops"
    expect_exit 0 cosma plan "$G" --elem-bytes 1 --budget M_H --schedule fixed -o $g-fixed.json \
        --summary $g-fixed-s.json --time-limit 20
    expect_json_eq $g-fixed-s.json method ilp-fixed
    check_summary $g-fixed-s.json $g-fixed.json "$(json_get $g-info.json m_h)"
    expect_exit 0 "$PYTHON" -c 'import json, sys; sys.exit(json.load(open(sys.argv[1]))["schedule"] != open(sys.argv[2]).read().split())' \
        $g-fixed.json $g-order.txt
    expect_exit 0 cosma verify "$G" $g-fixed.json

    # --order FILE with that same order gives the same plan as --schedule fixed.
    expect_exit 0 cosma plan "$G" --elem-bytes 1 --budget M_H --order $g-order.txt -o $g-order.json --time-limit 20
    expect_same_file "$g: --order with the default order equals --schedule fixed" $g-order.json $g-fixed.json
    # ... and with the joint plan's (different) order, that order is kept.
    json_get $g-M_R.json schedule | "$PYTHON" -c 'import json, sys; print("\n".join(json.load(sys.stdin)))' >$g-joint-order.txt
    expect_exit 0 cosma plan "$G" --elem-bytes 1 --budget M_H --order $g-joint-order.txt -o $g-order2.json --time-limit 20
    expect_exit 0 "$PYTHON" -c 'import json, sys; sys.exit(json.load(open(sys.argv[1]))["schedule"] != open(sys.argv[2]).read().split())' \
        $g-order2.json $g-joint-order.txt
    expect_exit 0 cosma verify "$G" $g-order2.json
done

# Headers of two graphs can be included together (the shared types are
# guarded), as docs/plan-format.md promises, with -Wextra -pedantic too.
printf '#include "example_M_R.h"\n#include "resnet50_M_R.h"\nint both(void);\nint both(void) { return (int)(COSMA_EXAMPLE_N_STEPS + COSMA_RESNET50_N_STEPS) + cosma_example_schedule[0] + cosma_resnet50_schedule[0]; }\n' >both.c
expect_true "two graphs' headers compile together" cc -std=c11 -Wall -Wextra -Werror -pedantic -c both.c -o both.o

# ---- order files that are wrong (example: 12 operators) ------------------------
G=$GRAPHS/example.yaml
{ echo "# comments and blank lines are skipped"; echo; echo "no_such_op"; cat example-order.txt; } >bad-order.txt
expect_exit 2 cosma plan "$G" --budget M_H -o bad.json --order bad-order.txt
expect_stdout_empty
expect_stderr_contains "cosma: error: bad-order.txt:3:1: unknown operator 'no_such_op'"
expect_no_file "no plan with a bad order" bad.json
{ cat example-order.txt; echo stem_conv; } >twice.txt
expect_exit 2 cosma plan "$G" --budget M_H -o bad.json --order twice.txt
expect_stderr_contains "twice.txt:13:1: operator 'stem_conv' appears twice"
head -n 11 example-order.txt >short.txt
expect_exit 2 cosma plan "$G" --budget M_H -o bad.json --order short.txt
expect_stderr_contains "short.txt: the order names 11 of the graph's 12 operators"
tac example-order.txt >reversed.txt
expect_exit 2 cosma plan "$G" --budget M_H -o bad.json --order reversed.txt
expect_stderr_contains "reversed.txt: the order is not topological"
expect_exit 2 cosma plan "$G" --budget M_H -o bad.json --order no-such-order.txt
expect_stderr_contains "no-such-order.txt"
expect_no_file "no plan with a bad order" bad.json

# ---- a budget where the model has variables: DenseNet-121 at M_R -------------
D=$GRAPHS/densenet121.yaml
expect_exit 0 cosma info --json --elem-bytes 1 "$D"
cp "$OUT" densenet121-info.json
expect_exit 0 cosma plan "$D" --elem-bytes 1 --budget M_R -o dn.json --summary dn-s.json --export-model dn.lp \
    --time-limit 20
expect_file "LP model" dn.lp
expect_true "dn.lp has an objective" grep -qiE '^ *minimize' dn.lp
expect_true "dn.lp has constraints" grep -qE '^Subject To' dn.lp
expect_true "dn.lp ends" grep -qE '^End' dn.lp
check_summary dn-s.json dn.json "$(json_get densenet121-info.json m_r)"
# below M_P something must move: traffic and its proven lower bound are positive
expect_json "densenet121 at M_R needs spills" dn-s.json 'j["non_compulsory_bytes"] > 0 and j["lower_bound_bytes"] > 0'
expect_exit 0 cosma verify "$D" dn.json
# (a short solve: only the model file matters here)
expect_exit 0 cosma plan "$D" --elem-bytes 1 --budget M_R -o dn2.json --export-model dn.mps --time-limit 30
expect_true "dn.mps is MPS" grep -qE '^ROWS' dn.mps
# --schedule peak below M_P: no spill-free plan exists.
expect_exit 1 cosma plan "$D" --elem-bytes 1 --budget M_R --schedule peak -o dn-peak.json
expect_stdout_empty
expect_stderr_contains "no zero-traffic plan within $(json_get densenet121-info.json m_r) bytes: the minimum-peak order needs $(json_get densenet121-info.json m_p) bytes"
expect_no_file "no spill-free plan" dn-peak.json

# ---- tampered plans --------------------------------------------------------
# The reader cross-checks the redundant parts of the file (steps, totals)
# and rejects an inconsistent file as bad input (exit 2); a consistent file
# that breaks a rule of the machine model is a rule violation (exit 1).
cat >tamper.py <<'EOF'
import json, sys
src, dst, how = sys.argv[1:4]
p = json.load(open(src))
if how == "totals":
    p["totals"]["retrieve_bytes"] += 1
elif how == "interval-only":
    p["intervals"][0]["offset"] += 64
elif how == "budget":
    p["budget_bytes"] = p["totals"]["peak_bytes"] - 1
elif how == "version":
    p["version"] = 2
elif how == "overlap":
    # move an interval onto the bytes of another one resident at the same
    # time, and every event and operand of that stay with it, so that the
    # file stays self-consistent
    iv = p["intervals"]
    a, b = next((a, b) for a in iv for b in iv
                if a is not b and a["offset"] != b["offset"]
                and a["first"] <= b["last"] and b["first"] <= a["last"])
    name, old, new = b["tensor"], b["offset"], a["offset"]
    b["offset"] = new
    for s in p["steps"]:
        if not b["first"] <= s["step"] <= b["last"] + 1:
            continue
        for e in s["events"]:
            for k in ("spill", "drop", "load", "store"):
                if e.get(k) == name and e["offset"] == old:
                    e["offset"] = new
            for o in e.get("inputs", []) + e.get("outputs", []):
                if o["tensor"] == name and o["offset"] == old:
                    o["offset"] = new
    print(name, a["tensor"])
json.dump(p, open(dst, "w"), indent=1)
EOF
G=$GRAPHS/example.yaml
expect_exit 0 cosma plan "$G" --budget M_R -o good.json
expect_exit 0 cosma verify "$G" good.json

"$PYTHON" tamper.py good.json bad-totals.json totals
expect_exit 2 cosma verify "$G" bad-totals.json
expect_stdout_empty
expect_stderr_contains "cosma: error: bad-totals.json: totals.retrieve_bytes: the file says 1, but the intervals give 0"

"$PYTHON" tamper.py good.json bad-steps.json interval-only
expect_exit 2 cosma verify "$G" bad-steps.json
expect_stdout_empty
expect_stderr_contains "bad-steps.json: steps[0].events[0]: this event does not match the schedule and intervals"

pair=$("$PYTHON" tamper.py good.json overlap.json overlap)
expect_exit 1 cosma verify "$G" overlap.json
expect_stdout_empty
expect_stderr_contains "rule space-overlap"
for t in $pair; do expect_stderr_contains "'$t'"; done

"$PYTHON" tamper.py good.json over-budget.json budget
expect_exit 1 cosma verify "$G" over-budget.json
expect_stdout_empty
expect_stderr_contains "rule interval-budget"
expect_stderr_contains "exceeds the budget of $(($(json_get good.json totals.peak_bytes) - 1)) bytes"

"$PYTHON" tamper.py good.json v2.json version
expect_exit 2 cosma verify "$G" v2.json
expect_stderr_contains "v2.json: version: plan format version 2 is not supported"

printf '{"format": "cosma-plan",\n  "version": 1,\n  oops\n' >syntax.json
expect_exit 2 cosma verify "$G" syntax.json
expect_stdout_empty
expect_stderr_matches "^cosma: error: syntax.json:3:[0-9]+: invalid JSON"

expect_exit 2 cosma verify "$GRAPHS/resnet50.yaml" good.json
expect_stdout_empty
expect_stderr_contains "plan was made for graph 'example'"

# the plan records its mode: verifying needs no flags, and a plan made with
# --elem-bytes 1 verifies against the plain graph
expect_exit 0 cosma verify --json "$G" example-M_R.json
expect_json "mode read from the plan" "$OUT" 'j["elem_bytes"] == 1 and j["with_params"] is False'

# --budget accepts units and the --budget=VALUE form
expect_exit 0 cosma plan "$G" --budget=192KiB -o kib.json --summary kib-s.json
expect_json_eq kib-s.json budget_bytes 196608
expect_exit 0 cosma plan "$G" --budget 0.196608MB -o mb.json --summary mb-s.json
expect_json_eq mb-s.json budget_bytes 196608
expect_same_file "192KiB and 0.196608MB are one budget" kib.json mb.json

# --params with a parameter budget
expect_exit 0 cosma info --json "$G"
cp "$OUT" example-native-info.json
expect_exit 0 cosma plan "$G" --params --budget M_Pp -o params.json --summary params-s.json
expect_json_eq params-s.json params true
expect_json_eq params-s.json budget_bytes "$(json_get example-native-info.json m_p_params)"
expect_exit 0 cosma verify "$G" params.json

# A plan's intervals may come in any order: the reader keeps the file's
# order (so the verifier's "interval #i" is the i-th in the file) and the
# plan still verifies.
T=$SRC/tests/data/tiny.yaml
expect_exit 0 cosma plan "$T" --budget M_R -o tiny.json --quiet
"$PYTHON" - tiny.json tiny-reversed.json <<'PY'
import json, sys
plan = json.load(open(sys.argv[1]))
plan["intervals"].reverse()
json.dump(plan, open(sys.argv[2], "w"), indent=2)
PY
expect_exit 0 cosma verify "$T" tiny-reversed.json

# Progress: nothing on stderr for a short run (not a terminal), and with
# --quiet; on a terminal one line per phase, rewritten in place and
# cleared before the result.
expect_exit 0 cosma plan "$G" --budget M_R -o progress.json
expect_stderr_empty
expect_exit 0 cosma plan "$G" --budget M_R -o quiet.json --quiet
expect_stderr_empty
if command -v script >/dev/null 2>&1; then
    run script -qec "$COSMA plan $G --budget M_R -o tty.json" /dev/null
    expect_eq "plan on a terminal" "$RC" 0
    expect_stdout_contains "[    0.0 s] 1/8 candidate orders: no plan yet"
    expect_stdout_contains "8/8 joint model: traffic"
    run script -qec "$COSMA plan $G --budget M_R -o tty-quiet.json -q" /dev/null
    expect_true "no progress with -q on a terminal" sh -c "! grep -q 'candidate orders' '$OUT'"
fi

finish
