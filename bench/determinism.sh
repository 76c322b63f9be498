#!/usr/bin/env bash
# determinism.sh: plans every bundled model at M_R, M_H and M_P, and with
# --params at M_Rp, M_Hp and M_Pp (8-bit, default options), and records a
# checksum of each plan with how its search ended (issue 11: the same plan
# on an idle and on a busy machine).
#
#   bash bench/determinism.sh [--cosma build/cosma] [--busy N] --out DIR
#   bash bench/determinism.sh --compare DIR_A DIR_B
#
# --busy N runs N CPU-bound loops beside the planner (N = the number of
# cores makes "both cores busy" on a 2-core machine).  DIR/plans.tsv gets
# one line per case: model, budget, sha256 of the plan file, the summary's
# "search", traffic, lower bound and seconds.
set -euo pipefail
cosma=build/cosma busy=0 out="" compare=()
while [ $# -gt 0 ]; do
    case $1 in
    --cosma) cosma=$2; shift 2 ;;
    --busy) busy=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --compare) compare=("$2" "$3"); shift 3 ;;
    *) echo "unknown argument '$1'" >&2; exit 2 ;;
    esac
done
if [ ${#compare[@]} -eq 2 ]; then
    a=${compare[0]}/plans.tsv b=${compare[1]}/plans.tsv
    join -t $'\t' <(awk -F'\t' '{print $1"@"$2"\t"$3}' "$a" | sort) \
                  <(awk -F'\t' '{print $1"@"$2"\t"$3}' "$b" | sort) |
        awk -F'\t' '{n++; if ($2 == $3) same++; else print "differs: " $1}
                    END {printf "%d of %d plans byte-identical\n", same, n; exit same != n}'
    exit
fi
[ -n "$out" ] || { echo "usage: bash bench/determinism.sh [--cosma BIN] [--busy N] --out DIR" >&2; exit 2; }
mkdir -p "$out/plans"
hogs=()
for _ in $(seq 1 "$busy"); do
    (while :; do :; done) &
    hogs+=($!)
done
trap '[ ${#hogs[@]} -eq 0 ] || kill "${hogs[@]}" 2>/dev/null' EXIT
: >"$out/plans.tsv"
for g in graphs/*.yaml; do
    model=$(basename "$g" .yaml)
    [ "$model" = example ] && continue
    for budget in M_R M_H M_P M_Rp M_Hp M_Pp; do
        plan=$out/plans/$model.$budget.json sum=$out/plans/$model.$budget.sum
        params=()
        case $budget in *p) params=(--params) ;; esac
        "$cosma" plan "$g" --elem-bytes 1 "${params[@]}" --budget $budget -o "$plan" --summary "$sum" -q >/dev/null
        python3 - "$model" "$budget" "$plan" "$sum" >>"$out/plans.tsv" <<'PY'
import hashlib, json, sys
model, budget, plan, summary = sys.argv[1:]
s = json.load(open(summary))
digest = hashlib.sha256(open(plan, 'rb').read()).hexdigest()[:16]
print("\t".join([model, budget, digest, s["search"], str(s["non_compulsory_bytes"]),
                 str(s["lower_bound_bytes"]), "%.2f" % s["solve_seconds"]]))
PY
        tail -1 "$out/plans.tsv"
    done
done
