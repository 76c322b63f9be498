#!/usr/bin/env python3
"""onnx_sizes.py: expected graph facts for an ONNX model, derived without cosma.

Independent check of cosma's ONNX import (tests/test_frontend_onnx.c hardcodes
what this prints).  It shares no code with cosma: it reads protoc's text dump of
the model and applies the accounting rules of docs/design.md directly.

Usage:
    # needs protoc (Debian: apt-get install protobuf-compiler) and libonnx-dev's proto
    python3 tests/tools/onnx_sizes.py MODEL.onnx [MODEL.onnx ...]
    # or decode yourself and pass the text dump (any name not ending in .onnx):
    protoc --decode=onnx.ModelProto -I/usr/include/onnx /usr/include/onnx/onnx.proto \
        < MODEL.onnx > MODEL.txt
    python3 tests/tools/onnx_sizes.py MODEL.txt
    # rows for the expected-facts table of tests/test_frontend_onnx.c:
    python3 tests/tools/onnx_sizes.py --c /work/shared/models/*.onnx

For each model and for each element-size setting (--elem-bytes 1, then the
native element sizes) it prints:
  ops          nodes other than Constant (Constant outputs are parameters)
  tensors      by kind: input (graph inputs that are not initializers),
               param (initializers and Constant outputs), output (graph
               outputs), activation (every other named node output)
  bytes        per kind: product of dims x element size (or the override)
  m_r          max over operators of the summed sizes of the distinct
               non-param tensors it reads or writes (empty names skipped)
  m_r_params   the same with params counted
  peak         max over steps (operators in file order) of live bytes: a
               tensor is live from its producer's step (inputs and params:
               from their first reader's step) to its last reader's step; one
               nobody reads is live only at its producer's step (an input or
               param nobody reads is never live); params only in peak_params
"""
import re
import subprocess
import sys

ONNX_PROTO_DIR = "/usr/include/onnx"

# TensorProto.DataType -> bytes per element (types cosma supports).
ELEM_BYTES = {1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2}

OPEN = re.compile(r"^([A-Za-z0-9_]+) \{$")
FIELD = re.compile(r"^([A-Za-z0-9_]+): (.*)$")


def parse_text(text):
    """protoc text format -> nested lists of (key, value-or-children)."""
    root = []
    stack = [root]
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line == "}":
            stack.pop()
            continue
        m = OPEN.match(line)
        if m:
            children = []
            stack[-1].append((m.group(1), children))
            stack.append(children)
            continue
        m = FIELD.match(line)
        if not m:
            raise ValueError("unparsed line: " + line[:80])
        value = m.group(2)
        if value.startswith('"'):
            value = bytes(value[1:-1], "utf-8").decode("unicode_escape")
        stack[-1].append((m.group(1), value))
    assert len(stack) == 1, "unbalanced braces"
    return root


def get_all(node, key):
    return [v for k, v in node if k == key]


def get_one(node, key, default=None):
    values = get_all(node, key)
    return values[0] if values else default


def value_info_shape(info):
    tensor = get_one(get_one(info, "type", []), "tensor_type", [])
    ttype = get_one(tensor, "elem_type")
    shape = get_one(tensor, "shape")
    if shape is None:
        raise ValueError("no shape for " + get_one(info, "name"))
    dims = []
    for dim in get_all(shape, "dim"):
        value = get_one(dim, "dim_value")
        if value is None:
            raise ValueError("symbolic dim in " + get_one(info, "name"))
        dims.append(int(value))
    return int(ttype), dims


def load(path):
    if path.endswith(".onnx"):
        with open(path, "rb") as model:
            text = subprocess.run(
                ["protoc", "--decode=onnx.ModelProto", "-I" + ONNX_PROTO_DIR, ONNX_PROTO_DIR + "/onnx.proto"],
                stdin=model, check=True, capture_output=True).stdout.decode("utf-8")
    else:
        with open(path, encoding="utf-8") as dump:
            text = dump.read()
    return get_one(parse_text(text), "graph")


