#!/usr/bin/env python3
"""function_length.py: fails when a C function under the given folders is
longer than the limit (issue 7: none in planner/ over 120 lines), counting
from its first line to its closing brace.  Usage: function_length.py LIMIT DIR..."""
import pathlib
import re
import sys


def functions(text):
    """(first line, last line) of every top-level brace block that follows a signature."""
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    text = re.sub(r'"(\\.|[^"\\\n])*"', '""', text)
    lines = text.split("\n")
    depth, start = 0, None
    for number, line in enumerate(lines, 1):
        for ch in line:
            if ch == "{":
                if depth == 0:
                    start = number
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0 and start is not None:
                    first = start
                    # the signature: back to the line after the previous blank or ';' / '}' line
                    while first > 1 and lines[first - 2].strip() and not lines[first - 2].rstrip().endswith((";", "}")):
                        first -= 1
                    if re.match(r"^[A-Za-z_].*\(", lines[first - 1]):
                        yield first, number


def main():
    limit = int(sys.argv[1])
    long_ones = []
    for folder in sys.argv[2:]:
        for path in sorted(pathlib.Path(folder).rglob("*.c")):
            for first, last in functions(path.read_text()):
                if last - first + 1 > limit:
                    long_ones.append(f"{path}:{first}: {last - first + 1} lines (limit {limit})")
    print("\n".join(long_ones) if long_ones else f"every function is at most {limit} lines")
    return 1 if long_ones else 0


if __name__ == "__main__":
    sys.exit(main())
