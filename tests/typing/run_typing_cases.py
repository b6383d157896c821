"""Check the typing cases: `pass_*.py` must type-check, `fail_*.py` must fail as marked.

A line of a case that ends with `# E: <code>` must draw a mypy error with that
code on that line; any other error, and any marked line without its error,
fails the run. So a loosened annotation in rpool (an `Any` that lets misuse
through) fails here, not silently in users' code.
Usage: python tests/typing/run_typing_cases.py  (mypy must be importable)
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path

from mypy import api

CASES = Path(__file__).parent / "cases"
SRC = Path(__file__).resolve().parents[2] / "src"
MARK = re.compile(r"#\s*E:\s*([a-z-]+)\s*$")
ERROR = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: .*\[(?P<code>[a-z-]+)\]$")


def expected_errors(case: Path) -> set[tuple[int, str]]:
    marks = set()
    for number, text in enumerate(case.read_text().splitlines(), start=1):
        found = MARK.search(text)
        if found:
            marks.add((number, found.group(1)))
    return marks


def reported_errors(case: Path) -> set[tuple[int, str]]:
    stdout, _, _ = api.run(
        ["--strict", "--no-incremental", "--show-error-codes", "--config-file=", str(case)]
    )
    errors = set()
    for text in stdout.splitlines():
        found = ERROR.match(text)
        if found:
            errors.add((int(found.group("line")), found.group("code")))
    return errors


def check(case: Path) -> int:
    """Print the verdict on one case; return its number of failures."""
    expected, reported = expected_errors(case), reported_errors(case)
    failures = 0
    if case.name.startswith("pass_") and expected:
        print(f"{case.name}: a pass_ case must not mark errors")
        failures += 1
    missing, unexpected = expected - reported, reported - expected
    for line, code in sorted(missing):
        print(f"{case.name}:{line}: expected a [{code}] error, mypy accepted the line")
    for line, code in sorted(unexpected):
        print(f"{case.name}:{line}: unexpected [{code}] error")
    failures += len(missing) + len(unexpected)
    verdict = "ok" if not failures else "FAILED"
    print(f"{verdict:6} {case.name}: {len(expected)} expected error(s)")
    return failures


def checker_catches_a_wrong_case() -> bool:
    """The checker itself must fail a case whose marks do not match mypy's errors."""
    with tempfile.TemporaryDirectory() as scratch:
        case = Path(scratch) / "fail_selftest.py"
        case.write_text("ok: int = 1  # E: assignment\nbad: int = 'x'\n")
        print("self-test, must report 2 failures:")
        return check(case) == 2


def main() -> int:
    # Resolve rpool from this checkout, whatever is installed.
    os.environ["MYPYPATH"] = str(SRC)
    failures = 0 if checker_catches_a_wrong_case() else 1
    cases = sorted(CASES.glob("*.py"))
    for case in cases:
        failures += check(case)
    print(f"typing cases: {len(cases)} files, {failures} failure(s)")
    return 1 if failures or not cases else 0


if __name__ == "__main__":
    sys.exit(main())
