# anytime.sh: `cosma plan` keeps its time limit for the whole command and
# ends on SIGINT / SIGTERM with the best verified plan found so far (or
# nothing, never a partial file), with the documented exit codes; the
# summary says how the search ended.
source "$(dirname "$0")/lib.bash" "$@"

T=$GRAPHS/transformer.yaml   # slow: its solve uses the whole default limit
SCALE=${COSMA_TEST_TIME_SCALE:-1}

# expect_within LIMIT CMD...: CMD exits 0 within LIMIT seconds plus 10%
# (plus the process start, scaled under sanitizers).
expect_within()
{
    local limit=$1 start wall
    shift
    start=$(date +%s.%N)
    expect_exit 0 "$@"
    wall=$("$PYTHON" -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$start" "$(date +%s.%N)")
    expect_true "wall ${wall}s within ${limit}s + 10%" \
        "$PYTHON" -c "import sys; sys.exit(0 if float(sys.argv[1]) <= $limit * 1.1 + 0.3 * $SCALE else 1)" "$wall"
}

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

# signal_after DELAY SIG CMD...: runs CMD, sends it SIG after DELAY seconds,
# prints its exit status the shell's way (128 + N for signal N).  Python
# starts it with SIGINT at its default: a shell script's background jobs
# inherit it ignored (and cosma, like other tools, leaves it so).
signal_after()
{
    "$PYTHON" - "$@" <<'EOF'
import signal, subprocess, sys, time
delay, sig, cmd = float(sys.argv[1]), getattr(signal, "SIG" + sys.argv[2]), sys.argv[3:]
child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
time.sleep(delay)
child.send_signal(sig)
rc = child.wait()
print(128 - rc if rc < 0 else rc)
EOF
}

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