def analyse(graph):
    shapes = {}  # name -> (data type, dims)
    for key in ("input", "output", "value_info"):
        for info in get_all(graph, key):
            shapes.setdefault(get_one(info, "name"), value_info_shape(info))
    kind = {}
    initializers = set()
    for init in get_all(graph, "initializer"):
        name = get_one(init, "name")
        initializers.add(name)
        kind[name] = "param"
        shapes[name] = (int(get_one(init, "data_type")), [int(d) for d in get_all(init, "dims")])
    for info in get_all(graph, "input"):
        name = get_one(info, "name")
        if name not in initializers:
            kind[name] = "input"
    outputs = {get_one(info, "name") for info in get_all(graph, "output")}
    ops = []  # (inputs, outputs) in file order
    for node in get_all(graph, "node"):
        ins, outs = get_all(node, "input"), get_all(node, "output")
        if get_one(node, "op_type") == "Constant":
            attr = next(a for a in get_all(node, "attribute") if get_one(a, "name") == "value")
            t = get_one(attr, "t")
            kind[outs[0]] = "param"
            shapes[outs[0]] = (int(get_one(t, "data_type")), [int(d) for d in get_all(t, "dims")])
            continue
        for name in outs:
            if name:
                kind[name] = "output" if name in outputs else "activation"
        ops.append((ins, outs))
    return kind, shapes, ops


def facts(kind, shapes, ops, elem_bytes):
    def size(name):
        dtype, dims = shapes[name]
        n = elem_bytes if elem_bytes else ELEM_BYTES[dtype]
        for d in dims:
            n *= d
        return n

    result = {"ops": len(ops)}
    for k in ("input", "activation", "output", "param"):
        names = [n for n in kind if kind[n] == k]
        result["n_" + k] = len(names)
        result[k + "_bytes"] = sum(size(n) for n in names)
    producer, readers = {}, {}
    for step, (ins, outs) in enumerate(ops):
        for name in outs:
            if name:
                producer[name] = step
        for name in ins:
            if name:
                readers.setdefault(name, []).append(step)
    for with_params in (False, True):
        suffix = "_params" if with_params else ""
        counted = lambda n: with_params or kind[n] != "param"
        m_r = 0
        for ins, outs in ops:
            operands = {n for n in ins + outs if n and counted(n)}
            m_r = max(m_r, sum(size(n) for n in operands))
        live = [0] * (len(ops) + 1)
        for name in kind:
            if not counted(name):
                continue
            steps = readers.get(name, [])
            if name in producer:
                first, last = producer[name], max(steps + [producer[name]])
            elif steps:
                first, last = min(steps), max(steps)
            else:
                continue
            live[first] += size(name)
            live[last + 1] -= size(name)
        peak, running = 0, 0
        for delta in live[:-1]:
            running += delta
            peak = max(peak, running)
        result["m_r" + suffix] = m_r
        result["peak" + suffix] = peak
    return result


KEYS = ["ops", "n_input", "n_activation", "n_output", "n_param", "input_bytes", "activation_bytes",
        "output_bytes", "param_bytes", "m_r", "m_r_params", "peak", "peak_params"]


def main(args):
    c_rows = args and args[0] == "--c"
    paths = args[1:] if c_rows else args
    if not paths:
        sys.exit(__doc__)
    for path in paths:
        kind, shapes, ops = analyse(load(path))
        name = re.sub(r"\.[^./]*$", "", path.split("/")[-1])
        for elem_bytes in (1, 0):
            result = facts(kind, shapes, ops, elem_bytes)
            if c_rows:  # one initializer row of the table in tests/test_frontend_onnx.c
                print('    {"%s", %d, %s},' % (name, elem_bytes, ", ".join(str(result[k]) for k in KEYS)))
            else:
                label = "elem-bytes 1" if elem_bytes else "native"
                print("%s (%s): %s" % (path, label, " ".join("%s=%d" % (k, result[k]) for k in KEYS)))


if __name__ == "__main__":
    main(sys.argv[1:])
