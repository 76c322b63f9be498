#!/usr/bin/env python3
"""runtime.py: the table of bench/runtime.sh from its output folder.

usage: python3 bench/runtime.py OUT_DIR   (writes OUT_DIR/results-gpu.md)

Per case: planned bytes, whether outputs matched the reference and
CUPTI-measured bytes the plan in every run, the cross-lane waits, the
resource lower bound, the prediction, the measured wall times (graph,
streams, one stream in plan order; each the mean over the rounds' processes
of their medians, the modes of a process interleaved on one runtime),
wall / lower bound and wall / prediction, the noise between two identical
runs (one stream twice in each process), and the copies of 1 MiB or more
against the calibrated bandwidth and against the model's rate for their
size."""
import json
import os
import sys

MODES = ("graph", "streams", "serial")
BUDGETS = ("M_R", "M_H", "M_Rp", "M_Hp")


def load_lines(path):
    """The JSON lines of one `cosma run --json` (one per --mode entry)."""
    try:
        with open(path) as f:
            return [json.loads(line) for line in f.read().splitlines() if line.startswith("{")]
    except (OSError, ValueError):
        return []


def load_rc(path):
    try:
        return int(open(path).read())
    except (OSError, ValueError):
        return None


def rounds_of(runs, model, budget):
    """Per round (a process each): ({mode: summary, "serial2": the second serial}, rc)."""
    out, r = [], 1
    while os.path.exists(os.path.join(runs, "%s.%s.r%d.rc" % (model, budget, r))):
        base = os.path.join(runs, "%s.%s.r%d" % (model, budget, r))
        entries = {}
        for j in load_lines(base + ".json"):
            entries["serial2" if j["mode"] in entries else j["mode"]] = j
        out.append((entries, load_rc(base + ".rc")))
        r += 1
    return out


def mean(values):
    return sum(values) / len(values) if values else None


