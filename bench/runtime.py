#!/usr/bin/env python3
"""runtime.py: the table of bench/runtime.sh from its output folder.

usage: python3 bench/runtime.py OUT_DIR   (writes OUT_DIR/results-gpu.md)

Per case: planned bytes, whether outputs matched the reference and
CUPTI-measured bytes the plan in every mode, the resource lower bound, the
prediction, the measured wall times (graph, streams, one stream in plan
order), wall / lower bound and wall / prediction, and the lowest achieved
bandwidth of a copy of 1 MiB or more against the calibrated one."""
import json
import os
import sys

MODES = ("graph", "streams", "serial")
BUDGETS = ("M_R", "M_H", "M_Rp", "M_Hp")


def load(path):
    try:
        with open(path) as f:
            return json.loads(f.read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError):
        return None


def main():
    out = sys.argv[1]
    runs = os.path.join(out, "runs")
    with open(os.path.join(out, "cost.json")) as f:
        cost = json.load(f)
    cases = sorted({tuple(n.split(".")[:2]) for n in os.listdir(runs) if n.endswith(".json")},
                   key=lambda c: (c[0], BUDGETS.index(c[1])))
    rows, goals = [], {"cases": 0, "correct": 0, "bandwidth": 0, "big": 0, "predicted": 0, "not_slower": 0,
                       "big_copies": 0, "big_copies_90": 0}
    for model, budget in cases:
        r = {m: load(os.path.join(runs, "%s.%s.%s.json" % (model, budget, m))) for m in MODES + ("poison",)}
        rc = {}
        for m in MODES + ("poison",):
            try:
                rc[m] = int(open(os.path.join(runs, "%s.%s.%s.rc" % (model, budget, m))).read())
            except (OSError, ValueError):
                rc[m] = None
        goals["cases"] += 1
        ok = all(r[m] is not None and rc[m] == 0 and r[m]["outputs_match"] and r[m]["bytes_match"] and r[m]["cupti"]
                 for m in MODES + ("poison",))
        goals["correct"] += ok
        g = r["graph"] or {}
        lb = g.get("lower_bound_seconds", 0)
        wall = {m: (r[m] or {}).get("wall_seconds") for m in MODES}
        # Each mode against its own prediction (graph replay and host issue differ).
        off = {m: wall[m] / r[m]["predicted_seconds"] - 1 for m in ("graph", "streams")
               if wall[m] and (r[m] or {}).get("predicted_seconds")}
        best = min((wall[m] for m in ("graph", "streams") if wall[m] is not None), default=None)
        big = sum((r[m] or {}).get("big_copies", 0) for m in ("graph", "streams"))
        big90 = sum((r[m] or {}).get("big_copies_at_90", 0) for m in ("graph", "streams"))
        slowest = min(((r[m] or {}).get("big_copy_min_bandwidth_ratio", 0) for m in ("graph", "streams")
                       if (r[m] or {}).get("big_copies", 0) > 0), default=None)
        if big:
            goals["big"] += 1
            goals["bandwidth"] += big90 == big
            goals["big_copies"] += big
            goals["big_copies_90"] += big90
        goals["predicted"] += len(off) == 2 and all(abs(v) <= 0.10 for v in off.values())
        slower = wall["serial"] is not None and all(wall[m] is not None and wall[m] <= wall["serial"]
                                                    for m in ("graph", "streams"))
        goals["not_slower"] += slower
        ms = lambda s: "%.3f" % (1e3 * s) if s is not None else "-"
        pct = lambda m: "%+.1f%%" % (100 * off[m]) if m in off else "-"
        rows.append("| %s | %s | %.1f | %.1f | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            model, budget, g.get("planned_h2d_bytes", 0) / 2**20, g.get("planned_d2h_bytes", 0) / 2**20,
            "yes" if ok else "**NO**", ms(lb), ms(g.get("predicted_seconds")), ms(wall["graph"]), pct("graph"),
            ms(wall["streams"]), pct("streams"), ms(wall["serial"]),
            "%.2f" % (best / lb) if best and lb else "-",
            "%d/%d, slowest %.0f%%" % (big90, big, 100 * slowest) if big else "-"))
    lines = [
        "Cost model (`cosma calibrate --backend cuda`): host to device %.2f GB/s + %.2f us (x%.3f while the other "
        "direction copies), device to host %.2f GB/s + %.2f us (x%.3f), %.2f us from a node's end to a waiting node "
        "of another lane, %.2f us per kernel that waits on another lane and %.2f us more when it is also waited "
        "for, %.2f us between graph-replayed kernels, %.2f us per kernel launch from the host." % (
            cost["h2d_bytes_per_second"] / 1e9, cost["h2d_latency_seconds"] * 1e6, cost["h2d_duplex_slowdown"],
            cost["d2h_bytes_per_second"] / 1e9, cost["d2h_latency_seconds"] * 1e6, cost["d2h_duplex_slowdown"],
            cost["dependency_seconds"] * 1e6, cost["wait_seconds"] * 1e6, cost["signal_seconds"] * 1e6,
            cost["kernel_gap_seconds"] * 1e6, cost["launch_seconds"] * 1e6),
        "",
        "| model | budget | in (MiB) | out (MiB) | outputs and CUPTI bytes as planned | lower bound (ms) | "
        "predicted, graph (ms) | graph (ms) | vs its prediction | streams (ms) | vs its prediction | "
        "one stream (ms) | best / lower bound | 1 MiB+ copies at 90% of calibrated |",
        "|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ] + rows + [
        "",
        "Cases: %d. Outputs identical to the reference and CUPTI bytes equal to the planned bytes in graph, streams, "
        "serial and poisoned streams mode: %d. Copies of 1 MiB or more (graph and streams runs): %d, of which %d "
        "reached 90%% of the calibrated bandwidth; cases where every such copy did: %d of the %d that have one. Wall "
        "time within 10%% of its mode's prediction in both graph and streams mode: %d. Graph and streams mode no "
        "slower than one stream: %d." % (
            goals["cases"], goals["correct"], goals["big_copies"], goals["big_copies_90"], goals["bandwidth"],
            goals["big"], goals["predicted"], goals["not_slower"]),
    ]
    with open(os.path.join(out, "results-gpu.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines[-1:]))


if __name__ == "__main__":
    main()
