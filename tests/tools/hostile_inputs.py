#!/usr/bin/env python3
"""hostile_inputs.py: writes the hostile inputs of issue 11 into a folder,
for tests/cli/limits.sh (which bounds each command on them) and
bench/hostile.sh (which times every command on them).

    python3 hostile_inputs.py DIR PLAN.json

PLAN.json is a valid plan of tests/data/tiny.yaml, the base of the two
hostile plans.  Writes (graphs)  nested.onnx (subgraphs 5,000 deep),
nested30.onnx (30 deep), chain.onnx (200,000 Relu), same.onnx (100,000
nodes of one name), wide.onnx (one Concat of 100,000 inputs), deep.yaml
(flow nesting 100,000 deep), attrs.yaml (200,000 attributes, one
repeated), huge.yaml (tensors near 2^62 bytes); (plans of tiny.yaml)
keys.json (300,000 unknown keys), intervals.json (200,000 intervals
ending at one step).
"""
import json
import os
import sys

import onnx_craft


def deep_yaml():
    return "cosma_graph: 1\nname: deep\ntensors: " + "[" * 100000 + "]" * 100000 + "\noperators: []\n"


def attrs_yaml():
    head = ("cosma_graph: 1\nname: g\ntensors:\n  - {name: x, kind: input, bytes: 4}\n"
            "  - {name: y, kind: output, bytes: 4}\noperators:\n  - name: op\n    type: Relu\n"
            "    inputs: [x]\n    outputs: [y]\n    attrs:\n")
    return head + "".join("      a%d: 1\n" % i for i in range(200000)) + "      a7: 2\n"


def huge_yaml():
    tensors = "".join("  - {name: %s, kind: %s, bytes: 4611686018427387903}\n" % (name, kind)
                      for name, kind in [("x", "input"), ("a", "activation"), ("b", "activation"),
                                         ("c", "activation"), ("d", "activation"), ("y", "output")])
    return ("cosma_graph: 1\nname: huge\ntensors:\n" + tensors + "operators:\n"
            "  - {name: fan, type: Split, inputs: [x], outputs: [a, b, c, d]}\n"
            "  - {name: join, type: Concat, inputs: [a, b, c, d], outputs: [y]}\n")


def unknown_keys(plan):
    # Readers ignore unknown keys: a pairwise duplicate check is quadratic.
    text = json.dumps(plan)
    return text[:-1] + "".join(', "unknown%d": 0' % i for i in range(300000)) + "}"


def many_intervals(plan):
    # All ending at one step: an insertion sort of the ends is quadratic.
    first = dict(plan["intervals"][0])
    return json.dumps(dict(plan, intervals=[dict(first, offset=k) for k in range(200000)]))


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    folder = argv[1]
    with open(argv[2]) as f:
        plan = json.load(f)
    binary = {"nested.onnx": onnx_craft.nested(5000), "nested30.onnx": onnx_craft.nested(30),
              "chain.onnx": onnx_craft.chain(200000), "same.onnx": onnx_craft.chain(100000, same_name=True),
              "wide.onnx": onnx_craft.wide(100000)}
    text = {"deep.yaml": deep_yaml(), "attrs.yaml": attrs_yaml(), "huge.yaml": huge_yaml(),
            "keys.json": unknown_keys(plan), "intervals.json": many_intervals(plan)}
    for name, data in binary.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
    for name, data in text.items():
        with open(os.path.join(folder, name), "w") as f:
            f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
