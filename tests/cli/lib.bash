# lib.bash: helpers shared by the end-to-end tests of the `cosma` command
# (tests/cli/*.sh).  Named .bash so that the CMake glob (*.sh) does not
# register it as a test; every script sources it first:
#
#   source "$(dirname "$0")/lib.bash" "$@"     # $1 = cosma binary, $2 = source dir
#
# It sets COSMA, SRC, GRAPHS and TMP (a fresh directory, removed on exit, and
# the working directory of the script), and counts checks: `finish` prints
# "N passed, M failed" and exits 1 when anything failed.  The scripts keep
# going after a failed check so that one run reports every failure.

set -u

if [ $# -lt 2 ]; then
    echo "usage: bash SCRIPT PATH_TO_COSMA SOURCE_DIR" >&2
    exit 2
fi
COSMA=$1
SRC=$2
case $COSMA in /*) ;; *) COSMA=$PWD/$COSMA ;; esac
case $SRC in /*) ;; *) SRC=$PWD/$SRC ;; esac
GRAPHS=$SRC/graphs
if [ ! -x "$COSMA" ]; then
    echo "not an executable: $COSMA" >&2
    exit 2
fi
if ! command -v python3 >/dev/null 2>&1; then
    echo "these tests need python3 (JSON parsing)" >&2
    exit 2
fi
# The interpreter itself: a version-manager shim in front of it (pyenv)
# costs a quarter of a second per call, and the scripts make hundreds.
PYTHON=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
[ -n "$PYTHON" ] && [ -x "$PYTHON" ] || PYTHON=python3

TMP=$(mktemp -d "${TMPDIR:-/tmp}/cosma-cli.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 2

PASSED=0
FAILED=0
# What the last `run` saw: exit status and the files holding its output.
RC=0
OUT=$TMP/.last.stdout
ERR=$TMP/.last.stderr

# The command under test, so that scripts read `expect_exit 0 cosma info ...`.
cosma() { "$COSMA" "$@"; }

pass() { PASSED=$((PASSED + 1)); }

# fail DESCRIPTION [DETAIL...]: records a failure and says why.
fail()
{
    FAILED=$((FAILED + 1))
    echo "FAIL: $1" >&2
    shift
    local line
    for line in "$@"; do
        echo "      $line" >&2
    done
}

# Shows the last command's output on a failure (trimmed).
last_output()
{
    echo "      --- stdout (first lines):" >&2
    head -n 8 "$OUT" | sed 's/^/      | /' >&2
    echo "      --- stderr (first lines):" >&2
    head -n 8 "$ERR" | sed 's/^/      | /' >&2
}

# run CMD...: runs a command, keeping stdout in $OUT, stderr in $ERR and the
# exit status in $RC.
run()
{
    LAST_CMD="$*"
    "$@" >"$OUT" 2>"$ERR"
    RC=$?
}

# expect_exit CODE CMD...: runs CMD and checks its exit status.
expect_exit()
{
    local want=$1
    shift
    run "$@"
    if [ "$RC" -eq "$want" ]; then
        pass
    else
        fail "exit $RC, expected $want: $LAST_CMD"
        last_output
    fi
}

# expect_stdout_contains TEXT / expect_stderr_contains TEXT: fixed-string
# search in the last command's output.
expect_stdout_contains()
{
    if grep -qF -- "$1" "$OUT"; then pass; else
        fail "stdout of '$LAST_CMD' lacks: $1"
        last_output
    fi
}
expect_stderr_contains()
{
    if grep -qF -- "$1" "$ERR"; then pass; else
        fail "stderr of '$LAST_CMD' lacks: $1"
        last_output
    fi
}

# expect_stdout_matches / expect_stderr_matches ERE: extended regex search.
expect_stdout_matches()
{
    if grep -qE -- "$1" "$OUT"; then pass; else
        fail "stdout of '$LAST_CMD' does not match: $1"
        last_output
    fi
}
expect_stderr_matches()
{
    if grep -qE -- "$1" "$ERR"; then pass; else
        fail "stderr of '$LAST_CMD' does not match: $1"
        last_output
    fi
}

expect_stdout_empty()
{
    if [ ! -s "$OUT" ]; then pass; else
        fail "stdout of '$LAST_CMD' should be empty"
        last_output
    fi
}
expect_stderr_empty()
{
    if [ ! -s "$ERR" ]; then pass; else
        fail "stderr of '$LAST_CMD' should be empty"
        last_output
    fi
}

# expect_eq DESCRIPTION ACTUAL EXPECTED
expect_eq()
{
    if [ "$2" = "$3" ]; then pass; else
        fail "$1: got '$2', expected '$3'"
    fi
}

# expect_true DESCRIPTION CMD...: the check passes when CMD exits 0.
expect_true()
{
    local what=$1
    shift
    if "$@"; then pass; else
        fail "$what"
    fi
}

# expect_file DESCRIPTION PATH / expect_no_file DESCRIPTION PATH
expect_file()
{
    if [ -s "$2" ]; then pass; else fail "$1: '$2' missing or empty"; fi
}
expect_no_file()
{
    if [ ! -e "$2" ]; then pass; else fail "$1: '$2' should not exist"; fi
}

# expect_same_file DESCRIPTION A B: byte-identical files.
expect_same_file()
{
    if cmp -s "$2" "$3"; then pass; else
        fail "$1: '$2' and '$3' differ" "$(cmp "$2" "$3" 2>&1 | head -n 1)"
    fi
}

# json_get FILE KEY: prints one value of a JSON file.  KEY is a path of
# object keys and list indices separated by dots ("totals.spill_bytes",
# "schedule.0").  Strings print bare; everything else as JSON (true, null,
# 12).  Exits non-zero (printing nothing) on bad JSON or a missing key.
json_get()
{
    "$PYTHON" - "$1" "$2" <<'EOF'
import json, sys
try:
    with open(sys.argv[1]) as f:
        value = json.load(f)
    for part in sys.argv[2].split('.'):
        value = value[int(part)] if isinstance(value, list) else value[part]
except (OSError, ValueError, KeyError, IndexError, TypeError) as e:
    print("json_get %s %s: %s" % (sys.argv[1], sys.argv[2], e), file=sys.stderr)
    sys.exit(1)
print(value if isinstance(value, str) else json.dumps(value))
EOF
}

# json_check FILE PYTHON-EXPRESSION: true when the expression holds, with
# the parsed JSON bound to `j` (e.g. 'j["m_p"] >= j["m_r"]').
json_check()
{
    "$PYTHON" - "$1" "$2" <<'EOF'
import json, sys
try:
    with open(sys.argv[1]) as f:
        j = json.load(f)
    ok = eval(sys.argv[2], {"j": j})
except Exception as e:
    print("json_check %s: %r: %s" % (sys.argv[1], sys.argv[2], e), file=sys.stderr)
    sys.exit(2)
sys.exit(0 if ok else 1)
EOF
}

# expect_json DESCRIPTION FILE PYTHON-EXPRESSION: a counted json_check.
expect_json()
{
    if json_check "$2" "$3"; then pass; else
        fail "$1: '$3' does not hold for $2"
    fi
}

# expect_json_all FILE... -- EXPR...: many checks in one python run (an
# interpreter start per check would dominate the run time).  The files are
# bound to j, k, l, m in order; every expression counts as one check and is
# named by its own text on a failure.
expect_json_all()
{
    local files=() result line
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
        files+=("$1")
        shift
    done
    [ $# -gt 0 ] && shift
    result=$("$PYTHON" - "${#files[@]}" "${files[@]}" "$@" <<'PY'
import json, sys
n = int(sys.argv[1])
names = sys.argv[2:2 + n]
exprs = sys.argv[2 + n:]
env = {}
try:
    for var, name in zip("jklm", names):
        with open(name) as f:
            env[var] = json.load(f)
except (OSError, ValueError) as e:
    print("FAIL cannot read %s: %s" % (" ".join(names), e))
    print(0, max(len(exprs), 1))
    sys.exit(0)
passed = failed = 0
for expr in exprs:
    try:
        ok, why = eval(expr, dict(env)), "does not hold"
    except Exception as e:
        ok, why = False, "raised %r" % e
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL %s: %s %s" % (" ".join(names), expr, why))
print(passed, failed)
PY
)
    if [ -z "$result" ]; then
        fail "python could not check ${files[*]}"
        return
    fi
    while IFS= read -r line; do
        case $line in
        "FAIL "*) echo "FAIL: ${line#FAIL }" >&2 ;;
        *) PASSED=$((PASSED + ${line% *})) FAILED=$((FAILED + ${line#* })) ;;
        esac
    done <<<"$result"
}

# expect_json_eq FILE KEY VALUE: one JSON value, compared as text.
expect_json_eq()
{
    local got
    got=$(json_get "$1" "$2")
    expect_eq "$(basename "$1"): $2" "$got" "$3"
}

# operator_names GRAPH.yaml: the operators in file order, one per line, read
# from the YAML text itself (not through cosma).  It understands the flow
# style that graphs/*.yaml use: "  - {name: NAME, type: ...", NAME optionally
# in double quotes.
operator_names()
{
    "$PYTHON" - "$1" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
ops = text[text.index("\noperators:\n"):]
for m in re.finditer(r'^  - \{name: (?:"([^"\\]*)"|([^",{}]+)), type:', ops, re.M):
    print(m.group(1) or m.group(2))
EOF
}

# Sanitizer builds run several times slower: CTest sets the factor of the
# time bounds.
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

# signal_on_stderr REGEX SIG CMD...: runs CMD, sends it SIG as soon as a
# line of its stderr matches REGEX (a point in its work, not in time, so a
# loaded machine does not move it), prints its exit status as
# signal_after does (its own status when it ended before the match).
signal_on_stderr()
{
    "$PYTHON" - "$@" <<'EOF'
import re, signal, subprocess, sys
pattern, sig, cmd = re.compile(sys.argv[1]), getattr(signal, "SIG" + sys.argv[2]), sys.argv[3:]
child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
sent = False
for line in child.stderr:  # read to the end: a closed pipe would stop it by SIGPIPE
    if not sent and pattern.search(line):
        child.send_signal(sig)
        sent = True
rc = child.wait()
print(128 - rc if rc < 0 else rc)
EOF
}

# finish: the summary line and the exit status of the script.
finish()
{
    echo "$PASSED passed, $FAILED failed"
    if [ "$FAILED" -ne 0 ]; then
        exit 1
    fi
    exit 0
}