def main():
    out = sys.argv[1]
    runs = os.path.join(out, "runs")
    with open(os.path.join(out, "cost.json")) as f:
        cost = json.load(f)
    cases = sorted({tuple(n.split(".")[:2]) for n in os.listdir(runs) if n.endswith(".json")},
                   key=lambda c: (c[0], BUDGETS.index(c[1])))
    rows, goals = [], {"cases": 0, "correct": 0, "bandwidth": 0, "big": 0, "predicted": 0, "runs_predicted": 0,
                       "runs": 0, "not_slower": 0, "big_copies": 0, "big_copies_90": 0, "big_copies_90_model": 0,
                       "rounds": 0, "slower": []}
    aa_all = []
    for model, budget in cases:
        rounds = rounds_of(runs, model, budget)
        poison = load_lines(os.path.join(runs, "%s.%s.poison.json" % (model, budget)))
        poison_rc = load_rc(os.path.join(runs, "%s.%s.poison.rc" % (model, budget)))
        goals["cases"] += 1
        goals["rounds"] = max(goals["rounds"], len(rounds))
        every = [j for e, _ in rounds for j in e.values()] + poison
        ok = (len(rounds) > 0 and all(rc == 0 and all(m in e for m in MODES + ("serial2",)) for e, rc in rounds) and
              poison_rc == 0 and len(poison) == 1 and
              all(j["outputs_match"] and j["bytes_match"] and j["cupti"] for j in every))
        goals["correct"] += ok
        timed = {m: [e[m] for e, _ in rounds if m in e] for m in MODES}
        g = timed["graph"][0] if timed["graph"] else {}
        lb = g.get("lower_bound_seconds", 0)
        # Per mode: the mean over its processes of each one's median; each
        # mode against its own prediction (graph replay and host issue differ).
        wall = {m: mean([j["wall_seconds"] for j in timed[m]]) for m in MODES}
        pred = {m: mean([j["predicted_seconds"] for j in timed[m]]) for m in MODES}
        off = {m: wall[m] / pred[m] - 1 for m in ("graph", "streams") if wall[m] and pred[m]}
        # Noise: the second serial entry against the first, in each process;
        # and each mode against serial in the same process.
        aa = mean([e["serial2"]["wall_seconds"] / e["serial"]["wall_seconds"] - 1 for e, _ in rounds
                   if "serial" in e and "serial2" in e])
        paired = {m: mean([e[m]["wall_seconds"] / e["serial"]["wall_seconds"] - 1 for e, _ in rounds
                           if m in e and "serial" in e]) for m in ("graph", "streams")}
        if aa is not None:
            aa_all.append(abs(aa))
        for m in ("graph", "streams"):
            for j in timed[m]:
                goals["runs"] += 1
                goals["runs_predicted"] += abs(j["wall_seconds"] / j["predicted_seconds"] - 1) <= 0.10
        best = min((wall[m] for m in ("graph", "streams") if wall[m] is not None), default=None)
        copies = [j for m in ("graph", "streams") for j in timed[m]]
        big = sum(j.get("big_copies", 0) for j in copies)
        big90 = sum(j.get("big_copies_at_90", 0) for j in copies)
        big90m = sum(j.get("big_copies_at_90_of_model", 0) for j in copies)
        slowest = min((j["big_copy_min_bandwidth_ratio"] for j in copies if j.get("big_copies", 0) > 0), default=None)
        if big:
            goals["big"] += 1
            goals["bandwidth"] += big90 == big
            goals["big_copies"] += big
            goals["big_copies_90"] += big90
            goals["big_copies_90_model"] += big90m
        goals["predicted"] += len(off) == 2 and all(abs(v) <= 0.10 for v in off.values())
        slower = [m for m in ("graph", "streams") if wall[m] is None or wall["serial"] is None or wall[m] > wall["serial"]]
        goals["not_slower"] += not slower
        for m in slower:
            goals["slower"].append("%s %s %s %+.2f%% (serial twice: %+.2f%%)" % (
                model, budget, m, 100 * paired[m] if paired[m] is not None else float("nan"),
                100 * aa if aa is not None else float("nan")))
        ms = lambda s: "%.3f" % (1e3 * s) if s is not None else "-"
        pct = lambda m: "%+.1f%%" % (100 * off[m]) if m in off else "-"
        rel = lambda v: "%+.2f%%" % (100 * v) if v is not None else "-"
        rows.append("| %s | %s | %.1f | %.1f | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            model, budget, g.get("planned_h2d_bytes", 0) / 2**20, g.get("planned_d2h_bytes", 0) / 2**20,
            "yes" if ok else "**NO**", g.get("cross_lane_waits", 0), ms(lb), ms(pred["graph"]), ms(wall["graph"]),
            pct("graph"), ms(wall["streams"]), pct("streams"), ms(wall["serial"]), rel(paired["graph"]),
            rel(paired["streams"]), rel(aa), "%.2f" % (best / lb) if best and lb else "-",
            "%d/%d, slowest %.0f%%" % (big90, big, 100 * slowest) if big else "-",
            "%d/%d" % (big90m, big) if big else "-"))
    aa_all.sort()
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
        "| model | budget | in (MiB) | out (MiB) | outputs and CUPTI bytes as planned | cross-lane waits | "
        "lower bound (ms) | predicted, graph (ms) | graph (ms) | vs its prediction | streams (ms) | "
        "vs its prediction | one stream (ms) | graph vs one stream, same process | streams vs one stream, same "
        "process | one stream twice (noise) | best / lower bound | 1 MiB+ copies at 90% of calibrated | "
        "at 90% of the model for their size |",
        "|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ] + rows + [
        "",
        "Cases: %d (%d processes per mode and case). Outputs identical to the reference and CUPTI bytes equal to "
        "the planned bytes in every graph, streams, serial and poisoned streams run: %d. Copies of 1 MiB or more "
        "(graph and streams runs): %d, of which %d reached 90%% of the calibrated bandwidth and %d 90%% of the "
        "model's rate for their size; cases where every such copy reached 90%% of the calibrated bandwidth: %d of "
        "the %d that have one. Graph and streams runs within 10%% of their prediction: %d of %d; cases with both "
        "modes' mean within 10%%: %d. Cases with graph and streams mode no slower than one stream: %d. Noise "
        "between two identical runs (one stream twice in each process, mean over the processes, absolute): median "
        "%.2f%%, largest %.2f%%." % (
            goals["cases"], goals["rounds"], goals["correct"], goals["big_copies"], goals["big_copies_90"],
            goals["big_copies_90_model"], goals["bandwidth"], goals["big"], goals["runs_predicted"], goals["runs"],
            goals["predicted"], goals["not_slower"], 100 * aa_all[len(aa_all) // 2] if aa_all else float("nan"),
            100 * aa_all[-1] if aa_all else float("nan")),
        "",
        "Slower than one stream (mode, its mean difference to one stream in the same processes, and the noise): " +
        ("; ".join(goals["slower"]) if goals["slower"] else "none") + ".",
    ]
    with open(os.path.join(out, "results-gpu.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines[-3:]))


if __name__ == "__main__":
    main()
