# import.sh: `cosma import`: the YAML it writes is canonical (a fixed point
# of re-import), carries the element-size override, goes to stdout with
# -o -, and nothing is written when the import fails.
# Run as: bash import.sh PATH_TO_COSMA SOURCE_DIR
source "$(dirname "$0")/lib.bash" "$@"

EXAMPLE=$GRAPHS/example.yaml

expect_exit 0 cosma import "$EXAMPLE" -o first.yaml
expect_stdout_empty
expect_stderr_empty
expect_file "import" first.yaml
expect_exit 0 cosma import first.yaml -o second.yaml
expect_same_file "re-import is byte-identical" first.yaml second.yaml
expect_exit 0 cosma import second.yaml --output=third.yaml
expect_same_file "--output= form" second.yaml third.yaml

# The graph survives the trip: the same facts and bounds.
expect_exit 0 cosma info --json "$EXAMPLE"
cp "$OUT" info-original.json
expect_exit 0 cosma info --json first.yaml
cp "$OUT" info-first.json
expect_exit 0 cosma info --json second.yaml
cp "$OUT" info-second.json
expect_same_file "info of original and import" info-original.json info-first.json
expect_same_file "info of import and re-import" info-first.json info-second.json
# example.yaml by hand: 12 operators; 1 input + 7 params + 11 activations +
# 1 output; no element-size override (f32 sizes: image 1x3x32x32x4 = 12288).
expect_json_eq info-first.json operators 12
expect_json_eq info-first.json tensors 20
expect_json_eq info-first.json elem_bytes 0
expect_json_eq info-first.json input_bytes 12288

# -o - writes the same YAML to standard output.
expect_exit 0 cosma import "$EXAMPLE" -o -
expect_stderr_empty
expect_same_file "import -o -" "$OUT" first.yaml

# --elem-bytes on import is recorded in the file, so that later commands use
# it without the flag.
expect_exit 0 cosma import "$EXAMPLE" --elem-bytes 1 -o one.yaml
expect_true "one.yaml records elem_bytes: 1" grep -qx 'elem_bytes: 1' one.yaml
expect_exit 0 cosma info --json one.yaml
cp "$OUT" info-one.json
expect_json_eq info-one.json elem_bytes 1
expect_json_eq info-one.json input_bytes 3072 # 1x3x32x32 x 1 byte
expect_exit 0 cosma info --json --elem-bytes 1 "$EXAMPLE"
expect_same_file "recorded --elem-bytes 1 equals the flag" "$OUT" info-one.json
# the recorded size survives re-import, and a flag still overrides it
expect_exit 0 cosma import one.yaml -o one-again.yaml
expect_same_file "re-import keeps elem_bytes" one.yaml one-again.yaml
expect_exit 0 cosma info --json --elem-bytes 2 one.yaml
expect_json "the flag overrides the recorded size" "$OUT" 'j["elem_bytes"] == 2 and j["input_bytes"] == 6144'

# An output in a directory that does not exist: exit 2, the path named,
# nothing created (neither the file nor the directory nor a temporary).
before=$(ls -A | sort)
expect_exit 2 cosma import "$EXAMPLE" -o no-such-dir/graph.yaml
expect_stdout_empty
expect_stderr_contains "no-such-dir/graph.yaml"
expect_no_file "import into a missing directory" no-such-dir
expect_eq "nothing left behind by a failed import" "$(ls -A | sort)" "$before"

# A failed import leaves an existing output untouched.
cp first.yaml keep.yaml
cp "$SRC/tests/data/yaml_bad/cycle.yaml" cycle.yaml
expect_exit 2 cosma import cycle.yaml -o keep.yaml
expect_stdout_empty
expect_stderr_matches "^cosma: error: cycle.yaml:[0-9]+:[0-9]+: "
expect_same_file "output untouched after a failed import" keep.yaml first.yaml

# A larger graph is canonical too: graphs/resnet50.yaml is a fixed point.
expect_exit 0 cosma import "$GRAPHS/resnet50.yaml" -o resnet50.yaml
expect_same_file "graphs/resnet50.yaml is canonical" resnet50.yaml "$GRAPHS/resnet50.yaml"

finish
