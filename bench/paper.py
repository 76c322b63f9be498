#!/usr/bin/env python3
"""The COSMA paper's evaluation (docs/model.md sections 5-6) as one script.

For the ten human-designed bundled models at the six budgets (M_R, M_H, M_P and,
with parameters, M_Rp, M_Hp, M_Pp; 8-bit elements) it runs COSMA and the four
replacement baselines at the same byte budget, verifies every plan written with
`cosma verify`, and writes:
  docs/results.csv        one row per model x budget x scheme
  docs/results.md         per-budget tables, reductions, the goal checklist and
                          the placement-only `cosma arena` table
  docs/results-TIER.svg   one grouped bar chart per budget tier

A crashed, failing or timed-out run is recorded as an error row; it never stops
the benchmark.  Plain SVG is written by hand so that the charts are
byte-for-byte deterministic and need no plotting library.

usage: python3 bench/paper.py [--cosma build/cosma] [--time-limit 60] [--timeout 300]
                              [--models a,b,...] [--jobs 1] [--out docs/results.md]
                              [--csv docs/results.csv] [--svg-prefix docs/results]
"""
import argparse
import concurrent.futures
import csv
import datetime
import hashlib
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

MODELS = ["resnet50", "densenet121", "resnext50_32x4d", "r2plus1d_18", "s3d", "fcn_resnet50",
          "lraspp_mobilenet_v3_large", "deeplabv3_resnet50", "transformer", "vit_b_16"]
# tier name, `cosma info --json` key of its byte budget, whether parameters are counted
TIERS = [("M_R", "m_r", False), ("M_H", "m_h", False), ("M_P", "m_p", False),
         ("M_Rp", "m_r_params", True), ("M_Hp", "m_h_params", True), ("M_Pp", "m_p_params", True)]
BASELINES = ["default-belady", "default-greedy", "peak-belady", "peak-greedy"]
SCHEMES = ["cosma"] + BASELINES
ARENA_ALGOS = ["greedy-by-size", "first-fit", "hill-climb", "cosma"]
PAPER_HEADLINE = 0.84  # the paper: COSMA removes on average 84% of the baselines' traffic at M_R
MIB = 1 << 20
FEASIBLE = ("optimal", "feasible")


# ---------------------------------------------------------------------------
# Running cosma


def run(cmd, timeout):
    """Runs cmd; never raises for a crash or a timeout (returns rc None then)."""
    started = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr, time.monotonic() - started, False
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = e.stderr.decode() if isinstance(e.stderr, bytes) else (e.stderr or "")
        return None, out, err, time.monotonic() - started, True
    except OSError as e:
        return None, "", str(e), time.monotonic() - started, False


