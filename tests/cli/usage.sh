# usage.sh: the command line of `cosma`: help, version, exit codes of bad
# usage and bad input, and the split between results (stdout) and
# diagnostics (stderr).
# Run as: bash usage.sh PATH_TO_COSMA SOURCE_DIR
source "$(dirname "$0")/lib.bash" "$@"

EXAMPLE=$GRAPHS/example.yaml
COMMANDS="info import plan verify arena"

# ---- top level -----------------------------------------------------------
for flag in --help -h help; do
    expect_exit 0 cosma $flag
    expect_stdout_contains "usage: cosma COMMAND [ARGS]"
    for c in $COMMANDS; do expect_stdout_matches "^  $c "; done
    expect_stdout_contains "2 bad usage or bad input"
    expect_stderr_empty
done

expect_exit 0 cosma --version
expect_stdout_matches '^cosma [0-9]+\.[0-9]+\.[0-9]+$'
expect_eq "--version prints one line" "$(wc -l <"$OUT")" 1
expect_stderr_empty

# No command: the help goes to stderr, since nothing was asked for.
expect_exit 2 cosma
expect_stdout_empty
expect_stderr_contains "usage: cosma COMMAND [ARGS]"

expect_exit 2 cosma frobnicate "$EXAMPLE"
expect_stdout_empty
expect_stderr_contains "cosma: unknown command 'frobnicate'"
expect_stderr_contains "Try 'cosma --help'."

# ---- per-command help, missing arguments, unknown options -------------------
for c in $COMMANDS; do
    for flag in --help -h; do
        expect_exit 0 cosma $c $flag
        expect_stdout_contains "usage: cosma $c "
        expect_stderr_empty
    done
    # --help wins wherever it stands
    expect_exit 0 cosma $c "$EXAMPLE" --help
    expect_stdout_contains "usage: cosma $c "

    expect_exit 2 cosma $c
    expect_stdout_empty
    expect_stderr_contains "Try 'cosma $c --help'."

    expect_exit 2 cosma $c "$EXAMPLE" --no-such-option
    expect_stdout_empty
    expect_stderr_contains "cosma $c: unknown option '--no-such-option'"
    expect_stderr_contains "Try 'cosma $c --help'."
done

expect_exit 2 cosma info
expect_stderr_contains "cosma info: missing the graph file"
expect_exit 2 cosma arena
expect_stderr_contains "cosma arena: missing the graph file"
expect_exit 2 cosma plan
expect_stderr_contains "cosma plan: missing the graph file"
expect_exit 2 cosma plan "$EXAMPLE" -o plan.json
expect_stderr_contains "cosma plan: missing --budget"
expect_exit 2 cosma plan "$EXAMPLE" --budget M_R
expect_stderr_contains "cosma plan: missing -o PLAN"
expect_exit 2 cosma plan "$EXAMPLE" --budget
expect_stderr_contains "cosma plan: --budget needs a value"
expect_exit 2 cosma import
expect_stderr_contains "cosma import: missing the model file"
expect_exit 2 cosma import "$EXAMPLE"
expect_stderr_contains "cosma import: missing -o OUTPUT"
expect_exit 2 cosma import "$EXAMPLE" -o
expect_stderr_contains "cosma import: -o needs a file name"
expect_exit 2 cosma verify
expect_stderr_contains "cosma verify: missing the graph file"
expect_exit 2 cosma verify "$EXAMPLE"
expect_stderr_contains "cosma verify: missing the plan file"

# one positional argument too many
expect_exit 2 cosma info "$EXAMPLE" "$EXAMPLE"
expect_stdout_empty
expect_stderr_contains "cosma info: unexpected argument '$EXAMPLE'"
expect_exit 2 cosma verify "$EXAMPLE" a.json b.json
expect_stderr_contains "cosma verify: unexpected argument 'b.json'"

# options that do not apply to a command
expect_exit 2 cosma import "$EXAMPLE" --params -o out.yaml
expect_stderr_contains "--params does not apply to import"
expect_no_file "import --params" out.yaml
expect_exit 2 cosma verify "$EXAMPLE" plan.json --elem-bytes 1
expect_stderr_contains "do not apply to verify"

