# run.sh: `cosma run` and `cosma calibrate` end to end on the cpu backend:
# three bundled models planned at M_R (8-bit, two of them with spills) and
# one at M_Rp run with --poison and --check-all in every mode, outputs
# identical to the reference and bytes identical to the plan's totals; the
# report's three files; a plan with two live tensors on the same bytes
# refused at open; a skipped load caught; a list of modes; usage errors.
# Run as: bash run.sh PATH_TO_COSMA SOURCE_DIR
source "$(dirname "$0")/lib.bash" "$@"

# plan_case NAME GRAPH BUDGET [--params]: an 8-bit plan (the limit leaves room
# for a loaded machine: the whole command must find a plan within it).
plan_case()
{
    local name=$1 graph=$2 budget=$3
    shift 3
    expect_exit 0 cosma plan "$GRAPHS/$graph.yaml" --budget "$budget" --elem-bytes 1 --time-limit 10 "$@" -o "$name.json"
}

# run_case NAME GRAPH: every mode, checked; the summary agrees with the plan.
run_case()
{
    local name=$1 graph=$2 mode
    for mode in graph streams serial; do
        expect_exit 0 cosma run "$GRAPHS/$graph.yaml" "$name.json" --poison --check-all --mode "$mode" --json
        cp "$OUT" "$name.$mode.out.json"
        expect_json_all "$name.$mode.out.json" "$name.json" -- \
            'j["outputs_match"] and j["bytes_match"]' \
            'j["mode"] == "'"$mode"'" and j["backend"] == "cpu"' \
            'j["planned_h2d_bytes"] == k["totals"]["compulsory_load_bytes"] + k["totals"]["retrieve_bytes"]' \
            'j["planned_d2h_bytes"] == k["totals"]["compulsory_store_bytes"] + k["totals"]["spill_bytes"]' \
            'j["actual_h2d_bytes"] == j["planned_h2d_bytes"] and j["actual_d2h_bytes"] == j["planned_d2h_bytes"]' \
            'j["h2d_copies"] == sum(1 for s in k["steps"] for e in s["events"] if "load" in e)' \
            'j["predicted_seconds"] >= 0.999 * j["lower_bound_seconds"] > 0'
    done
}

plan_case r50 resnet50 M_R
plan_case tr transformer M_R
plan_case dn densenet121 M_R
plan_case lr lraspp_mobilenet_v3_large M_Rp --params
expect_json tr.json tr.json 'j["totals"]["spill_bytes"] > 0 and j["totals"]["retrieve_bytes"] > 0'
expect_json dn.json dn.json 'j["totals"]["spill_bytes"] > 0'
run_case r50 resnet50
run_case tr transformer
run_case dn densenet121
run_case lr lraspp_mobilenet_v3_large

# A list of modes: one summary per entry, in order, from one runtime.
expect_exit 0 cosma run "$GRAPHS/transformer.yaml" tr.json --mode graph,streams,serial,serial --repeat 2 --json
for k in 1 2 3 4; do sed -n "${k}p" "$OUT" > "list.$k.json"; done
expect_json_all list.1.json list.2.json list.3.json list.4.json -- \
    '[x["mode"] for x in (j, k, l, m)] == ["graph", "streams", "serial", "serial"]' \
    'all(x["outputs_match"] and x["bytes_match"] and x["runs"] == 2 for x in (j, k, l, m))' \
    'len(set(x["actual_h2d_bytes"] for x in (j, k, l, m))) == 1'

# Plain text, repeats, the report.
expect_exit 0 cosma run "$GRAPHS/transformer.yaml" tr.json --repeat 3 --report rep.json
expect_stdout_contains "outputs identical to the reference; bytes equal to the plan"
expect_stdout_contains "(median of 3)"
expect_file "report" rep.json
expect_file "report" rep.md
expect_file "report" rep.svg
expect_json_all rep.json tr.json -- \
    'j["format"] == "cosma-run-report" and j["bytes_match"] and not j["cupti"]' \
    'len(j["steps"]) == len(k["schedule"])' \
    'sum(s["actual_d2h_bytes"] for s in j["steps"]) == j["totals"]["actual_d2h_bytes"]' \
    'j["totals"]["planned_h2d_bytes"] == k["totals"]["compulsory_load_bytes"] + k["totals"]["retrieve_bytes"]'

