#!/usr/bin/env python3
"""onnx_craft.py: writes small ONNX models for the hardening tests, with a
protobuf encoder of its own (no onnx package needed).

    python3 onnx_craft.py chain N OUT        N Relu nodes in a chain
    python3 onnx_craft.py nested DEPTH OUT   If nodes whose then_branch holds an If ... DEPTH deep
    python3 onnx_craft.py samename N OUT     a chain of N nodes all named "n"
    python3 onnx_craft.py wide N OUT         one Concat reading N distinct graph inputs
    python3 onnx_craft.py corpus DIR         the bad ONNX files of tests/data/bad/onnx
"""
import os
import struct
import sys

FLOAT = 1


def varint(n):
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_varint(num, value):
    return varint(num << 3) + varint(value)


def field_bytes(num, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return varint((num << 3) | 2) + varint(len(data)) + data


def dim(value=None, param=None):
    body = field_varint(1, value) if value is not None else field_bytes(2, param)
    return body


def value_info(name, dims, elem_type=FLOAT, shape=True):
    tensor = field_varint(1, elem_type)
    if shape:
        tensor += field_bytes(2, b"".join(field_bytes(1, dim(**d) if isinstance(d, dict) else dim(d)) for d in dims))
    return field_bytes(1, name) + field_bytes(2, field_bytes(1, tensor))


def node(op_type, inputs, outputs, name=None, attrs=(), domain=None):
    body = b"".join(field_bytes(1, i) for i in inputs)
    body += b"".join(field_bytes(2, o) for o in outputs)
    if name is not None:
        body += field_bytes(3, name)
    if op_type is not None:
        body += field_bytes(4, op_type)
    body += b"".join(field_bytes(5, a) for a in attrs)
    if domain is not None:
        body += field_bytes(7, domain)
    return body


def attr_graph(name, graph_body):
    return field_bytes(1, name) + field_bytes(6, graph_body) + field_varint(20, 5)


def initializer(name, dims, data_type=FLOAT):
    return b"".join(field_varint(1, d) for d in dims) + field_varint(2, data_type) + field_bytes(8, name)


def graph(nodes, inputs, outputs, value_infos=(), initializers=(), name="g"):
    body = b"".join(field_bytes(1, n) for n in nodes) + field_bytes(2, name)
    body += b"".join(field_bytes(5, i) for i in initializers)
    body += b"".join(field_bytes(11, v) for v in inputs)
    body += b"".join(field_bytes(12, v) for v in outputs)
    body += b"".join(field_bytes(13, v) for v in value_infos)
    return body


def model(graph_body):
    opset = field_bytes(1, "") + field_varint(2, 13)
    return field_varint(1, 8) + field_bytes(8, opset) + field_bytes(7, graph_body)


def chain(n, same_name=False):
    nodes = [node("Relu", ["t%d" % i], ["t%d" % (i + 1)], name="n" if same_name else "relu%d" % i) for i in range(n)]
    infos = [value_info("t%d" % i, [1, 4]) for i in range(1, n)]
    return model(graph(nodes, [value_info("t0", [1, 4])], [value_info("t%d" % n, [1, 4])], infos))


def wide(n):
    inputs = [value_info("x%d" % i, [1, 4]) for i in range(n)]
    concat = node("Concat", ["x%d" % i for i in range(n)], ["y"], name="cat")
    return model(graph([concat], inputs, [value_info("y", [1, 4 * n])]))


def nested(depth):
    # Innermost body: an empty graph; each level wraps it in an If node.
    body = graph([], [], [], name="b")
    for _ in range(depth):
        body = graph([node("If", ["c"], ["y"], attrs=[attr_graph("then_branch", body)])], [], [], name="b")
    return model(body)


def small(nodes=None, inputs=None, outputs=None, infos=None, inits=()):
    """A two-node model x -> a -> y that the corpus entries mutate."""
    if nodes is None:
        nodes = [node("Relu", ["x"], ["a"], name="first"), node("Relu", ["a"], ["y"], name="second")]
    if inputs is None:
        inputs = [value_info("x", [1, 8])]
    if outputs is None:
        outputs = [value_info("y", [1, 8])]
    if infos is None:
        infos = [value_info("a", [1, 8])]
    return model(graph(nodes, inputs, outputs, infos, inits))


def corpus():
    """name -> bytes: each a model cosma must refuse with exit 2."""
    relu = lambda i, o, n: node("Relu", [i], [o], name=n)
    big = 1 << 40
    return {
        "not_protobuf.onnx": b"\x08\x07this is not a protobuf message at all \xff\xff\xff",
        "truncated.onnx": small()[:-7],
        "no_graph.onnx": field_varint(1, 8),
        "nested_deep.onnx": nested(60),
        "unknown_input.onnx": small(nodes=[relu("x", "a", "first"), relu("ghost", "y", "second")]),
        "no_op_type.onnx": small(nodes=[relu("x", "a", "first"), node(None, ["a"], ["y"], name="second")]),
        "cycle.onnx": small(nodes=[node("Add", ["x", "y"], ["a"], name="first"), relu("a", "y", "second")]),
        "two_producers.onnx": small(nodes=[relu("x", "a", "first"), relu("x", "a", "second"), relu("a", "y", "third")]),
        "no_shape.onnx": small(infos=[]),
        "symbolic_dim.onnx": small(infos=[value_info("a", [{"param": "batch"}, 8])]),
        "zero_dim.onnx": small(infos=[value_info("a", [0, 8])]),
        "string_type.onnx": small(infos=[value_info("a", [1, 8], elem_type=8)]),
        "unknown_type.onnx": small(infos=[value_info("a", [1, 8], elem_type=99)]),
        "size_overflow.onnx": small(infos=[value_info("a", [big, big, big])]),
        "bad_utf8_node.onnx": small(nodes=[relu("x", "a", "first"), node("Relu", ["a"], ["y"], name=b"sec\xffond")]),
        "bad_utf8_tensor.onnx": small(nodes=[relu("x", b"a\xc3", "first"), relu(b"a\xc3", "y", "second")],
                                      infos=[value_info(b"a\xc3", [1, 8])]),
        "overlong_utf8.onnx": small(nodes=[relu("x", "a", b"\xc0\xafx"), relu("a", "y", "second")]),
        "unnamed_input.onnx": small(inputs=[value_info("", [1, 8])]),
        "output_never_made.onnx": small(outputs=[value_info("y", [1, 8]), value_info("z", [1, 8])]),
        "empty_graph.onnx": model(graph([], [], [])),
        "constant_no_value.onnx": small(nodes=[node("Constant", [], ["c"], name="k"),
                                               node("Add", ["x", "c"], ["a"], name="first"), relu("a", "y", "second")]),
        "negative_dim.onnx": small(infos=[value_info("a", [1, -3])]),
        "unnamed_initializer.onnx": small(inits=[initializer("", [2, 2])]),
        # ONNX without the .onnx extension is recognised by its content.
        "model_without_extension.bin": small(nodes=[relu("x", "a", "first"), relu("nowhere", "y", "second")]),
    }


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    what = argv[1]
    if what == "corpus":
        for name, data in corpus().items():
            with open(os.path.join(argv[2], name), "wb") as f:
                f.write(data)
        return 0
    n = int(argv[2])
    data = {"chain": lambda: chain(n), "nested": lambda: nested(n), "samename": lambda: chain(n, True),
            "wide": lambda: wide(n)}[what]()
    with open(argv[3], "wb") as f:
        f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
