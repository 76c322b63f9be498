#!/usr/bin/env python3
"""nas.py: the four NAS-generated networks (issue 10): cosma plan at M_R, M_H
and M_P (8-bit, activations only) and the four replacement baselines at the
same budgets; every plan is checked with `cosma verify`.  Prints a Markdown
table (method, traffic, lower bound, gap, time, reduction against each
baseline) for docs/results-nas.md.  A baseline that cannot run on the paper's
64-byte arena is run unaligned (marked so); one that cannot run at all says
so.  Runs
one command at a time, with bench/paper.py's runner.

    python3 bench/nas.py --cosma build/cosma [--time-limit 50] [--out FILE.md]
"""
import argparse
import json
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


def unaligned_baseline(args, tmp, model, budget, scheme):
    """A baseline that cannot run on the paper's 64-byte arena, run unaligned
    and its plan verified; the row or None."""
    graph = f"graphs/{model}.yaml"
    plan = os.path.join(tmp, f"{model}-{budget}-{scheme}-align1.plan.json")
    cmd = [args.cosma, "plan", graph, "--elem-bytes", "1", "--budget", str(budget), "-o", plan,
           "--baseline", scheme, "--align", "1", "--summary", "-"]
    rc, out, _, _, _ = paper.run(cmd, args.timeout)
    if rc != 0:
        return None
    vrc, _, _, _, _ = paper.run([args.cosma, "verify", graph, plan], args.timeout)
    if vrc != 0:
        return None
    summary = json.loads(out)
    return {"status": summary["status"], "non_compulsory_bytes": summary["non_compulsory_bytes"]}


def baseline_cell(row, unaligned, cosma_traffic):
    base = paper.traffic(row)
    note = ""
    if base is None and unaligned is not None:
        base, note = paper.traffic(unaligned), " unaligned"
    if base is None:
        return "cannot run"
    r = paper.reduction(cosma_traffic, base)
    return f"{base:,}{note} ({paper.fmt_reduction(r, cosma_traffic, base)})"


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
                unaligned = [None if paper.traffic(b) is not None else unaligned_baseline(args, tmp, model, budget, s)
                             for b, s in zip(bases, BASELINES)]
                mine = paper.traffic(row)
                known = [paper.traffic(b) if paper.traffic(b) is not None else paper.traffic(u)
                         for b, u in zip(bases, unaligned)]
                known = [k for k in known if k is not None]
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
                cells += [baseline_cell(b, u, mine) for b, u in zip(bases, unaligned)]
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
