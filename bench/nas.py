#!/usr/bin/env python3
"""nas.py: the four NAS-generated networks (issue 10): cosma plan at M_R, M_H
and M_P (8-bit, activations only) and the four replacement baselines at the
same budgets; every plan is checked with `cosma verify`.  Prints a Markdown
table (method, traffic, lower bound, gap, time, reduction against each
baseline; a baseline that cannot run says why) for docs/results.md.  Runs
one command at a time, with bench/paper.py's runner.

    python3 bench/nas.py --cosma build/cosma [--time-limit 50] [--out FILE.md]
"""
import argparse
import os
import platform
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import paper  # noqa: E402  (the runner, budgets and formatting of bench/paper.sh)

MODELS = ["nasnetalarge", "pnasnet5large", "darts_v2_imagenet", "amoebanet_d"]
TIERS = [("M_R", "m_r"), ("M_H", "m_h"), ("M_P", "m_p")]
BASELINES = ["default-belady", "default-greedy", "peak-belady", "peak-greedy"]


def baseline_cell(row, cosma_traffic):
    base = paper.traffic(row)
    if base is None:
        return "cannot run: " + (row["error"] or row["status"])[:60]
    r = paper.reduction(cosma_traffic, base)
    return f"{base:,} ({paper.fmt_reduction(r, cosma_traffic, base)})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cosma", default="build/cosma")
    parser.add_argument("--time-limit", type=float, default=50.0)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    started = time.monotonic()
    lines = ["| model | budget | bytes | method | traffic | lower bound | gap | time (s) | verified | "
             + " | ".join(BASELINES) + " |", "|---" * (9 + len(BASELINES)) + "|"]
    reductions = {tier: [] for tier, _ in TIERS}
    worse, slow = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for model in MODELS:
            info, error = paper.resolve_budgets(args, model)
            if info is None:
                lines.append(f"| {model} | | | {error} |" + " |" * (5 + len(BASELINES)))
                continue
            for tier, key in TIERS:
                budget = info[key]
                row = paper.plan_case(args, tmp, model, tier, False, budget, "cosma")
                bases = [paper.plan_case(args, tmp, model, tier, False, budget, b) for b in BASELINES]
                mine = paper.traffic(row)
                known = [paper.traffic(b) for b in bases if paper.traffic(b) is not None]
                if mine is not None and known and min(known) > 0:
                    reductions[tier].append(1 - mine / min(known))
                if mine is not None and any(mine > k for k in known):
                    worse.append(f"{model} {tier}")
                if row["wall_seconds"] >= 60:
                    slow.append(f"{model} {tier}")
                gap = "n/a" if row["gap"] is None else f"{100 * row['gap']:.1f}%"
                bound = row["lower_bound_bytes"]
                cells = [model, tier, f"{budget:,}", row["method"] or row["error"][:60],
                         "n/a" if mine is None else f"{mine:,}", "n/a" if bound is None else f"{bound:,}", gap,
                         f"{row['wall_seconds']:.1f}", row["verified"] or "no plan"]
                cells += [baseline_cell(b, mine) for b in bases]
                lines.append("| " + " | ".join(cells) + " |")
                print(lines[-1], file=sys.stderr, flush=True)
    lines.append("")
    lines.append("Reduction against the best baseline that runs (cells with baseline traffic): " + "; ".join(
        f"{tier} {100 * sum(v) / len(v):.1f}% over {len(v)}" if v else f"{tier} none"
        for tier, v in reductions.items()) + ".")
    lines.append(f"Cells where cosma is worse than a baseline: {', '.join(worse) if worse else 'none'}. "
                 f"Cells of 60 s or more (wall): {', '.join(slow) if slow else 'none'}.")
    lines.append(f"Machine: {platform.machine()}, {os.cpu_count()} CPUs ({paper.cpu_model()}); "
                 f"total {time.monotonic() - started:.0f} s.")
    text = "\n".join(lines) + "\n"
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
