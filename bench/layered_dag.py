#!/usr/bin/env python3
"""layered_dag.py: writes a layered random DAG as a cosma graph (YAML), the
large generated graph of issue 10.  Layer 0 reads the graph input; every
operator of layer k reads one to three tensors of the previous three layers
(at least one of layer k - 1) and writes one tensor of a random size; the
tensors nobody reads are graph outputs.  Seeded: the same arguments give
the same file, byte for byte.

    python3 bench/layered_dag.py --ops 5000 --layers 250 --seed 1 -o dag.yaml
"""
import argparse
import random
import sys


def generate(ops, layers, seed, min_bytes, max_bytes):
    rng = random.Random(seed)
    width = max(1, ops // layers)
    layer_of = []       # per operator
    by_layer = []       # operator indices per layer
    inputs = []         # per operator: tensor names read
    for o in range(ops):
        layer = min(o // width, layers - 1)
        while len(by_layer) <= layer:
            by_layer.append([])
        by_layer[layer].append(o)
        layer_of.append(layer)
    for o in range(ops):
        layer = layer_of[o]
        if layer == 0:
            inputs.append(["x"])
            continue
        reads = {rng.choice(by_layer[layer - 1])}
        for _ in range(rng.randint(0, 2)):
            back = rng.randint(1, min(3, layer))
            reads.add(rng.choice(by_layer[layer - back]))
        inputs.append(["t%d" % r for r in sorted(reads)])
    read = {name for names in inputs for name in names}
    sizes = [rng.randint(min_bytes, max_bytes) // 64 * 64 or 64 for _ in range(ops)]
    lines = ["# layered random DAG: %d operators, %d layers, seed %d (bench/layered_dag.py)" % (ops, layers, seed),
             "cosma_graph: 1", "name: \"layered_dag_%d_%d_%d\"" % (ops, layers, seed), "tensors:",
             "  - {name: \"x\", kind: input, bytes: %d}" % sizes[0]]
    for o in range(ops):
        kind = "activation" if "t%d" % o in read else "output"
        lines.append("  - {name: \"t%d\", kind: %s, bytes: %d}" % (o, kind, sizes[o]))
    lines.append("operators:")
    for o in range(ops):
        lines.append("  - {name: \"op%d\", type: Op, inputs: [%s], outputs: [\"t%d\"]}"
                     % (o, ", ".join('"%s"' % n for n in inputs[o]), o))
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=5000)
    parser.add_argument("--layers", type=int, default=250)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--min-bytes", type=int, default=1024)
    parser.add_argument("--max-bytes", type=int, default=65536)
    parser.add_argument("-o", "--output", default="-")
    args = parser.parse_args()
    if args.ops < 1 or args.layers < 1 or args.layers > args.ops or args.min_bytes < 1 or args.max_bytes < args.min_bytes:
        sys.exit("layered_dag.py: need 1 <= layers <= ops and 1 <= min-bytes <= max-bytes")
    text = generate(args.ops, args.layers, args.seed, args.min_bytes, args.max_bytes)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w") as out:
            out.write(text)


if __name__ == "__main__":
    main()
