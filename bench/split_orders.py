#!/usr/bin/env python3
"""The Transformer at M_Rp under hand-made orders (docs/planner.md, section 7, session 8).

Plans graphs/transformer.yaml at M_Rp with the joint planner, takes its order, and for each of
the 64 choices of running each decoder layer's cross-attention weight Split (and its bias Split,
with their descendants placed before that point) early (where the planner put it) or late (right
after the layer's self-attention LayerNorm), plans that order with the fixed schedule and prints
its traffic and status.  Shows that the order, not the bound, leaves M_Rp open.

usage: python3 bench/split_orders.py [--cosma build/cosma]
"""
import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile

import yaml

GRAPH = "graphs/transformer.yaml"
BASE = ["--elem-bytes", "1", "--params", "--budget", "M_Rp", "--time-limit", "60", "-q"]


def plan(cosma, tmp, extra):
    out, summary = os.path.join(tmp, "plan.json"), os.path.join(tmp, "summary.json")
    subprocess.run([cosma, "plan", GRAPH, *BASE, *extra, "-o", out, "--summary", summary], check=True)
    with open(out) as f, open(summary) as g:
        return json.load(f), json.load(g)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cosma", default="build/cosma")
    args = ap.parse_args()
    with open(GRAPH) as f:
        ops = yaml.safe_load(f)["operators"]
    by_name = {o["name"]: o for o in ops}
    producer, consumers = {}, {}
    for o in ops:
        for t in o["outputs"]:
            producer[t] = o["name"]
        for t in o["inputs"]:
            consumers.setdefault(t, []).append(o["name"])

    def descendants(name):
        seen, stack = set(), [name]
        while stack:
            for t in by_name[stack.pop()]["outputs"]:
                for r in consumers.get(t, []):
                    if r not in seen:
                        seen.add(r)
                        stack.append(r)
        return seen

    layers = []  # (the layer's two Splits, the LayerNorm after its self-attention)
    for k in range(6):
        prefix = f"t.decoder.layers.{k}.multihead_attn."
        splits = [consumers[prefix + "in_proj_weight"][0], consumers[prefix + "in_proj_bias"][0]]
        q_slice = by_name[splits[0]]["outputs"][0]
        transpose = consumers[q_slice][0]
        q_proj = consumers[by_name[transpose]["outputs"][0]][0]
        query = [t for t in by_name[q_proj]["inputs"] if producer.get(t) != transpose][0]
        layers.append((splits, producer[by_name[producer[query]]["inputs"][0]]))

    def move_late(order, splits, after):
        moved_set = set(splits).union(*(descendants(s) for s in splits))
        moved = [o for o in order[:order.index(after) + 1] if o in moved_set]
        rest = [o for o in order if o not in moved]
        at = rest.index(after) + 1
        return rest[:at] + moved + rest[at:]

    with tempfile.TemporaryDirectory() as tmp:
        joint, summary = plan(args.cosma, tmp, [])
        print(f"joint planner: traffic {summary['non_compulsory_bytes']}, bound {summary['lower_bound_bytes']}, "
              f"{summary['status']}")
        base = [s["operator"] for s in joint["steps"]]
        order_file = os.path.join(tmp, "order.txt")
        for late in itertools.product([0, 1], repeat=6):
            order = base
            for k in range(6):
                if late[k]:
                    order = move_late(order, *layers[k])
            with open(order_file, "w") as f:
                f.write("\n".join(order) + "\n")
            _, s = plan(args.cosma, tmp, ["--order", order_file])
            print("late layers", "".join(map(str, late)), s["non_compulsory_bytes"], s["status"], flush=True)


if __name__ == "__main__":
    sys.exit(main())