def last_line(text):
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def error_line(text):
    """The most telling stderr line: the last error, else the last line."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    errors = [line for line in lines if "error:" in line and "... and" not in line]
    return (errors[-1] if errors else (lines[-1] if lines else ""))[:300]


def resolve_budgets(args, model):
    rc, out, err, _, timed_out = run([args.cosma, "info", f"graphs/{model}.yaml", "--elem-bytes", "1", "--json"],
                                     args.timeout)
    if rc != 0:
        why = "timeout" if timed_out else f"exit {rc}: {error_line(err)}"
        return None, f"cosma info failed ({why})"
    try:
        return json.loads(out), None
    except ValueError as e:
        return None, f"cosma info printed no JSON ({e})"


def plan_case(args, tmp, model, tier, params, budget, scheme):
    """One `cosma plan` run (COSMA or a baseline) and `cosma verify` of its plan."""
    graph = f"graphs/{model}.yaml"
    row = {"model": model, "tier": tier, "params": params, "budget_bytes": budget, "scheme": scheme,
           "exit": "", "status": "", "method": "", "fallback": False, "non_compulsory_bytes": None,
           "lower_bound_bytes": None, "gap": None, "solve_seconds": None, "wall_seconds": None,
           "verified": "", "error": ""}
    tag = f"{model}-{tier}-{scheme}"
    plan = os.path.join(tmp, tag + ".plan.json")
    summary = os.path.join(tmp, tag + ".summary.json")
    cmd = [args.cosma, "plan", graph, "--elem-bytes", "1", "--budget", str(budget), "-o", plan,
           "--summary", summary, "--time-limit", str(args.time_limit)]
    if params:
        cmd.append("--params")
    if scheme != "cosma":
        cmd += ["--baseline", scheme]
    rc, _, err, wall, timed_out = run(cmd, args.timeout)
    row["wall_seconds"] = round(wall, 3)
    row["exit"] = "timeout" if timed_out else ("" if rc is None else rc)
    if timed_out:
        row.update(status="error", error=f"timed out after {args.timeout} s")
    elif rc == 1:
        row.update(status="infeasible", error=error_line(err))
    elif rc != 0:
        what = f"killed by signal {-rc}" if rc is not None and rc < 0 else f"exit {rc}"
        row.update(status="error", error=f"{what}: {error_line(err)}")
    else:
        try:
            with open(summary) as f:
                s = json.load(f)
            row.update(status=s["status"], method=s["method"], fallback=s["method"].endswith("+fallback"),
                       non_compulsory_bytes=s["non_compulsory_bytes"], lower_bound_bytes=s["lower_bound_bytes"],
                       gap=s["gap"], solve_seconds=s["solve_seconds"])
            if s["budget_bytes"] != budget:
                row["error"] = f"summary budget {s['budget_bytes']} != requested {budget}"
        except (OSError, ValueError, KeyError) as e:
            row.update(status="error", error=f"exit 0 but no readable summary: {e}")
    if os.path.exists(plan):
        vrc, vout, verr, _, vtimed = run([args.cosma, "verify", graph, plan, "--json"], args.timeout)
        if vrc == 0:
            row["verified"] = "yes"
            try:
                recomputed = json.loads(vout)["non_compulsory_bytes"]
                if row["non_compulsory_bytes"] is not None and recomputed != row["non_compulsory_bytes"]:
                    row["verified"] = "NO"
                    row["error"] = (f"verifier recomputed {recomputed} non-compulsory bytes, the summary says "
                                    f"{row['non_compulsory_bytes']}")
            except (ValueError, KeyError):
                pass
        else:
            row["verified"] = "NO"
            row["error"] = ("verify timed out" if vtimed else f"verify exit {vrc}: {error_line(verr)}")
    elif row["status"] in FEASIBLE:
        row["verified"] = "NO"
        row["error"] = "exit 0 but no plan file written"
    return row


def arena_case(args, model, order):
    cmd = [args.cosma, "arena", f"graphs/{model}.yaml", "--elem-bytes", "1", "--order", order, "--algo", "all",
           "--json"]
    rc, out, err, wall, timed_out = run(cmd, args.timeout)
    row = {"model": model, "order": order, "wall_seconds": round(wall, 3), "error": ""}
    if rc != 0:
        row["error"] = "timed out" if timed_out else f"exit {rc}: {error_line(err)}"
        return row
    try:
        d = json.loads(out)
        row["peak_bytes"] = d["peak_bytes"]
        row["order_peak_exact"] = d.get("order_peak_exact")
        row["algos"] = {a["name"]: a["bytes"] for a in d["algos"]}
    except (ValueError, KeyError) as e:
        row["error"] = f"no readable JSON: {e}"
    return row


# ---------------------------------------------------------------------------
# Formatting helpers


def fmt_bytes(n):
    return f"{n:,}"


def traffic(row):
    return row["non_compulsory_bytes"] if row is not None and row["status"] in FEASIBLE else None


def reduction(cosma, base):
    """1 - cosma/base; None when undefined (no traffic to remove), -inf when base is 0 but cosma is not."""
    if cosma is None or base is None:
        return None
    if base == 0:
        return None if cosma == 0 else -math.inf
    return 1.0 - cosma / base


def fmt_reduction(r, cosma, base):
    if cosma is None or base is None:
        return "n/a"
    if r is None:
        return "—"
    if r == -math.inf:
        return "**worse** (baseline 0)"
    return f"{100 * r:.1f}%"


def fmt_secs(x):
    return "n/a" if x is None else f"{x:.3f}"


def fmt_pct(x):
    return "n/a" if x is None else f"{100 * x:.1f}%"


def baseline_cell(row):
    if row is None:
        return "missing"
    if row["status"] == "infeasible":
        return "infeasible"
    if row["status"] not in FEASIBLE:
        return f"error ({row['exit']})"
    cell = fmt_bytes(row["non_compulsory_bytes"]) + (" *" if row["fallback"] else "")
    return cell + (" **UNVERIFIED**" if row["verified"] != "yes" else "")


def cosma_cell(row):
    if row is None:
        return "missing"
    if row["status"] not in FEASIBLE:
        return row["status"] if row["status"] == "infeasible" else f"error ({row['exit']})"
    gap = f"gap {100 * row['gap']:.1f}%" if row["gap"] is not None else "gap ?"
    cell = f"{fmt_bytes(row['non_compulsory_bytes'])} ({row['status']}, {gap})"
    return cell + (" **UNVERIFIED**" if row["verified"] != "yes" else "")


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def os_name():
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"') + f", Linux {platform.release()}"
    except OSError:
        pass
    return platform.platform()


def git_commit():
    rc, out, _, _, _ = run(["git", "rev-parse", "HEAD"], 30)
    if rc != 0:
        return "unknown"
    commit = out.strip()
    rc, out, _, _, _ = run(["git", "status", "--porcelain", "--untracked-files=no"], 30)
    if rc == 0 and out.strip():
        commit += " (working tree has uncommitted changes)"
    return commit


SOURCE_DIRS = ("ir", "frontend", "planner", "ilp", "codegen", "cli", "runtime")


def stale_sources(binary):
    """Source files changed after the binary was built: the results may not be this tree's."""
    built = os.path.getmtime(binary)
    newer = []
    for d in SOURCE_DIRS:
        for folder, _, files in os.walk(d):
            for name in files:
                path = os.path.join(folder, name)
                if name.endswith((".c", ".h")) and os.path.getmtime(path) > built:
                    newer.append(path)
    return sorted(newer)


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------------------
# SVG bar chart


