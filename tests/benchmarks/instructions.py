"""Instructions per operation, counted by callgrind: a cost comparison immune to load.

Usage (from the repository root; needs `valgrind`):

    python -m tests.benchmarks.instructions [REV] [--python PATH ...]

Each operation runs in a fresh interpreter under `valgrind --tool=callgrind`
twice, for N and 2N iterations; the difference divided by N is the cost of
one operation, with start-up and imports cancelled out. `REV` (default
`HEAD~1`) is read with `git archive` and measured the same way, so the table
compares the working tree with it. Hash randomization is off, so two runs
give the same counts to within a few instructions. The operations:
`get + release`, `acquire() + release` and `acquire(5.0) + release` (compared
with REV's `get + release` if REV has no `acquire`), and a miss (`get()` on
an exhausted pool).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["main"]

LOOP = """
import sys
sys.path.insert(0, sys.argv[1])
from rpool import Pool, Static
class Res:
    @classmethod
    def new(cls, context): return cls()
    def reset(self): return True
pool = Pool(Res, Static(count=4))
operation, count = sys.argv[2], int(sys.argv[3])
get = pool.get
if operation == "get + release":
    for _ in range(count): get().release()
elif operation == "acquire() + release":
    acquire = pool.acquire
    for _ in range(count): acquire().release()
elif operation == "acquire(5.0) + release":
    acquire = pool.acquire
    for _ in range(count): acquire(5.0).release()
else:
    held = [get() for _ in range(4)]
    for _ in range(count): get()
"""

OPERATIONS = ("get + release", "acquire() + release", "acquire(5.0) + release", "miss")
COUNT = 20_000


def instructions(python: str, source: Path, operation: str, count: int) -> int:
    """Instructions callgrind counts for the whole run of LOOP."""
    with tempfile.TemporaryDirectory() as scratch:
        result = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={scratch}/out",
             python, "-c", LOOP, str(source), operation, str(count)],
            capture_output=True, text=True, check=True,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )  # fmt: skip
    found = re.search(r"refs:\s*([\d,]+)", result.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count in callgrind's output:\n{result.stderr}")
    return int(found.group(1).replace(",", ""))


def per_operation(python: str, source: Path, operation: str) -> int:
    once = instructions(python, source, operation, COUNT)
    twice = instructions(python, source, operation, 2 * COUNT)
    return (twice - once) // COUNT


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rev", nargs="?", default="HEAD~1")
    parser.add_argument("--python", action="append", help="interpreters (default: this one)")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        earlier = Path(scratch)
        archive = subprocess.run(
            ["git", "archive", arguments.rev, "src"], capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", scratch], input=archive, check=True)
        has_acquire = "def acquire" in (earlier / "src/rpool/_pool.py").read_text()
        print(f"| python | operation | current | {arguments.rev} | ratio |")
        print("|---|---|---:|---:|---:|")
        for python in arguments.python or [sys.executable]:
            for operation in OPERATIONS:
                current = per_operation(python, Path("src").resolve(), operation)
                # Before acquire() existed, its cost is compared with get()'s.
                against = operation
                if operation.startswith("acquire") and not has_acquire:
                    against = "get + release"
                base = per_operation(python, earlier / "src", against)
                note = "" if against == operation else f" ({against})"
                print(
                    f"| {python} | {operation} | {current} | {base}{note} | {current / base:.3f} |"
                )


if __name__ == "__main__":
    main()
