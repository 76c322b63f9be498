#!/usr/bin/env python3
"""plan_corpus.py: writes the bad plan files of tests/data/bad/plan from one
valid plan of tests/data/tiny.yaml (tests/data/bad/plan_base.json), each
with one defect the reader or the verifier must report.

    python3 tests/tools/plan_corpus.py tests/data/bad/plan_base.json tests/data/bad/plan
"""
import json
import os
import sys


def text_edits(base):
    """name -> text: defects below the JSON level."""
    def sub(old, new, count=1):
        assert old in base, old
        return base.replace(old, new, count)
    return {
        "leading_zero.json": sub('"budget_bytes": 1048576', '"budget_bytes": 01048576'),
        "negative_zero.json": sub('"lower_bound_bytes": 0', '"lower_bound_bytes": -0'),
        "underflow.json": sub('"lower_bound_bytes": 0', '"lower_bound_bytes": 1e-400'),
        "overflow_number.json": sub('"lower_bound_bytes": 0', '"lower_bound_bytes": 1e400'),
        "nul_escape.json": sub('"method": "', '"method": "ilp\\u0000'),
        "invalid_utf8.json": sub('"method": "', '"method": "\xff'),
        "lone_surrogate.json": sub('"method": "', '"method": "\\ud800'),
        "control_char.json": sub('"method": "', '"method": "\x01'),
        "duplicate_key.json": sub('"budget_bytes": 1048576,', '"budget_bytes": 1048576, "budget_bytes": 1,'),
        "duplicate_key_among_many.json": sub('"budget_bytes": 1048576,', '"budget_bytes": 1048576, ' +
                                             "".join('"k%d": 0, ' % k for k in range(40)) + '"k7": 1,'),
        "trailing_garbage.json": base + "\n{}\n",
        "truncated.json": base[: len(base) // 2],
        "not_an_object.json": "[" + base + "]",
        "deep_arrays.json": sub('"budget_bytes"', '"x": ' + "[" * 2000 + "]" * 2000 + ', "budget_bytes"'),
        "unclosed_string.json": sub('"method": "ilp-joint', '"method": "ilp-joint\n'),
        "missing_comma.json": sub('"version": 1,', '"version": 1'),
        "trailing_comma.json": sub('"elem_bytes": 1}', '"elem_bytes": 1,}'),
        "bad_literal.json": sub('"params": false', '"params": flase'),
        "bad_escape.json": sub('"method": "', '"method": "\\q'),
        "single_quotes.json": sub('"status": "optimal"', "'status': 'optimal'"),
        "empty.json": "",
    }


def json_edits(plan):
    """name -> plan: defects in the content."""
    def edit(fn):
        p = json.loads(json.dumps(plan))
        fn(p)
        return p
    def setter(path, value):
        def fn(p):
            node = p
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
        return fn
    def delete(key):
        return lambda p: p.pop(key)
    return {
        "wrong_format.json": edit(setter(["format"], "other-plan")),
        "version_2.json": edit(setter(["version"], 2)),
        "hash_mismatch.json": edit(setter(["graph", "hash"], "0123456789abcdef")),
        "bad_hash.json": edit(setter(["graph", "hash"], "xyz")),
        "operator_count.json": edit(setter(["graph", "operators"], 4)),
        "unknown_operator.json": edit(setter(["schedule", 1], "nope")),
        "scheduled_twice.json": edit(setter(["schedule", 2], "conv1")),
        "unknown_tensor.json": edit(setter(["intervals", 1, "tensor"], "nope")),
        "bytes_mismatch.json": edit(setter(["intervals", 0, "bytes"], 193)),
        "first_zero.json": edit(setter(["intervals", 0, "first"], 0)),
        "last_before_first.json": edit(setter(["intervals", 2, "last"], 1)),
        "bad_begin.json": edit(setter(["intervals", 0, "begin"], "make")),
        "bad_end.json": edit(setter(["intervals", 0, "end"], "keep")),
        "totals_mismatch.json": edit(setter(["totals", "spill_bytes"], 1)),
        "fractional_offset.json": edit(setter(["intervals", 1, "offset"], 1.5)),
        "beyond_2_53.json": edit(setter(["intervals", 1, "offset"], 9007199254740993)),
        "negative_offset.json": edit(setter(["intervals", 1, "offset"], -64)),
        "string_budget.json": edit(setter(["budget_bytes"], "1MiB")),
        "missing_intervals.json": edit(delete("intervals")),
        "bad_status.json": edit(setter(["status"], "great")),
        "event_mismatch.json": edit(setter(["steps", 0, "events", 0, "offset"], 64)),
        "step_number.json": edit(setter(["steps", 1, "step"], 7)),
        "overlap.json": edit(setter(["intervals", 1, "offset"], 0)),
        "over_budget.json": edit(setter(["budget_bytes"], 1024)),
        # The verifier numbers intervals in file order, not sorted: "#0" is 'out'.
        "over_budget_reversed.json": edit(lambda p: (setter(["budget_bytes"], 1024)(p), p["intervals"].reverse())),
    }


def main(argv):
    base = open(argv[1], encoding="utf-8").read()
    out = argv[2]
    for name, text in text_edits(base).items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(text.encode("utf-8", "surrogateescape") if "\xff" not in text else text.encode("latin-1"))
    plan = json.loads(base)
    for name, p in json_edits(plan).items():
        with open(os.path.join(out, name), "w") as f:
            json.dump(p, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