# A test-only fault: the runtime skips its 3rd load.  The per-operand check
# names the tensor and the step; without it the outputs and bytes differ.
expect_exit 1 cosma run "$GRAPHS/transformer.yaml" tr.json --poison --check-all --skip-load 3
expect_stderr_matches "input '[^']+' differs from the reference at byte 0 of [0-9]+ \(step [0-9]+, operator"
expect_exit 1 cosma run "$GRAPHS/transformer.yaml" tr.json --poison --skip-load 3 --report skip.json
expect_stderr_contains "differs from the reference"
expect_stderr_contains "report: actual bytes"
expect_json skip.json skip.json 'not j["bytes_match"]'

# Two live tensors on the same bytes: the steps are rewritten to match, so
# the file reads, and the runtime's verifier refuses the plan at open.
"$PYTHON" - tr.json overlap.json <<'PY'
import json, sys
plan = json.load(open(sys.argv[1]))
ivs = plan["intervals"]
a, b = next((a, b) for a in ivs for b in ivs
            if a is not b and a["offset"] != b["offset"] and a["first"] <= b["last"] and b["first"] <= a["last"])
old, new, t = b["offset"], a["offset"], b["tensor"]
for step in plan["steps"]:
    s = step["step"]
    for e in step["events"]:
        if "run" in e:
            if b["first"] <= s <= b["last"]:
                for o in e["inputs"] + e["outputs"]:
                    if o["tensor"] == t and o["offset"] == old:
                        o["offset"] = new
        elif e.get("offset") == old and t in (e.get("load"), e.get("store"), e.get("spill"), e.get("drop")) and \
                s in (b["first"], b["last"] + 1):
            e["offset"] = new
b["offset"] = new
json.dump(plan, open(sys.argv[2], "w"), indent=1)
PY
expect_exit 2 cosma run "$GRAPHS/transformer.yaml" overlap.json
expect_stderr_contains "refused at open"

# Calibration of the cpu backend feeds the prediction.
expect_exit 0 cosma calibrate --backend cpu -o cost.json
expect_json cost.json cost.json 'j["format"] == "cosma-cost" and j["backend"] == "cpu" and j["h2d_bytes_per_second"] > 0'
expect_exit 0 cosma run "$GRAPHS/resnet50.yaml" r50.json --cost cost.json --json
expect_exit 2 cosma calibrate --backend cpu
expect_exit 2 cosma calibrate --backend tpu -o x.json

# Usage errors.
expect_exit 2 cosma run "$GRAPHS/resnet50.yaml"
expect_exit 2 cosma run "$GRAPHS/resnet50.yaml" r50.json --backend gpu
expect_exit 2 cosma run "$GRAPHS/resnet50.yaml" r50.json --mode fast
expect_exit 2 cosma run "$GRAPHS/resnet50.yaml" r50.json --mode graph,fast
expect_exit 2 cosma run "$GRAPHS/resnet50.yaml" r50.json --mode graph,
expect_exit 2 cosma run "$GRAPHS/resnet50.yaml" r50.json --repeat 0
expect_exit 2 cosma run "$GRAPHS/resnet50.yaml" r50.json --elem-bytes 1
expect_exit 2 cosma run "$GRAPHS/resnet50.yaml" missing.json
expect_exit 2 cosma run "$GRAPHS/resnet50.yaml" r50.json --cost missing.json
expect_exit 2 cosma run "$GRAPHS/transformer.yaml" r50.json
expect_exit 0 cosma run --help
expect_stdout_contains "--skip-load N"
# Without a GPU (CI), the cuda backend is refused cleanly.
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi >/dev/null 2>&1; then
    expect_exit 2 cosma run "$GRAPHS/resnet50.yaml" r50.json --backend cuda
    expect_stderr_matches "cuda"
fi

finish
