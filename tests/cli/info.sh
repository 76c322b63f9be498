# info.sh: `cosma info` on ResNet-50 and DenseNet-121 against sizes computed
# independently of cosma (tests/tools/onnx_sizes.py on protoc's text dump of
# the ONNX files), plus the relations between the memory bounds.
# Run as: bash info.sh PATH_TO_COSMA SOURCE_DIR
source "$(dirname "$0")/lib.bash" "$@"

# check_facts FILE.json ops inputs activations outputs params activation_bytes
#             param_bytes m_r m_r_params peak_default peak_default_params
check_facts()
{
    expect_json_all "$1" -- \
        'j["elem_bytes"] == 1' \
        "j['operators'] == $2" \
        "(j['inputs'], j['activations'], j['outputs'], j['params']) == ($3, $4, $5, $6)" \
        "j['tensors'] == $3 + $4 + $5 + $6" \
        "j['activation_bytes'] == $7" \
        "j['param_bytes'] == $8" \
        "j['m_r'] == $9" \
        "j['m_r_params'] == ${10}" \
        "j['peak_default'] == ${11}" \
        "j['peak_default_params'] == ${12}"
}

# The relations the bounds must satisfy whatever the search found.
check_bounds()
{
    expect_json_all "$1" -- \
        'j["m_r"] <= j["m_p"] <= j["peak_default"]' \
        'j["m_r"] <= j["m_p_lower"] <= j["m_p"]' \
        'not j["m_p_exact"] or j["m_p_lower"] == j["m_p"]' \
        'j["m_h"] == (j["m_r"] + j["m_p"]) // 2' \
        'j["m_r_params"] <= j["m_p_params"] <= j["peak_default_params"]' \
        'j["m_r_params"] <= j["m_p_params_lower"] <= j["m_p_params"]' \
        'not j["m_p_params_exact"] or j["m_p_params_lower"] == j["m_p_params"]' \
        'j["m_h_params"] == (j["m_r_params"] + j["m_p_params"]) // 2' \
        'j["m_r"] <= j["m_r_params"] and j["m_p"] <= j["m_p_params"] and j["peak_default"] <= j["peak_default_params"]'
}

RESNET="122 1 121 1 57 26446848 25503916 2408448 2484736 2408448 2685440"
DENSENET="368 1 367 1 185 43667712 7927940 1605632 1606144 2107392 2108800"

expect_exit 0 cosma info --json --elem-bytes 1 "$GRAPHS/resnet50.yaml"
expect_stderr_empty
cp "$OUT" resnet50.json
expect_json_eq resnet50.json graph resnet50
check_facts resnet50.json $RESNET
check_bounds resnet50.json

expect_exit 0 cosma info --json --elem-bytes 1 --time-limit 5 "$GRAPHS/densenet121.yaml"
expect_stderr_empty
cp "$OUT" densenet121.json
expect_json_eq densenet121.json graph densenet121
check_facts densenet121.json $DENSENET
check_bounds densenet121.json
# DenseNet's default order is not a minimum-peak one: M_R < peak_default.
expect_json "densenet121: m_r < peak_default" densenet121.json 'j["m_r"] < j["peak_default"]'

# --elem-bytes 4 scales every size by 4: 4 x 2408448 = 9633792.
expect_exit 0 cosma info --json --elem-bytes 4 "$GRAPHS/resnet50.yaml"
cp "$OUT" resnet50-4.json
expect_json_eq resnet50-4.json elem_bytes 4
expect_json_eq resnet50-4.json m_r 9633792
expect_json_eq resnet50-4.json activation_bytes $((4 * 26446848))
expect_json_eq resnet50-4.json param_bytes $((4 * 25503916))
expect_json_eq resnet50-4.json peak_default $((4 * 2408448))
check_bounds resnet50-4.json

# The same options twice give the same answer (the minimum-peak search is
# deterministic).
expect_exit 0 cosma info --json --elem-bytes 1 "$GRAPHS/resnet50.yaml"
expect_same_file "info --json is deterministic" "$OUT" resnet50.json

# The human-readable form carries the same numbers.
expect_exit 0 cosma info --elem-bytes 1 "$GRAPHS/resnet50.yaml"
expect_stderr_empty
expect_stdout_matches '^graph +resnet50$'
expect_stdout_matches '^operators +122$'
expect_stdout_matches '^tensors +180 \(1 inputs, 121 activations, 1 outputs, 57 params\)$'
expect_stdout_matches '^activations +26446848 bytes$'
expect_stdout_matches '^params +25503916 bytes$'
expect_stdout_matches "^m_r +2408448 bytes \(operator '[^']+'\)$"
expect_stdout_matches "^m_r_params +2484736 bytes \(operator '[^']+'\)$"
expect_stdout_matches '^peak_default +2408448 bytes \(2685440 with params\)$'
expect_stdout_matches "^m_p +$(json_get resnet50.json m_p) bytes"
expect_stdout_matches "^m_h +$(json_get resnet50.json m_h) bytes$"

# Directly from the ONNX files, when the shared models are around (the
# repository itself must not depend on them).
MODELS=$SRC/../shared/models
for model in resnet50 densenet121; do
    onnx=$MODELS/$model.onnx
    if [ ! -f "$onnx" ]; then
        echo "note: $onnx not found, skipping the ONNX checks for $model"
        continue
    fi
    expect_exit 0 cosma info --json --elem-bytes 1 "$onnx"
    expect_stderr_empty
    cp "$OUT" "$model-onnx.json"
    if [ $model = resnet50 ]; then facts=$RESNET; else facts=$DENSENET; fi
    check_facts "$model-onnx.json" $facts
    check_bounds "$model-onnx.json"
    expect_same_file "$model: info from ONNX and from YAML" "$model-onnx.json" "$model.json"
    # The checked-in YAML is exactly what `cosma import` makes of the model.
    expect_exit 0 cosma import "$onnx" -o "$model-imported.yaml"
    expect_same_file "$model: import of the ONNX model" "$model-imported.yaml" "$GRAPHS/$model.yaml"
done

finish
