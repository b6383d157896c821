"""CrossHair over the PEP 316 contracts, and the planted contract bugs it must refute.

The contract-carrying modules are checked with a time limit per condition.
CrossHair's verdict on each condition is one of

- "confirmed over all paths": it explored every execution path, so the
  condition holds for every input meeting the preconditions (a proof, for
  code whose paths it can exhaust);
- "not confirmed": no counterexample within the time limit (paths were
  left unexplored: evidence, not proof);
- an error: a counterexample, which fails the build.

Each planted bug (mutant.CONTRACT_BUGS) must be refuted: CrossHair, run on
the mutated copy of its function, must report a counterexample.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .mutant import Mutant, plant_file

__all__ = ["BUG_TIMEOUT", "TARGETS", "CancelledError", "Condition", "Report", "Session"]

REPO = Path(__file__).resolve().parents[2]

TARGETS = {
    "src/rpool/_scale.py": 3,
    "src/rpool/_stats.py": 10,
    "tests/conformance/spec_contracts.py": 3,
}
"""The modules whose contracts CI checks, with CrossHair's time limit per condition (s).

derive() in _stats.py has few enough paths for CrossHair to exhaust them,
given the time: it is confirmed over all paths, and a confirmed condition
ends its search early, so the longer limit costs nothing while the proof
holds. The others loop over unbounded inputs: no limit exhausts them.
"""

BUG_TIMEOUT = 6
"""Seconds per condition for a planted bug: ample, since a refutation ends the search."""

_VERDICT = re.compile(r"^(?P<path>.+?):(?P<line>\d+): (?P<level>info|error): (?P<message>.*)$")


@dataclass(frozen=True, slots=True)
class Condition:
    """CrossHair's verdict on the condition at `path`:`line`."""

    path: str
    line: int
    verdict: str
    """"confirmed", "unconfirmed" or "refuted"."""
    message: str
    text: str
    """The condition's source line."""


@dataclass(frozen=True, slots=True)
class Report:
    """One CrossHair run."""

    conditions: tuple[Condition, ...]
    code: int
    output: str
    seconds: float

    def count(self, verdict: str) -> int:
        return sum(condition.verdict == verdict for condition in self.conditions)


class CancelledError(Exception):
    """The session was cancelled."""


class Session:
    """CrossHair runs, one at a time; `cancel()` (from any thread) ends them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self._cancelled = False

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            if self._process is not None:
                self._process.kill()

    def check(self) -> Report:
        """CrossHair on every contract in TARGETS, one run per time limit."""
        reports = [
            self._crosshair([path for path, limit in TARGETS.items() if limit == timeout], timeout)
            for timeout in sorted(set(TARGETS.values()))
        ]
        return Report(
            tuple(condition for report in reports for condition in report.conditions),
            max(report.code for report in reports),
            "".join(report.output for report in reports),
            sum(report.seconds for report in reports),
        )

    def refute(self, bug: Mutant, scratch: Path) -> Report:
        """CrossHair on the function `bug` plants its error in, in a mutated copy."""
        path = plant_file(bug, scratch)
        lines = path.read_text().splitlines()
        line = next(i for i, text in enumerate(lines, 1) if f"def {bug.function}(" in text)
        return self._crosshair([f"{path}:{line}"], BUG_TIMEOUT)

    def _crosshair(self, targets: list[str], timeout: int) -> Report:
        command = [sys.executable, "-m", "crosshair", "check", "--analysis_kind=PEP316"]
        command += [f"--per_condition_timeout={timeout}", "--report_all", *targets]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "src")])}
        start = time.monotonic()
        with self._lock:
            if self._cancelled:
                raise CancelledError
            self._process = subprocess.Popen(
                command,
                cwd=REPO,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        stdout, stderr = self._process.communicate()
        code = self._process.returncode
        if self._cancelled:
            raise CancelledError
        return _report(stdout, stderr, code, time.monotonic() - start)


def _report(stdout: str, stderr: str, code: int, seconds: float) -> Report:
    conditions = []
    for line in stdout.splitlines():
        found = _VERDICT.match(line)
        if found is None:
            continue
        path, number, message = found["path"], int(found["line"]), found["message"]
        if found["level"] == "error":
            verdict = "refuted"
        else:
            verdict = (
                "confirmed" if message.startswith("Confirmed over all paths") else "unconfirmed"
            )
        lines = Path(path).read_text().splitlines() if Path(path).is_file() else []
        text = lines[number - 1].strip() if 0 < number <= len(lines) else ""
        shown = str(Path(path).resolve().relative_to(REPO)) if path.startswith(str(REPO)) else path
        conditions.append(Condition(shown, number, verdict, message, text))
    return Report(tuple(conditions), code, stdout + stderr, seconds)
