#!/usr/bin/env bash
# peak.sh: the minimum peak (M_P) and its proven lower bound on the four NAS
# graphs, the Transformer and the paper's other nine models, activations
# only and with parameters (8-bit elements, `cosma info --elem-bytes 1`),
# with the CPU time of each `cosma info` (it computes both modes).  Prints
# one Markdown table on stdout.  With a second binary (BEFORE) each row also
# shows what that binary finds, for a before/after comparison.
# usage: bash bench/peak.sh [COSMA_BINARY] [BEFORE_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
cosma=${1:-build/cosma}
before=${2:-}
models="nasnetalarge pnasnet5large darts_v2_imagenet amoebanet_d transformer resnet50 densenet121
        resnext50_32x4d r2plus1d_18 s3d fcn_resnet50 lraspp_mobilenet_v3_large deeplabv3_resnet50 vit_b_16"

# One model: "M_P-cell M_Pp-cell seconds", each cell "N exact" or
# "N (bound L)" with thousands separators ('~' for the spaces inside a
# cell); seconds of CPU (user + system), steadier than the wall clock on a
# shared machine.
measure() {
    python3 - "$1" "$2" <<'PY'
import json, resource, subprocess, sys
binary, model = sys.argv[1], sys.argv[2]
out = subprocess.run([binary, "info", "graphs/%s.yaml" % model, "--elem-bytes", "1", "--json"],
                     check=True, capture_output=True, text=True).stdout
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
j = json.loads(out)
def cell(value, lower, exact):
    return "{:,}~exact".format(value) if exact else "{:,}~(bound~{:,})".format(value, lower)
print(cell(j["m_p"], j["m_p_lower"], j["m_p_exact"]),
      cell(j["m_p_params"], j["m_p_params_lower"], j["m_p_params_exact"]),
      "%.2f" % (usage.ru_utime + usage.ru_stime))
PY
}

if [ -n "$before" ]; then
    echo "| model | M_P | M_P before | M_Pp | M_Pp before | CPU s | CPU s before |"
    echo "|---|---|---|---|---|---|---|"
else
    echo "| model | M_P | M_Pp | CPU s |"
    echo "|---|---|---|---|"
fi
for model in $models; do
    read -r p pp secs < <(measure "$cosma" "$model")
    if [ -n "$before" ]; then
        read -r bp bpp bsecs < <(measure "$before" "$model")
        row="| $model | $p | $bp | $pp | $bpp | $secs | $bsecs |"
    else
        row="| $model | $p | $pp | $secs |"
    fi
    echo "${row//\~/ }"
done
