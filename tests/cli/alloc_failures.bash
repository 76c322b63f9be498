# alloc_failures.bash: fails an allocation (tests/support/fail_alloc.c,
# preloaded) at every allocation site that import, info, plan (also of a
# baseline), verify, arena and run (cpu) reach on the small test graph,
# one run per site (the first call from each site); COSMA_ALLOC_WALK=every
# fails every single allocation instead, one run each (several times
# slower).  Each run must either succeed with
# exactly the output of a run without injection, or fail with exit 3 and a
# message ("out of memory"; exit 2 only where the message says so, e.g. a
# file that could not be opened for lack of memory), never crash, and leave
# the previous output files untouched and no temporary file behind.
# Registered by tests/CMakeLists.txt (not a *.sh: it needs a third argument).
# Run as: bash alloc_failures.bash PATH_TO_COSMA SOURCE_DIR LIBFAIL_ALLOC.so
source "$(dirname "$0")/lib.bash" "$@"
PRELOAD=${3:?usage: alloc_failures.bash COSMA SOURCE_DIR LIBFAIL_ALLOC.so}
FAIL_VAR=COSMA_FAIL_ALLOC_SITE
[ "${COSMA_ALLOC_WALK:-site}" = every ] && FAIL_VAR=COSMA_FAIL_ALLOC

cp "$SRC/tests/data/tiny.yaml" g.yaml
expect_exit 0 cosma plan g.yaml --budget M_R -o ref.json
cp ref.json v.json

# The plan's and the run's times are measurements: left out of the comparisons.
normalize() { sed -e 's/, [0-9.]* s$//' -e '/solve_seconds/d' -e '/^  wall time /d' "$1"; }

# walk NAME OUTPUTS -- ARGS...: OUTPUTS is a space-separated list of files
# the command writes (each must be complete or untouched).
walk()
{
    local name=$1 outputs=$2
    shift 3
    local f
    rm -f $outputs
    "$COSMA" "$@" >ref.out 2>ref.err
    local ref_rc=$?
    expect_eq "$name without injection" "$ref_rc" 0
    for f in $outputs; do cp "$f" "ref.$f"; done
    local n=1 crashes=0 silent=0 wrong=0 changed=0 bad_code=0 ok=0 failed=0
    while :; do
        for f in $outputs; do echo old >"$f"; done
        rm -f mark
        env "$FAIL_VAR=$n" COSMA_FAIL_ALLOC_MARK=mark LD_PRELOAD="$PRELOAD" "$COSMA" "$@" >run.out 2>run.err
        local rc=$?
        [ -e mark ] || break
        if [ "$rc" -ge 128 ]; then
            crashes=$((crashes + 1))
            [ $crashes -le 3 ] && echo "  $name: allocation $n: exit $rc (crash)" >&2
        elif [ "$rc" -eq 0 ]; then
            ok=$((ok + 1))
            local same=1
            cmp -s <(normalize run.out) <(normalize ref.out) || same=0
            for f in $outputs; do cmp -s <(normalize "$f") <(normalize "ref.$f") || same=0; done
            if [ $same -eq 0 ]; then
                wrong=$((wrong + 1))
                [ $wrong -le 3 ] && echo "  $name: allocation $n: exit 0 with other output" >&2
            fi
        else
            failed=$((failed + 1))
            if ! grep -q "error" run.err; then
                silent=$((silent + 1))
                [ $silent -le 3 ] && echo "  $name: allocation $n: exit $rc without a message" >&2
            elif [ "$rc" -ne 3 ] && ! grep -qi "memory" run.err; then
                bad_code=$((bad_code + 1))
                [ $bad_code -le 3 ] && echo "  $name: allocation $n: exit $rc: $(head -n 1 run.err)" >&2
            fi
            for f in $outputs; do
                if [ "$(cat "$f")" != old ]; then
                    changed=$((changed + 1))
                    [ $changed -le 3 ] && echo "  $name: allocation $n: failed run changed $f" >&2
                fi
            done
        fi
        n=$((n + 1))
    done
    echo "  $name: $((n - 1)) runs ($FAIL_VAR): $ok succeeded, $failed failed"
    expect_eq "$name: crashes" "$crashes" 0
    expect_eq "$name: failures without a message" "$silent" 0
    expect_eq "$name: out of memory reported as bad input" "$bad_code" 0
    expect_eq "$name: successes with another output" "$wrong" 0
    expect_eq "$name: failed runs that changed an output" "$changed" 0
    expect_true "$name: allocations reached" test "$n" -gt 10
    local left
    left=$(find . -name '.cosma-*' | head -n 3)
    expect_eq "$name: temporary files left" "$left" ""
}

walk import "i.yaml" -- import g.yaml -o i.yaml
walk info "" -- info g.yaml
walk info-json "" -- info g.yaml --json
walk plan "p.json s.json p.svg p.h" -- plan g.yaml --budget M_R -o p.json --summary s.json --svg p.svg --emit-c p.h
walk plan-baseline "b.json" -- plan g.yaml --budget M_R --baseline default-belady -o b.json
walk verify "" -- verify g.yaml v.json
walk arena "" -- arena g.yaml
walk arena-order "" -- arena g.yaml --order peak --algo cosma
walk run "" -- run g.yaml ref.json --check-all
finish