# ---- bad option values --------------------------------------------------------
for bad in 0 65 abc -1 4x 1.5 ""; do
    for c in info arena; do
        expect_exit 2 cosma $c "$EXAMPLE" --elem-bytes "$bad"
        expect_stdout_empty
        expect_stderr_contains "cosma: error: --elem-bytes needs a whole number from 1 to 64, got '$bad'"
    done
    expect_exit 2 cosma plan "$EXAMPLE" --budget M_R -o plan.json --elem-bytes "$bad"
    expect_stderr_contains "--elem-bytes needs a whole number from 1 to 64, got '$bad'"
    expect_exit 2 cosma import "$EXAMPLE" -o out.yaml --elem-bytes "$bad"
    expect_stderr_contains "--elem-bytes needs a whole number from 1 to 64, got '$bad'"
done
expect_exit 2 cosma info "$EXAMPLE" --elem-bytes=0
expect_stderr_contains "got '0'"
expect_exit 2 cosma info "$EXAMPLE" --elem-bytes
expect_stderr_contains "--elem-bytes needs a value"
expect_exit 0 cosma info "$EXAMPLE" --elem-bytes=64 --json
expect_json "--elem-bytes=64 is accepted" "$OUT" 'j["elem_bytes"] == 64'

for bad in lots 0 -5 12XB 1.5 0.0001KB M_X M_ "2 MiB" 1e6 99999999999999999999999 20000000000GB; do
    expect_exit 2 cosma plan "$EXAMPLE" --budget "$bad" -o plan.json
    expect_stdout_empty
    expect_stderr_contains "cosma plan: --budget needs bytes (e.g. 802816, 2MiB, 1.5MB) or M_R, M_H, M_P; got '$bad'"
done
# a parameter budget without --params
expect_exit 2 cosma plan "$EXAMPLE" --budget M_Rp -o plan.json
expect_stdout_empty
expect_stderr_contains "budget M_Rp needs --params"
expect_no_file "plan with a bad budget" plan.json

for bad in best JOINT ""; do
    expect_exit 2 cosma plan "$EXAMPLE" --budget M_R -o plan.json --schedule "$bad"
    expect_stdout_empty
    expect_stderr_contains "cosma plan: --schedule must be joint, fixed or peak, not '$bad'"
done
expect_exit 2 cosma plan "$EXAMPLE" --budget M_R -o plan.json --schedule peak --order order.txt
expect_stderr_contains "--order needs --schedule fixed"
expect_exit 2 cosma plan "$EXAMPLE" --budget M_R -o plan.json --baseline lru
expect_stderr_contains "cosma plan: unknown baseline 'lru'"
expect_exit 2 cosma plan "$EXAMPLE" --budget M_R -o plan.json --baseline peak-belady --schedule joint
expect_stderr_contains "--baseline fixes its own schedule"
for bad in 0 -1 abc; do
    expect_exit 2 cosma plan "$EXAMPLE" --budget M_R -o plan.json --time-limit "$bad"
    expect_stderr_contains "--time-limit needs a positive number of seconds"
    expect_exit 2 cosma info "$EXAMPLE" --time-limit "$bad"
    expect_stderr_contains "--time-limit needs a positive number of seconds"
done
expect_exit 2 cosma plan "$EXAMPLE" --budget M_R -o plan.json --threads 0
expect_stderr_contains "--threads needs a positive whole number"
for bad in 0 3 48 x; do
    expect_exit 2 cosma plan "$EXAMPLE" --budget M_R -o plan.json --align "$bad"
    expect_stderr_contains "--align needs a power of two"
    expect_exit 2 cosma arena "$EXAMPLE" --align "$bad"
    expect_stderr_contains "--align needs a power of two"
done
expect_exit 2 cosma arena "$EXAMPLE" --algo best-fit
expect_stderr_contains "unknown allocator 'best-fit'"
for bad in "x" "=5" "n=0" "n=-2" "n"; do
    expect_exit 2 cosma info "$EXAMPLE" --dim "$bad"
    expect_stderr_contains "--dim needs NAME=VALUE with a positive VALUE, got '$bad'"
done
expect_no_file "no plan after usage errors" plan.json

