# load.sh: the same inputs give the same plan on a busy machine (issue 11
# item 4).  Each case's search is ended by its fixed work, never by the
# clock, so planning it again beside CPU-bound loops on every core must
# give a byte-identical plan and summary and still say "complete".  The
# cases do searches that a clock would cut on a slower machine: the order
# local search (ViT-B/16 with parameters), the residency's alternative
# placements (DenseNet-121).  bench/determinism.sh does the same for all
# the bundled models.
# Run as: bash load.sh PATH_TO_COSMA SOURCE_DIR
source "$(dirname "$0")/lib.bash" "$@"

CASES="vit_b_16:M_Rp:--params densenet121:M_R:"

plan_all()
{
    local tag=$1 model budget params
    for c in $CASES; do
        IFS=: read -r model budget params <<<"$c"
        expect_exit 0 cosma plan "$GRAPHS/$model.yaml" --elem-bytes 1 --budget "$budget" $params -q \
            -o "$tag-$model.json" --summary "$tag-$model.sum"
        expect_eq "$tag $model: search" "$(json_get "$tag-$model.sum" search)" complete
    done
}

plan_all idle

# One CPU-bound loop per core (and one more), stopped when the script ends.
hogs=()
for _ in $(seq 0 "$(nproc)"); do
    "$PYTHON" -c 'while True: pass' &
    hogs+=($!)
done
trap 'kill "${hogs[@]}" 2>/dev/null' EXIT
plan_all busy
kill "${hogs[@]}" 2>/dev/null

for c in $CASES; do
    model=${c%%:*}
    expect_same_file "$model: the plan beside the loops" "idle-$model.json" "busy-$model.json"
    expect_true "$model: the summary beside the loops (solve time aside)" cmp -s \
        <(grep -v solve_seconds "idle-$model.sum") <(grep -v solve_seconds "busy-$model.sum")
done

finish
