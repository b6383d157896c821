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
with REV's `get + release` if REV has no `acquire`), a wait served at its
first look (`_acquire.wait` called on a pool with an idle resource: every
step of a waiter but the park, from enqueuing to leaving; not compared if
REV has no `_acquire.py`), and a miss (`get()` on an exhausted pool).

    python -m tests.benchmarks.instructions --options [--python PATH ...]

counts `get + release` in the working tree only, on pools made with each
row of OPTIONS (the lifecycle and leak options, issue 12), and prints each
row's ratio to the row with every option off: what an option adds to a
round trip (docs/performance.md, "Lifecycle options").
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
import ast, sys
sys.path.insert(0, sys.argv[1])
from rpool import AutoScale, Pool, Static
class Res:
    @classmethod
    def new(cls, context): return cls()
    def reset(self): return True
    def ping(self): return True
options = ast.literal_eval(sys.argv[4]) if len(sys.argv) > 4 else {}
mode = AutoScale(initial=4, maximum=4) if options.pop("autoscale", False) else Static(count=4)
if options.pop("check", False):
    options["check"] = Res.ping
pool = Pool(Res, mode, **options)
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
elif operation == "wait, served at the first look + release":
    from rpool._acquire import wait
    for _ in range(count): wait(pool, 5.0).release()
else:
    held = [get() for _ in range(4)]
    for _ in range(count): get()
"""

OPERATIONS = (
    "get + release",
    "acquire() + release",
    "acquire(5.0) + release",
    "wait, served at the first look + release",
    "miss",
)
COUNT = 20_000

OPTIONS: dict[str, dict[str, object]] = {
    "every option off (Static 4)": {},
    "max_lifetime (Static 4)": {"max_lifetime": 3600.0},
    "max_lifetime + max_idle (AutoScale 4/4)": {
        "max_lifetime": 3600.0,
        "max_idle": 3600.0,
        "autoscale": True,
    },
    "check=Res.ping (Static 4)": {"check": True},
    "check=Res.ping, recheck_after=0.5": {"check": True, "recheck_after": 0.5},
    "leak_threshold=60.0 (Static 4)": {"leak_threshold": 60.0},
}
"""Pool options per row of `--options`; "autoscale" and "check" are LOOP's shorthands."""


def instructions(
    python: str, source: Path, operation: str, count: int, options: dict[str, object]
) -> int:
    """Instructions callgrind counts for the whole run of LOOP."""
    with tempfile.TemporaryDirectory() as scratch:
        result = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={scratch}/out",
             python, "-c", LOOP, str(source), operation, str(count), repr(options)],
            capture_output=True, text=True, check=True,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )  # fmt: skip
    found = re.search(r"refs:\s*([\d,]+)", result.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count in callgrind's output:\n{result.stderr}")
    return int(found.group(1).replace(",", ""))


def per_operation(
    python: str, source: Path, operation: str, options: dict[str, object] | None = None
) -> int:
    once = instructions(python, source, operation, COUNT, options or {})
    twice = instructions(python, source, operation, 2 * COUNT, options or {})
    return (twice - once) // COUNT


def options_table(pythons: list[str]) -> None:
    """`--options`: get + release per OPTIONS row, and its ratio to every option off."""
    print("| python | pool | instructions | ÷ every option off |")
    print("|---|---|---:|---:|")
    source = Path("src").resolve()
    for python in pythons:
        off = 0
        for row, options in OPTIONS.items():
            count = per_operation(python, source, "get + release", options)
            off = off or count
            print(f"| {python} | {row} | {count} | {count / off:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rev", nargs="?", default="HEAD~1")
    parser.add_argument("--python", action="append", help="interpreters (default: this one)")
    parser.add_argument("--options", action="store_true", help="the OPTIONS rows, this tree only")
    arguments = parser.parse_args()
    if arguments.options:
        options_table(arguments.python or [sys.executable])
        return
    with tempfile.TemporaryDirectory() as scratch:
        earlier = Path(scratch)
        archive = subprocess.run(
            ["git", "archive", arguments.rev, "src"], capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", scratch], input=archive, check=True)
        has_acquire = "def acquire" in (earlier / "src/rpool/_pool.py").read_text()
        has_wait = (earlier / "src/rpool/_acquire.py").exists()
        print(f"| python | operation | current | {arguments.rev} | ratio |")
        print("|---|---|---:|---:|---:|")
        for python in arguments.python or [sys.executable]:
            for operation in OPERATIONS:
                current = per_operation(python, Path("src").resolve(), operation)
                # Before acquire() existed, its cost is compared with get()'s.
                against = operation
                if operation.startswith("acquire") and not has_acquire:
                    against = "get + release"
                if operation.startswith("wait") and not has_wait:
                    print(f"| {python} | {operation} | {current} | — | — |")
                    continue
                base = per_operation(python, earlier / "src", against)
                note = "" if against == operation else f" ({against})"
                print(
                    f"| {python} | {operation} | {current} | {base}{note} | {current / base:.3f} |"
                )


if __name__ == "__main__":
    main()