SCHEME_COLORS = {"cosma": "#D55E00", "default-belady": "#0072B2", "default-greedy": "#56B4E9",
                 "peak-belady": "#009E73", "peak-greedy": "#E69F00"}


def esc(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def nice_step(span, target=5):
    raw = span / target
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def fmt_tick(v):
    if v >= 1:
        return f"{v:g}"
    return f"{v:.10f}".rstrip("0").rstrip(".")


def svg_chart(tier, models, cells, budgets):
    """cells[(model, scheme)] = row.  Grouped bars of non-compulsory traffic in MiB."""
    n_models, n_bars = len(models), len(SCHEMES)
    bar_w, group_gap = 12, 22
    group_w = n_bars * bar_w + group_gap
    left, right, top, bottom = 78, 24, 74, 150
    plot_w = n_models * group_w
    plot_h = 300
    width, height = max(left + plot_w + right, 760), top + plot_h + bottom

    values = [traffic(cells.get((m, s))) for m in models for s in SCHEMES]
    nonzero = [v / MIB for v in values if v]
    use_log = bool(nonzero) and max(nonzero) / min(nonzero) >= 20
    if use_log:
        lo_exp = math.floor(math.log10(min(nonzero)))
        if 10 ** lo_exp >= min(nonzero):
            lo_exp -= 1
        hi_exp = max(lo_exp + 1, math.ceil(math.log10(max(nonzero))))
        ticks = [10.0 ** e for e in range(lo_exp, hi_exp + 1)]

        def y_of(mb):
            return top + plot_h - plot_h * (math.log10(mb) - lo_exp) / (hi_exp - lo_exp)
    else:
        hi = max(nonzero) if nonzero else 1.0
        step = nice_step(hi)
        top_value = step * math.ceil(hi / step - 1e-9)
        ticks = [step * i for i in range(int(round(top_value / step)) + 1)]

        def y_of(mb):
            return top + plot_h - plot_h * mb / top_value
    base_y = top + plot_h

    out = []
    out.append(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
               f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">')
    out.append(f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>')
    params = ", parameters counted" if tier.endswith("p") else ", activations only"
    out.append(f'<text x="{width / 2:.1f}" y="22" font-size="15" font-weight="bold" text-anchor="middle">'
               f'Non-compulsory off-chip traffic at {esc(tier)} (budget per model{params}, 8-bit)</text>')
    # legend
    lx = left
    for s in SCHEMES:
        label = "COSMA" if s == "cosma" else s
        out.append(f'<rect x="{lx}" y="36" width="12" height="12" fill="{SCHEME_COLORS[s]}"/>')
        out.append(f'<text x="{lx + 16}" y="46" font-size="12">{esc(label)}</text>')
        lx += 128  # fixed slots: text widths are not known without a font engine
    out.append(f'<text x="{left}" y="64" font-size="10.5" fill="#444444" xml:space="preserve">'
               f'*  the baseline needed its operand-moving fallback      ×  infeasible (exit 1)      '
               f'!  error      0  no traffic</text>')
    # grid and y ticks
    for t in ticks:
        y = y_of(t) if (use_log or t > 0) else base_y
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#dddddd" '
                   f'stroke-width="1"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{fmt_tick(t)}</text>')
    if use_log:  # minor ticks 2..9 per decade
        for e in range(lo_exp, hi_exp):
            for k in range(2, 10):
                y = y_of(k * 10.0 ** e)
                out.append(f'<line x1="{left - 3}" y1="{y:.1f}" x2="{left}" y2="{y:.1f}" stroke="#000000"/>')
    axis_label = "traffic (MiB, log scale)" if use_log else "traffic (MiB)"
    cy = top + plot_h / 2
    out.append(f'<text x="18" y="{cy:.1f}" font-size="12" text-anchor="middle" '
               f'transform="rotate(-90 18 {cy:.1f})">{axis_label}</text>')
    # bars
    for i, m in enumerate(models):
        gx = left + i * group_w + group_gap / 2
        for j, s in enumerate(SCHEMES):
            row = cells.get((m, s))
            x = gx + j * bar_w
            cx = x + bar_w / 2
            v = traffic(row)
            color = SCHEME_COLORS[s]
            if v is None:
                mark = "×" if row is not None and row["status"] == "infeasible" else "!"
                out.append(f'<text x="{cx:.1f}" y="{base_y - 4}" font-size="12" text-anchor="middle" '
                           f'fill="{color}" font-weight="bold">{mark}</text>')
                continue
            if v == 0:
                out.append(f'<text x="{cx:.1f}" y="{base_y - 4}" font-size="10" text-anchor="middle" '
                           f'fill="{color}">0</text>')
                continue
            y = y_of(v / MIB)
            title = f"{m} {s}: {v:,} bytes" + (" (fallback)" if row["fallback"] else "")
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w - 1}" height="{base_y - y:.1f}" '
                       f'fill="{color}"><title>{esc(title)}</title></rect>')
            if row["fallback"]:
                out.append(f'<text x="{cx:.1f}" y="{y - 2:.1f}" font-size="11" text-anchor="middle">*</text>')
        # model name, rotated, right end under the group's centre
        nx = gx + n_bars * bar_w / 2
        ny = base_y + 14
        label = m if budgets.get(m) is None else f"{m}"
        out.append(f'<text x="{nx:.1f}" y="{ny}" font-size="11.5" text-anchor="end" '
                   f'transform="rotate(-40 {nx:.1f} {ny})">{esc(label)}</text>')
    # axes
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{base_y}" stroke="#000000"/>')
    out.append(f'<line x1="{left}" y1="{base_y}" x2="{left + plot_w}" y2="{base_y}" stroke="#000000"/>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------
# Report


def write_csv(path, rows):
    fields = ["model", "tier", "params", "budget_bytes", "scheme", "exit", "status", "method", "fallback",
              "non_compulsory_bytes", "lower_bound_bytes", "gap", "solve_seconds", "wall_seconds", "verified",
              "error"]
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in fields})


