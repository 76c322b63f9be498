#!/usr/bin/env python3
"""Benchmark of the COSMA planner on the ten human-designed bundled models at
the paper's six budgets (M_R, M_H, M_P and the with-parameters three), 8-bit
elements.  Every plan is checked with `cosma verify`.  Writes a Markdown table
(docs/results.md section) and a CSV.

usage: bench/planner.py [--cosma build/cosma] [--time-limit 60] [--out docs/results.md]
"""
import argparse, csv, datetime, json, os, platform, statistics, subprocess, sys, tempfile, time

MODELS = ["resnet50", "densenet121", "resnext50_32x4d", "r2plus1d_18", "s3d", "fcn_resnet50",
          "lraspp_mobilenet_v3_large", "deeplabv3_resnet50", "transformer", "vit_b_16"]
BUDGETS = [("M_R", False), ("M_H", False), ("M_P", False), ("M_Rp", True), ("M_Hp", True), ("M_Pp", True)]


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cosma", default="build/cosma")
    ap.add_argument("--time-limit", default="60")
    ap.add_argument("--out", default="docs/results-planner.md")
    ap.add_argument("--csv", default="docs/results-planner.csv")
    ap.add_argument("--models", default=",".join(MODELS))
    args = ap.parse_args()
    rows = []
    tmp = tempfile.mkdtemp(prefix="cosma-bench-")
    for model in args.models.split(","):
        graph = f"graphs/{model}.yaml"
        info = json.loads(run([args.cosma, "info", graph, "--elem-bytes", "1", "--json"]).stdout)
        for budget, params in BUDGETS:
            plan = os.path.join(tmp, f"{model}-{budget}.json")
            summary = os.path.join(tmp, f"{model}-{budget}.summary.json")
            cmd = [args.cosma, "plan", graph, "--elem-bytes", "1", "--budget", budget, "-o", plan,
                   "--summary", summary, "--time-limit", args.time_limit] + (["--params"] if params else [])
            started = time.monotonic()
            result = run(cmd)
            wall = time.monotonic() - started
            row = {"model": model, "budget": budget, "exit": result.returncode, "wall_s": round(wall, 2)}
            if result.returncode == 0:
                s = json.load(open(summary))
                verify = run([args.cosma, "verify", graph, plan, "--json"])
                row.update(status=s["status"], method=s["method"], budget_bytes=s["budget_bytes"],
                           non_compulsory=s["non_compulsory_bytes"], lower_bound=s["lower_bound_bytes"],
                           gap=s["gap"], solve_s=s["solve_seconds"], verified=verify.returncode == 0)
            else:
                row.update(status="error", error=result.stderr.strip().splitlines()[-1:] or [""])
            rows.append(row)
            print(json.dumps(row), flush=True)
    write_outputs(rows, args, info)


def write_outputs(rows, args, _info):
    fields = ["model", "budget", "budget_bytes", "status", "method", "non_compulsory", "lower_bound", "gap",
              "solve_s", "wall_s", "verified", "exit"]
    with open(args.csv, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow(r)
    ok = [r for r in rows if r.get("status") in ("optimal", "feasible")]
    times = [r["solve_s"] for r in ok]
    optimal = sum(1 for r in ok if r["status"] == "optimal")
    lines = []
    lines.append("| model | budget | bytes | status | non-compulsory | lower bound | gap | solve s | verified |")
    lines.append("|---|---|---:|---|---:|---:|---:|---:|---|")
    for r in rows:
        if r.get("status") in ("optimal", "feasible"):
            lines.append(f"| {r['model']} | {r['budget']} | {r['budget_bytes']} | {r['status']} | "
                         f"{r['non_compulsory']} | {r['lower_bound']} | {r['gap']:.3f} | {r['solve_s']:.2f} | "
                         f"{'yes' if r['verified'] else 'NO'} |")
        else:
            lines.append(f"| {r['model']} | {r['budget']} | | {r['status']} (exit {r['exit']}) | | | | | |")
    summary = (f"{len(rows)} cases: {optimal} proven optimal, {len(ok) - optimal} feasible with a gap, "
               f"{len(rows) - len(ok)} without a plan. Solve time median {statistics.median(times):.2f} s, "
               f"max {max(times):.2f} s." if times else "no plans")
    cmd = "python3 bench/planner.py " + " ".join(sys.argv[1:])
    with open(args.out, "w") as f:
        f.write("# Planner benchmark\n\n")
        f.write(f"Command: `{cmd.strip()}` (from the repository root, after `bash scripts/test.sh` built "
                f"`build/cosma`).\n\n")
        f.write(f"Date: {datetime.date.today().isoformat()}. Machine: {platform.machine()}, "
                f"{os.cpu_count()} cores, {platform.platform()}. GLPK {glpk_version()}.\n\n")
        f.write(summary + "\n\n")
        f.write("\n".join(lines) + "\n")
    print(summary)


def glpk_version():
    out = run(["sh", "-c", "dpkg-query -W -f='${Version}' libglpk40 2>/dev/null"]).stdout
    return out or "unknown"


if __name__ == "__main__":
    main()
