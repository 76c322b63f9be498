# anytime.sh: `cosma plan` keeps its time limit for the whole command and
# ends on SIGINT / SIGTERM with the best verified plan found so far (or
# nothing, never a partial file), with the documented exit codes; the
# summary says how the search ended.
source "$(dirname "$0")/lib.bash" "$@"

T=$GRAPHS/transformer.yaml   # slow: its solve uses the whole default limit

# A search that did all its fixed work says so.
expect_exit 0 cosma plan "$GRAPHS/example.yaml" --budget M_H -o e.json --summary e.sum
expect_eq "search of a small solve" "$(json_get e.sum search)" complete

# The time limit on a graph built to be slow: the command ends within the
# limit, with a verified plan whose summary says the clock ended the search.
expect_within 2 cosma plan "$T" --elem-bytes 1 --budget M_R -o t.json --summary t.sum --time-limit 2 -q
expect_eq "search under a binding time limit" "$(json_get t.sum search)" time-limit
expect_exit 0 cosma verify "$T" t.json

# A symbolic budget's bounds count against the same limit.
expect_within 1 cosma plan "$T" --elem-bytes 1 --budget M_H -o h.json --time-limit 1 -q

# Signals at different moments of the solve (the bounds, the first orders,
# the searches): exit 128 + signal; the plan is absent or complete and
# verified, marked interrupted; no temporary file is left.
for delay in 0.05 0.3 1 2.5; do
    for sig in INT TERM; do
        rm -f s.json s.sum
        rc=$(signal_after "$delay" $sig "$COSMA" plan "$T" --elem-bytes 1 --budget M_R -o s.json --summary s.sum \
            --time-limit 60 -q)
        want=130
        [ $sig = TERM ] && want=143
        expect_eq "exit status after SIG$sig at ${delay}s" "$rc" $want
        if [ -e s.json ]; then
            expect_exit 0 cosma verify "$T" s.json
            expect_eq "search after SIG$sig at ${delay}s" "$(json_get s.sum search)" interrupted
        else
            # Before the solve started (while loading) the signal's default
            # action ends the process: nothing written either.
            expect_no_file "no summary without a plan" s.sum
        fi
    done
done
leftovers=$(ls -A | grep -v -E '^(e|t|h|s)\.(json|sum)$|^\.last\.' || true)
expect_eq "files left besides the outputs" "$leftovers" ""

# An earlier output survives a signal that comes before any plan exists,
# else it is replaced by a complete plan.
echo old >keep.json
rc=$(signal_after 0.01 INT "$COSMA" plan "$T" --elem-bytes 1 --budget M_R -o keep.json --time-limit 60 -q)
expect_eq "exit status after an early SIGINT" "$rc" 130
if [ "$(cat keep.json)" != old ]; then
    expect_exit 0 cosma verify "$T" keep.json
fi
rm -f keep.json
finish