def build_report(args, models, rows, arena_rows, budgets, info_errors, started_at, elapsed, provenance):
    cells = {(r["model"], r["tier"], r["scheme"]): r for r in rows}
    md = []
    md.append("# COSMA against the paper's baselines\n")
    md.append("Generated by `bench/paper.py`; do not edit by hand (re-run the command below).\n")
    command = os.environ.get("PAPER_COMMAND") or "python3 bench/paper.py " + " ".join(sys.argv[1:])
    md.append(f"- Command: `{command.strip()}` (from the repository root)")
    md.append(f"- Date: {started_at} (total run time {elapsed / 60:.1f} min)")
    cores = os.cpu_count()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = cores
    md.append(f"- Machine: {cpu_model()}, {cores} cores ({usable} usable), {os_name()}")
    commit, built, stale = provenance
    md.append(f"- cosma: commit {commit} at the start of the run; binary `{args.cosma_shown}` built {built} "
              f"(sha256 {file_sha256(args.cosma)[:16]})")
    if stale:
        md.append(f"- **Warning: {len(stale)} source file(s) changed after the binary was built** (e.g. "
                  f"{', '.join(stale[:3])}): these results may not match the commit above.")
    md.append(f"- Settings: `--elem-bytes 1` (every element one byte, as the paper), budgets resolved once per "
              f"model with `cosma info --json` and passed as bytes to every scheme; COSMA `--time-limit "
              f"{args.time_limit}`; baselines with 64-byte arena alignment; every plan checked with "
              f"`cosma verify`; {args.timeout} s timeout per command, {args.jobs} job(s) at a time.\n")
    if info_errors:
        md.append("**Models whose budgets could not be resolved:** " +
                  "; ".join(f"{m}: {e}" for m, e in info_errors.items()) + "\n")

    red_flags = [r for r in rows if r["verified"] == "NO"]
    errors = [r for r in rows if r["status"] == "error"]
    if red_flags:
        md.append("## !!! PLANS THAT FAILED VERIFICATION !!!\n")
        for r in red_flags:
            md.append(f"- **{r['model']} {r['tier']} {r['scheme']}**: {r['error']}")
        md.append("")

    md.append("## How to read the tables\n")
    md.append("Traffic is the non-compulsory off-chip traffic in bytes (spills plus retrieves; the compulsory "
              "loads of inputs and parameters and stores of outputs are the same for every scheme and left out). "
              "COSMA's cell gives its status and its gap to the proven lower bound. A baseline cell marked `*` "
              "needed the operand-moving fallback of docs/baselines.md (method `+fallback`); `infeasible` means "
              "the baseline exited 1 (no plan within the budget, e.g. alignment padding). "
              "**Reduction** = 1 - COSMA / baseline: *vs best* against the feasible baseline with the least "
              "traffic, *vs avg* against the mean traffic of the feasible baselines. `—` = the baseline(s) have "
              "no traffic to remove (COSMA has none either); such models are left out of the tier average. "
              "Solve times are the planners' own (`solve_seconds`, which for the peak baselines includes the "
              "minimum-peak order search).\n")

    tier_avgs = {}
    violations = []
    for tier, key, params in TIERS:
        md.append(f"## {tier}{' (parameters counted)' if params else ' (activations only)'}\n")
        svg = os.path.relpath(f"{args.svg_prefix}-{tier}.svg", os.path.dirname(os.path.abspath(args.out)))
        md.append(f"![{tier}]({svg})\n")
        md.append("| model | budget bytes | COSMA traffic | " + " | ".join(BASELINES) +
                  " | vs best | vs avg | COSMA s | baselines s (max) |")
        md.append("|---|---:|---|" + "---:|" * len(BASELINES) + "---:|---:|---:|---:|")
        best_reds, avg_reds, failed, no_traffic, no_baseline = [], [], [], [], []
        for m in models:
            c = cells.get((m, tier, "cosma"))
            budget = budgets.get(m, {}).get(key) if budgets.get(m) else None
            bases = [cells.get((m, tier, b)) for b in BASELINES]
            ct = traffic(c)
            feasible = [traffic(b) for b in bases if traffic(b) is not None]
            best = min(feasible) if feasible else None
            avg = statistics.fmean(feasible) if feasible else None
            rb, ra = reduction(ct, best), reduction(ct, avg)
            if rb is not None and rb != -math.inf:
                best_reds.append(rb)
            if ra is not None and ra != -math.inf:
                avg_reds.append(ra)
            # Why a model is left out of the average, so that a failure cannot pass for a success.
            if ct is None and best is not None and avg:
                failed.append(m)
            elif best is None:
                no_baseline.append(m)
            elif ct == 0 and avg == 0:
                no_traffic.append(m)
            beaten = [f"{name} {fmt_bytes(traffic(b))}" for b, name in zip(bases, BASELINES)
                      if traffic(b) is not None and (ct is None or ct > traffic(b))]
            if beaten:
                violations.append(f"{m} {tier}: COSMA {cosma_cell(c)} vs " + ", ".join(beaten))
            base_times = [b["solve_seconds"] for b in bases if b is not None and b["solve_seconds"] is not None]
            md.append(f"| {m} | {fmt_bytes(budget) if budget is not None else 'n/a'} | {cosma_cell(c)} | " +
                      " | ".join(baseline_cell(b) for b in bases) +
                      f" | {fmt_reduction(rb, ct, best)} | {fmt_reduction(ra, ct, avg)} | "
                      f"{fmt_secs(c['solve_seconds'] if c else None)} | "
                      f"{fmt_secs(max(base_times) if base_times else None)} |")
        avg_best = statistics.fmean(best_reds) if best_reds else None
        avg_avg = statistics.fmean(avg_reds) if avg_reds else None
        # The conservative figure counts a model where COSMA produced no plan as a 0% reduction.
        strict = statistics.fmean(best_reds + [0.0] * len(failed)) if best_reds or failed else None
        tier_avgs[tier] = (avg_best, avg_avg, len(best_reds), len(avg_reds), failed, strict)
        fallback_cells = sum(1 for m in models for b in BASELINES
                             if cells.get((m, tier, b)) is not None and cells[(m, tier, b)]["fallback"])
        md.append("")
        md.append(f"Average reduction over the {len(best_reds)} model(s) with baseline traffic: "
                  f"**{fmt_pct(avg_best)} vs the best baseline**, **{fmt_pct(avg_avg)} vs the average baseline** "
                  f"({len(avg_reds)} model(s)). Baseline cells that needed the fallback: {fallback_cells} of "
                  f"{len(models) * len(BASELINES)}.")
        left_out = []
        if failed:
            left_out.append(f"**COSMA produced no plan** for {', '.join(failed)} (counting it as a 0% reduction, "
                            f"the average vs the best baseline is {fmt_pct(strict)})")
        if no_traffic:
            left_out.append(f"no traffic for any scheme: {', '.join(no_traffic)}")
        if no_baseline:
            left_out.append(f"no feasible baseline: {', '.join(no_baseline)}")
        md.append(("Left out of the average: " + "; ".join(left_out) + ".\n") if left_out else "")

    md.append("## Average reduction per tier\n")
    md.append("| tier | vs best baseline | vs average baseline | models counted |")
    md.append("|---|---:|---:|---:|")
    for tier, _, _ in TIERS:
        ab, aa, nb, na, failed, strict = tier_avgs[tier]
        note = f" (+{len(failed)} where COSMA failed: {fmt_pct(strict)} counting them as 0%)" if failed else ""
        md.append(f"| {tier} | {fmt_pct(ab)}{note} | {fmt_pct(aa)} | {nb} |")
    md.append("\nThe paper's headline: at M_R COSMA removes on average 84% of the baselines' non-compulsory "
              "traffic.\n")

    # Goal checklist
    cosma_rows = [r for r in rows if r["scheme"] == "cosma"]
    n_expected = len(models) * len(TIERS)
    optimal = sum(1 for r in cosma_rows if r["status"] == "optimal")
    times = [r["solve_seconds"] for r in cosma_rows if r["solve_seconds"] is not None]
    def m_p_note(r):
        key = "m_p_exact" if r["tier"] == "M_P" else "m_p_params_exact"
        info = budgets.get(r["model"]) or {}
        return "" if info.get(key, True) else f" ({r['tier']} here is the best order found, not proven minimal)"
    zero_fail = [f"{r['model']} {r['tier']}: {cosma_cell(r)}{m_p_note(r)}" for r in cosma_rows
                 if r["tier"] in ("M_P", "M_Pp") and traffic(r) != 0]
    not_optimal = [f"{r['model']} {r['tier']}: {cosma_cell(r)}" for r in cosma_rows if r["status"] != "optimal"]
    mr_best = tier_avgs["M_R"][0]

    def box(ok):
        return "[x]" if ok else "[ ]"
    md.append("## Goal checklist\n")
    md.append(f"- {box(not violations)} COSMA never worse than any baseline in any cell: "
              f"{len(violations)} violation(s)" + ("" if not violations else ":"))
    for v in violations:
        md.append(f"    - {v}")
    mr_failed, mr_strict = tier_avgs["M_R"][4], tier_avgs["M_R"][5]
    md.append(f"- {box(mr_strict is not None and mr_strict >= PAPER_HEADLINE)} Average reduction vs the best "
              f"baseline at M_R >= 84%: measured {fmt_pct(mr_best)} (vs the average baseline "
              f"{fmt_pct(tier_avgs['M_R'][1])}) over {tier_avgs['M_R'][2]} model(s) with baseline traffic" +
              (f"; **COSMA produced no plan for {', '.join(mr_failed)}**, counted as 0% the average is "
               f"{fmt_pct(mr_strict)}" if mr_failed else ""))
    md.append(f"- {box(not zero_fail)} Zero COSMA traffic at M_P and M_Pp on every model: "
              f"{2 * len(models) - len(zero_fail)} of {2 * len(models)}" + ("" if not zero_fail else ":"))
    for v in zero_fail:
        md.append(f"    - {v}")
    md.append(f"- {box(optimal == n_expected)} All {n_expected} COSMA cases proven optimal: {optimal} of "
              f"{n_expected}" + ("" if not not_optimal else ":"))
    for v in not_optimal:
        md.append(f"    - {v}")
    if times:
        md.append(f"- COSMA solve time: median {statistics.median(times):.3f} s, mean "
                  f"{statistics.fmean(times):.3f} s, max {max(times):.3f} s "
                  f"({max(cosma_rows, key=lambda r: r['solve_seconds'] or 0)['model']} "
                  f"{max(cosma_rows, key=lambda r: r['solve_seconds'] or 0)['tier']}); the paper: about 0.3 s on "
                  f"average with Gurobi" +
                  (f"; not counted: {n_untimed} run(s) without a plan or a time (see the errors below)"
                   if (n_untimed := len(cosma_rows) - len(times)) else ""))
    md.append(f"- {box(not red_flags)} Every plan written passed `cosma verify`: "
              f"{sum(1 for r in rows if r['verified'] == 'yes')} of "
              f"{sum(1 for r in rows if r['verified'])} plans" + ("" if not red_flags else " — **RED FLAG**"))
    md.append(f"- {box(not errors)} No crashed or timed-out runs: {len(errors)} error row(s)" +
              ("" if not errors else ":"))
    for r in errors:
        md.append(f"    - {r['model']} {r['tier']} {r['scheme']}: {r['error']}")
    md.append("")

    # COSMA on its own: the planner's status, bound and time per case.
    md.append("## COSMA: status, lower bound and solve time per case\n")
    md.append("| model | tier | budget bytes | status | method | non-compulsory | lower bound | gap | solve s |")
    md.append("|---|---|---:|---|---|---:|---:|---:|---:|")
    for r in cosma_rows:
        if r["status"] in ("optimal", "feasible"):
            md.append(f"| {r['model']} | {r['tier']} | {fmt_bytes(r['budget_bytes'])} | {r['status']} | "
                      f"{r['method']} | {fmt_bytes(r['non_compulsory_bytes'])} | "
                      f"{fmt_bytes(r['lower_bound_bytes'])} | {fmt_pct(r['gap'])} | {fmt_secs(r['solve_seconds'])} |")
        else:
            budget = fmt_bytes(r["budget_bytes"]) if r.get("budget_bytes") is not None else ""
            md.append(f"| {r['model']} | {r['tier']} | {budget} | {r['status']} | | | | | |")
    md.append("")

    # Arena table
    md.append("## Placement only: `cosma arena` (no spills)\n")
    md.append("`cosma arena GRAPH --elem-bytes 1 --order peak|default --algo all --json`, 64-byte alignment, "
              "activations only. The lower bound is the order's peak of live bytes; each cell is the arena the "
              "allocator needs to keep every tensor resident from its first to its last use, with its overhead "
              "over the lower bound.\n")
    md.append("| model | order | lower bound | " + " | ".join(ARENA_ALGOS) + " | cosma = bound |")
    md.append("|---|---|---:|" + "---:|" * len(ARENA_ALGOS) + "---|")
    arena_violations = []
    for a in arena_rows:
        if a["error"]:
            md.append(f"| {a['model']} | {a['order']} | error: {a['error']} |" + " |" * len(ARENA_ALGOS) + " |")
            arena_violations.append(f"{a['model']} ({a['order']} order): error {a['error']}")
            continue
        peak = a["peak_bytes"]
        parts = []
        for name in ARENA_ALGOS:
            b = a["algos"].get(name)
            parts.append("n/a" if b is None else
                         f"{fmt_bytes(b)} (+{100 * (b - peak) / peak:.1f}%)" if peak else fmt_bytes(b))
        cb = a["algos"].get("cosma")
        if cb is None or cb != peak:
            arena_violations.append(f"{a['model']} ({a['order']} order): cosma {cb} vs lower bound {peak}")
        for n in ARENA_ALGOS:
            if n != "cosma" and n in a["algos"] and cb is not None and cb > a["algos"][n]:
                arena_violations.append(f"{a['model']} ({a['order']} order): cosma {cb} > {n} {a['algos'][n]}")
        exact = "" if a.get("order_peak_exact") in (None, True) else " (order not proven min-peak)"
        md.append(f"| {a['model']} | {a['order']}{exact} | {fmt_bytes(peak)} | " + " | ".join(parts) +
                  f" | {'yes' if cb == peak else '**no**'} |")
    md.append("")
    md.append(f"- {box(not arena_violations)} cosma's arena equals the lower bound on every model and order and is "
              f"never larger than another allocator's: {len(arena_violations)} violation(s)" +
              ("" if not arena_violations else ":"))
    for v in arena_violations:
        md.append(f"    - {v}")
    md.append("")
    return "\n".join(md), tier_avgs, violations, arena_violations


