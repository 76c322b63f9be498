# outputs.sh: safe outputs.  Only regular files or new names are written;
# an output equal to an input or to another output is refused; a failed
# run leaves the previous files as they were; the outputs of one command
# appear together or not at all, also when SIGINT or SIGTERM arrives while
# they are written; no temporary file is left; a 255-character name works;
# write errors on standard output are errors.
# Run as: bash outputs.sh PATH_TO_COSMA SOURCE_DIR
source "$(dirname "$0")/lib.bash" "$@"

cp "$SRC/tests/data/tiny.yaml" g.yaml
cp g.yaml g.orig

no_temporaries()
{
    local left
    left=$(find . -name '.cosma-*' | head -n 3)
    expect_eq "no temporary files left ($1)" "$left" ""
}

# Outputs that are inputs, or each other.
expect_exit 2 cosma import g.yaml -o g.yaml
expect_stderr_contains "refusing to write 'g.yaml': it is the input 'g.yaml' of this command"
expect_same_file "the input survives import -o INPUT" g.yaml g.orig
expect_exit 2 cosma plan g.yaml --budget 1MiB -o ./g.yaml
expect_stderr_contains "it is the input 'g.yaml'"
expect_same_file "the input survives plan -o INPUT" g.yaml g.orig
ln g.yaml hard.yaml
expect_exit 2 cosma plan g.yaml --budget 1MiB -o hard.yaml
expect_stderr_contains "refusing to write 'hard.yaml': it is the input"
expect_exit 2 cosma plan g.yaml --budget 1MiB -o p.json --summary p.json
expect_stderr_contains "refusing to write 'p.json' twice: it is also the output 'p.json'"
expect_no_file "nothing written when outputs collide" p.json
mkdir sub
expect_exit 2 cosma plan g.yaml --budget 1MiB -o sub/p.json --svg sub/../sub/p.json
expect_stderr_contains "refusing to write 'sub/../sub/p.json' twice"
expect_exit 2 cosma plan g.yaml --budget 1MiB -o - --summary -
expect_stderr_contains "only one may go to standard output"
echo 'conv1
pack
head' >order.txt
expect_exit 2 cosma plan g.yaml --budget 1MiB --order order.txt -o order.txt
expect_stderr_contains "it is the input 'order.txt'"

# Only regular files are replaced.
mkfifo fifo
expect_exit 2 cosma plan g.yaml --budget 1MiB -o fifo
expect_stderr_contains "refusing to write 'fifo': it is a FIFO"
echo precious >target
ln -s target link
expect_exit 2 cosma plan g.yaml --budget 1MiB -o p.json --summary link
expect_stderr_contains "refusing to write 'link': it is a symbolic link"
expect_eq "a symbolic link's target is untouched" "$(cat target)" precious
expect_true "the link is still a link" test -L link
expect_exit 2 cosma plan g.yaml --budget 1MiB -o p.json --summary /dev/full
expect_stderr_contains "refusing to write '/dev/full': it is a device"
expect_exit 2 cosma import g.yaml -o sub
expect_stderr_contains "refusing to write 'sub': it is a directory"
expect_exit 2 cosma import g.yaml -o no-such-dir/x.yaml
expect_stderr_contains "cannot create 'no-such-dir/x.yaml'"
expect_no_file "nothing written for refused outputs" p.json
no_temporaries "refused outputs"

# A failed run keeps the previous outputs.
expect_exit 0 cosma plan g.yaml --budget 1MiB -o p.json --summary s.json --svg p.svg --emit-c p.h
cp p.json p.before
cp s.json s.before
expect_exit 1 cosma plan g.yaml --budget 100 -o p.json --summary s.json
expect_same_file "an infeasible run keeps the plan" p.json p.before
expect_same_file "an infeasible run keeps the summary" s.json s.before
expect_exit 2 cosma plan g.yaml --budget 1MiB -o p.json --summary s.json --svg fifo
expect_same_file "a refused SVG keeps the plan" p.json p.before
no_temporaries "failed runs"

# A 255-character name (the longest a file name may be) is written.
long=$(printf 'x%.0s' $(seq 250)).json
expect_exit 0 cosma plan g.yaml --budget 1MiB -o "$long"
expect_file "255-character output name" "$long"
# --export-model uses a temporary with the model's extension.
expect_exit 0 cosma plan "$GRAPHS/example.yaml" --budget M_R -o e.json --export-model e.lp
expect_file "exported model" e.lp
expect_true "the model is an LP file" grep -q "Minimize\|minimize" e.lp
no_temporaries "successful runs"

# Write errors on standard output are errors, not a silent exit 0.
for command in "info g.yaml" "info g.yaml --json" "arena g.yaml" "verify g.yaml p.json" "import g.yaml -o -" \
    "plan g.yaml --budget 1MiB -o q.json" "plan g.yaml --budget 1MiB -o q.json --summary -" \
    "sweep g.yaml --budgets 1MiB" "run g.yaml p.json" "--help"; do
    run sh -c "\"\$0\" $command >/dev/full" "$COSMA"
    expect_eq "exit status of '$command >/dev/full'" "$RC" 2
    expect_stderr_contains "cannot write to standard output"
done

# Signals while outputs are written: the set of outputs is the old one or
# a new one, complete and consistent (a signal during the solve writes the
# best plan found so far, which need not be the final one), and no
# temporary file is left.  The outputs of a run at another budget differ
# from the old ones in every file.
expect_exit 0 cosma plan "$GRAPHS/example.yaml" --budget 1MiB -o old.json --summary old.sum --svg old.svg --emit-c old.h
# solve_seconds in the summary is a measurement: compared without it.
same_output() { cmp -s <(grep -v solve_seconds "$1") <(grep -v solve_seconds "$2"); }
# complete_set: every file whole, the plan valid, the summary its own.
complete_set()
{
    "$COSMA" verify "$GRAPHS/example.yaml" out.json >/dev/null 2>&1 &&
        [ "$(tail -n 1 out.svg)" = "</svg>" ] && grep -q '^#endif' out.h &&
        "$PYTHON" - <<'EOF'
import json, sys
plan, summary = json.load(open("out.json")), json.load(open("out.sum"))
t = plan["totals"]
sys.exit(0 if summary["non_compulsory_bytes"] == t["spill_bytes"] + t["retrieve_bytes"] else 1)
EOF
}
mixed=0 partial=0
for k in $(seq 1 24); do
    for ext in json sum svg h; do cp old.$ext out.$ext; done
    sig=TERM
    [ $((k % 2)) -eq 0 ] && sig=INT
    "$COSMA" plan "$GRAPHS/example.yaml" --budget M_P -o out.json --summary out.sum --svg out.svg --emit-c out.h \
        >/dev/null 2>&1 &
    pid=$!
    # Spread the signal over the run (a few milliseconds to tens of them).
    sleep "0.00$((k % 10))$((k * 7 % 10))"
    kill -s $sig $pid 2>/dev/null
    wait $pid 2>/dev/null
    olds=0
    for ext in json sum svg h; do
        same_output out.$ext old.$ext && olds=$((olds + 1))
    done
    if [ $olds -ne 0 ] && [ $olds -ne 4 ]; then mixed=$((mixed + 1))
    elif [ $olds -eq 0 ] && ! complete_set; then partial=$((partial + 1)); fi
done
expect_eq "runs with a partial or inconsistent set of outputs" "$partial" 0
expect_eq "runs with a mix of old and new outputs" "$mixed" 0
no_temporaries "signals"
finish
