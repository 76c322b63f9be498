# baselines.sh: the paper's baselines (`cosma plan --baseline NAME`) make
# plans that verify, and `cosma arena` reports arena sizes no smaller than
# the peak of live bytes it reports as their lower bound.
# Run as: bash baselines.sh PATH_TO_COSMA SOURCE_DIR
source "$(dirname "$0")/lib.bash" "$@"

BASELINES="default-belady default-greedy peak-belady peak-greedy"

for g in example resnet50; do
    G=$GRAPHS/$g.yaml
    expect_exit 0 cosma info --json --elem-bytes 1 "$G"
    cp "$OUT" $g-info.json
    m_h=$(json_get $g-info.json m_h)
    operator_names "$G" >$g-order.txt
    # the ILP plan at the same budget, for its proven lower bound
    expect_exit 0 cosma plan "$G" --elem-bytes 1 --budget M_H -o $g-ilp.json --summary $g-ilp-s.json --time-limit 20

    for name in $BASELINES; do
        P=$g-$name.json S=$g-$name-s.json
        rm -f $P $S
        run cosma plan "$G" --elem-bytes 1 --budget M_H --baseline $name -o $P --summary $S
        case $RC in
        0)
            pass
            expect_file "$g $name plan" $P
            expect_exit 0 cosma verify "$G" $P
            expect_stdout_contains "plan for '$g' is valid (baseline:$name"
            expect_exit 0 cosma verify --json "$G" $P
            cp "$OUT" $g-$name-verify.json
            # j: summary, k: plan, l: verify --json, m: the ILP plan's summary
            expect_json_all $S $P $g-$name-verify.json $g-ilp-s.json -- \
                "j['budget_bytes'] == $m_h" \
                "j['method'].startswith('baseline:$name')" \
                'j["status"] in ("feasible", "optimal")' \
                'j["non_compulsory_bytes"] == j["spill_bytes"] + j["retrieve_bytes"]' \
                'j["lower_bound_bytes"] <= j["non_compulsory_bytes"]' \
                'j["peak_bytes"] <= j["budget_bytes"]' \
                'all(l[key] == j[key] for key in ("spill_bytes", "retrieve_bytes", "non_compulsory_bytes", "compulsory_bytes", "peak_bytes"))' \
                'k["mode"] == {"params": False, "elem_bytes": 1}' \
                'm["lower_bound_bytes"] <= j["non_compulsory_bytes"]'
            # the default-order baselines keep the graph's own order
            case $name in
            default-*)
                expect_exit 0 "$PYTHON" -c 'import json, sys; sys.exit(json.load(open(sys.argv[1]))["schedule"] != open(sys.argv[2]).read().split())' \
                    $P $g-order.txt
                ;;
            esac
            ;;
        1)
            # infeasible is allowed, but only with a reason and no plan
            pass
            expect_true "$g $name: infeasible says why" test -s "$ERR"
            expect_no_file "$g $name: no plan when infeasible" $P
            ;;
        *)
            fail "$g $name: exit $RC, expected 0 or 1: $LAST_CMD"
            last_output
            ;;
        esac
    done
done

# --align sets the baselines' arena alignment; the plan still verifies.
expect_exit 0 cosma plan "$GRAPHS/example.yaml" --budget M_H --baseline peak-greedy --align 1 -o align1.json
expect_exit 0 cosma verify "$GRAPHS/example.yaml" align1.json

# ---- arena ---------------------------------------------------------------
ALGOS='["greedy-by-size", "first-fit", "hill-climb", "cosma"]'
expect_exit 0 cosma arena "$GRAPHS/resnet50.yaml" --elem-bytes 1 --algo all --json
expect_stderr_empty
expect_eq "arena --json prints one line" "$(wc -l <"$OUT")" 1
cp "$OUT" arena.json
# j: arena, k: info (the default order's peak is info's peak_default)
expect_json_all arena.json resnet50-info.json -- \
    'isinstance(j, dict)' \
    'j["graph"] == "resnet50" and j["order"] == "default" and j["elem_bytes"] == 1 and j["align"] == 64' \
    'j["with_params"] is False' \
    "[a['name'] for a in j['algos']] == $ALGOS" \
    'all(a["bytes"] >= j["peak_bytes"] for a in j["algos"])' \
    'all(abs(a["overhead"] - (a["bytes"] - j["peak_bytes"]) / j["peak_bytes"]) < 1e-6 for a in j["algos"])' \
    'j["peak_bytes"] == k["peak_default"]'

# --order peak: the minimum-peak order, whose peak is M_P.
expect_exit 0 cosma arena "$GRAPHS/densenet121.yaml" --elem-bytes 1 --order peak --json
cp "$OUT" arena-peak.json
expect_exit 0 cosma info --json --elem-bytes 1 "$GRAPHS/densenet121.yaml"
cp "$OUT" densenet121-info.json
expect_json_all arena-peak.json densenet121-info.json -- \
    'j["order"] == "peak" and j["order_peak_exact"] == k["m_p_exact"]' \
    'j["peak_bytes"] == k["m_p"]' \
    "[a['name'] for a in j['algos']] == $ALGOS" \
    'all(a["bytes"] >= j["peak_bytes"] for a in j["algos"])'
# the default order on DenseNet-121 peaks higher
expect_exit 0 cosma arena "$GRAPHS/densenet121.yaml" --elem-bytes 1 --json
cp "$OUT" arena-default.json
expect_json_all arena-default.json densenet121-info.json -- \
    'j["peak_bytes"] == k["peak_default"]' \
    'all(a["bytes"] >= j["peak_bytes"] for a in j["algos"])'

# one allocator, an order file, another alignment
expect_exit 0 "$PYTHON" -c 'import json, sys; print("\n".join(json.load(open(sys.argv[1]))["schedule"]))' example-ilp.json
cp "$OUT" example-ilp-order.txt
expect_exit 0 cosma arena "$GRAPHS/example.yaml" --algo first-fit --order example-ilp-order.txt --align 1 --json
cp "$OUT" arena-file.json
expect_json_all arena-file.json -- \
    'j["order"] == "file" and j["order_file"] == "example-ilp-order.txt" and j["align"] == 1' \
    '[a["name"] for a in j["algos"]] == ["first-fit"]' \
    'j["algos"][0]["bytes"] >= j["peak_bytes"] > 0'

# The text form lists every allocator.
expect_exit 0 cosma arena "$GRAPHS/resnet50.yaml" --elem-bytes 1
expect_stdout_matches '^peak +2408448 bytes live at once \(lower bound\)$'
for a in greedy-by-size first-fit hill-climb cosma; do expect_stdout_matches "^$a +[0-9]+ +[0-9.]+%$"; done

finish