# ---------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cosma", default="build/cosma")
    ap.add_argument("--time-limit", default="60", help="COSMA's --time-limit (seconds)")
    ap.add_argument("--timeout", type=int, default=300, help="kill any one cosma command after this many seconds")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--jobs", type=int, default=1, help="cosma commands run at once (solve times are measured "
                    "under this load)")
    ap.add_argument("--out", default="docs/results.md")
    ap.add_argument("--csv", default="docs/results.csv")
    ap.add_argument("--svg-prefix", default="docs/results")
    ap.add_argument("--keep-plans", default="", help="keep the plans in this folder (default: a temporary one)")
    args = ap.parse_args()
    # Paths are as the caller gave them; the graphs and git are the repository's.
    args.cosma_shown = args.cosma
    for name in ("cosma", "out", "csv", "svg_prefix", "keep_plans"):
        if getattr(args, name):
            setattr(args, name, os.path.abspath(getattr(args, name)))
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    if not os.access(args.cosma, os.X_OK):
        sys.exit(f"paper.py: {args.cosma} is not an executable (build it, or run bench/paper.sh)")
    models = [m for m in args.models.split(",") if m]
    started_at = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    built = datetime.datetime.fromtimestamp(os.path.getmtime(args.cosma), datetime.timezone.utc)
    provenance = (git_commit(), built.strftime("%Y-%m-%d %H:%M UTC"), stale_sources(args.cosma))
    if provenance[2]:
        print(f"!! {len(provenance[2])} source file(s) are newer than {args.cosma_shown}: "
              f"{', '.join(provenance[2][:5])}", file=sys.stderr, flush=True)
    t0 = time.monotonic()
    tmp = args.keep_plans or tempfile.mkdtemp(prefix="cosma-paper-")
    os.makedirs(tmp, exist_ok=True)

    budgets, info_errors = {}, {}
    for m in models:
        info, err = resolve_budgets(args, m)
        budgets[m] = info
        if err:
            info_errors[m] = err
            print(f"!! {m}: {err}", flush=True)

    cases = []
    for m in models:
        for tier, key, params in TIERS:
            for s in SCHEMES:
                cases.append((m, tier, params, budgets[m][key] if budgets[m] else None, s))

    def one(case):
        m, tier, params, budget, s = case
        if budget is None:
            return {"model": m, "tier": tier, "params": params, "budget_bytes": None, "scheme": s, "exit": "",
                    "status": "error", "method": "", "fallback": False, "non_compulsory_bytes": None,
                    "lower_bound_bytes": None, "gap": None, "solve_seconds": None, "wall_seconds": None,
                    "verified": "", "error": info_errors.get(m, "no budget")}
        return plan_case(args, tmp, m, tier, params, budget, s)

    rows = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for i, row in enumerate(pool.map(one, cases)):
            rows.append(row)
            flag = "  !!! VERIFICATION FAILED !!!" if row["verified"] == "NO" else ""
            nc = row["non_compulsory_bytes"]
            print(f"[{i + 1}/{len(cases)} {time.monotonic() - t0:6.0f}s] {row['model']} {row['tier']} "
                  f"{row['scheme']}: {row['status']} {'' if nc is None else nc} {row['method']} "
                  f"solve={row['solve_seconds']} wall={row['wall_seconds']} verified={row['verified']}"
                  f"{' ' + row['error'] if row['error'] else ''}{flag}", flush=True)
            if row["verified"] == "NO":
                print(f"!!! RED FLAG: the plan for {row['model']} {row['tier']} {row['scheme']} failed "
                      f"verification: {row['error']}", file=sys.stderr, flush=True)

    arena_rows = []
    for m in models:
        for order in ("peak", "default"):
            a = arena_case(args, m, order)
            arena_rows.append(a)
            print(f"arena {m} {order}: {a.get('peak_bytes')} {a.get('algos')} {a['error']}", flush=True)

    elapsed = time.monotonic() - t0
    write_csv(args.csv, rows)
    report, tier_avgs, violations, arena_violations = build_report(args, models, rows, arena_rows, budgets,
                                                                   info_errors, started_at, elapsed, provenance)
    with open(args.out, "w") as f:
        f.write(report)
    for tier, key, _ in TIERS:
        cells = {(r["model"], r["scheme"]): r for r in rows if r["tier"] == tier}
        tier_budgets = {m: (budgets[m][key] if budgets[m] else None) for m in models}
        with open(f"{args.svg_prefix}-{tier}.svg", "w") as f:
            f.write(svg_chart(tier, models, cells, tier_budgets))
    if not args.keep_plans:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"\nwrote {args.out}, {args.csv}, {args.svg_prefix}-*.svg in {elapsed / 60:.1f} min")
    for tier, _, _ in TIERS:
        ab, aa, n, _, failed, strict = tier_avgs[tier]
        print(f"  {tier:5s} average reduction vs best baseline {fmt_pct(ab)}, vs average {fmt_pct(aa)} ({n} models)" +
              (f"; COSMA failed on {','.join(failed)} (as 0%: {fmt_pct(strict)})" if failed else ""))
    print(f"  violations (COSMA worse than a baseline): {len(violations)}; arena violations: "
          f"{len(arena_violations)}")
    bad = [r for r in rows if r["verified"] == "NO"]
    if bad:
        print(f"!!! {len(bad)} PLAN(S) FAILED VERIFICATION: see {args.out}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