# ---- missing and malformed input files ---------------------------------------
missing=$TMP/no-such-graph.yaml
expect_exit 2 cosma info "$missing"
expect_stdout_empty
expect_stderr_contains "cannot open '$missing'"
expect_exit 2 cosma info "$TMP/no-such-model.onnx"
expect_stderr_contains "cannot open '$TMP/no-such-model.onnx'"
expect_exit 2 cosma plan "$missing" --budget 1MiB -o plan.json
expect_stdout_empty
expect_stderr_contains "cannot open '$missing'"
expect_exit 2 cosma arena "$missing"
expect_stderr_contains "cannot open '$missing'"
expect_exit 2 cosma import "$missing" -o out.yaml
expect_stderr_contains "cannot open '$missing'"
expect_no_file "import of a missing file" out.yaml
expect_exit 2 cosma verify "$missing" plan.json
expect_stderr_contains "cannot open '$missing'"
expect_exit 2 cosma verify "$EXAMPLE" "$TMP/no-such-plan.json"
expect_stdout_empty
expect_stderr_contains "no-such-plan.json"
# a directory is not a file
expect_exit 2 cosma info "$TMP"
expect_stdout_empty
expect_stderr_contains "cannot read '$TMP'"
# empty files: located messages
: >empty.yaml
: >empty.json
expect_exit 2 cosma info empty.yaml
expect_stderr_contains "cosma: error: empty.yaml:1:1: empty document"
expect_exit 2 cosma verify "$EXAMPLE" empty.json
expect_stdout_empty
expect_stderr_contains "cosma: error: empty.json:1:1: invalid JSON"
# an output that cannot be created
expect_exit 2 cosma plan "$EXAMPLE" --budget M_R -o no-such-dir/plan.json
expect_stdout_empty
expect_stderr_contains "cannot create 'no-such-dir/plan.json'"
expect_no_file "plan into a missing directory" no-such-dir

# A malformed YAML: each command names file:line:column (1-based) of the
# offending text; the positions below were read off the files by hand.
BAD=$SRC/tests/data/yaml_bad
cp "$BAD/bad_indentation.yaml" broken.yaml   # line 6 "   dtype: f32": column 4
cp "$BAD/unknown_key.yaml" unknown.yaml      # line 9 "    input: [x]": column 5
cp "$BAD/bad_dtype.yaml" dtype.yaml          # line 4, "float32" starts at column 35
expect_exit 2 cosma info broken.yaml
expect_stdout_empty
expect_stderr_contains "cosma: error: broken.yaml:6:4: YAML syntax error"
expect_exit 2 cosma info --json broken.yaml
expect_stdout_empty
expect_stderr_contains "broken.yaml:6:4:"
expect_exit 2 cosma plan broken.yaml --budget 1KiB -o plan.json
expect_stdout_empty
expect_stderr_contains "broken.yaml:6:4:"
expect_no_file "plan of a broken graph" plan.json
expect_exit 2 cosma arena broken.yaml
expect_stderr_contains "broken.yaml:6:4:"
expect_exit 2 cosma import broken.yaml -o out.yaml
expect_stderr_contains "broken.yaml:6:4:"
expect_no_file "import of a broken graph" out.yaml
expect_exit 2 cosma verify broken.yaml plan.json
expect_stderr_contains "broken.yaml:6:4:"
expect_exit 2 cosma info unknown.yaml
expect_stdout_empty
expect_stderr_contains "cosma: error: unknown.yaml:9:5: unknown key 'input' in operator 'op'"
expect_exit 2 cosma info dtype.yaml
expect_stdout_empty
expect_stderr_contains "cosma: error: dtype.yaml:4:35: unknown dtype 'float32' in tensor 'x'"
# every file of the bad corpus is rejected with exit 2 and a located message
for f in "$BAD"/*.yaml; do
    name=$(basename "$f")
    cp "$f" "$name"
    expect_exit 2 cosma info "$name"
    expect_stdout_empty
    expect_stderr_matches "^cosma: error: $name:[0-9]+:[0-9]+: "
done

# ---- results on stdout, nothing on stderr when all is well ---------------
expect_exit 0 cosma info --json "$EXAMPLE"
expect_stderr_empty
expect_eq "info --json prints one line" "$(wc -l <"$OUT")" 1
expect_json "info --json is one JSON object" "$OUT" 'isinstance(j, dict) and j["graph"] == "example"'
expect_exit 0 cosma plan "$EXAMPLE" --budget M_R -o plan.json
expect_stderr_empty
expect_stdout_contains "example: optimal plan"
expect_stdout_contains "plan written to plan.json"
expect_file "plan" plan.json
# --summary - makes stdout the JSON summary alone
expect_exit 0 cosma plan "$EXAMPLE" --budget M_R -o plan2.json --summary -
expect_stderr_empty
expect_json "plan --summary - prints only JSON" "$OUT" 'j["status"] == "optimal"'
expect_exit 0 cosma verify "$EXAMPLE" plan.json
expect_stderr_empty
expect_stdout_contains "plan for 'example' is valid"
expect_exit 0 cosma verify --json "$EXAMPLE" plan.json
expect_stderr_empty
expect_json "verify --json" "$OUT" 'j["valid"] is True'
expect_exit 0 cosma arena "$EXAMPLE"
expect_stderr_empty
expect_stdout_contains "allocator"

finish
