"""Trace logging: one ndjson line per atomic step of a scheduled run, for TLC.

A `TraceLog` is the scheduler's `after_step` listener, so it exists only in
scheduled runs: the pool itself carries no logging code and pays nothing.
After each step it reads the model's observed variables off the pool
(`Harness.observe`) and writes a line

    {"run": 1, "line": 7, "step": 12, "p": 2, "action": "TakeFree", "op": "free.pop",
     "free": [-1, 2], "orphans": [], "closed": false, "held": [[1], []]}

`p` is the model's process (0 the collector, 1.. the clients), `action` the
model's label for the step (the scheduling point's name) and the rest the
values of the model's variables after the step. An Orphan step is always the
collector's (`p` 0), whichever thread ran the finalizer: on the free-threaded
build a guard's finalizer runs in the thread that made the guard, when it is
next let go, and its line then also says `"thread"`, that thread's number.
Line 1 of each run is the pool as constructed (action "Init"). `call` on an
Idle line is the call the client picked ("get", "acquire", "release",
"close"). In waiting runs (models/TraceWaiting.tla) a line also has
`waiters` and `alive` (harness.py).

Steps that are no model action (thread start, counter updates, the stats
copy, the collector's pause before a drop, a step cut short by a finalizer)
are not logged; the log checks they changed no observed variable. Two kinds
of counter increment are model steps, though:

- `misses.next` is Miss, the step that counts a None result;
- `created.next` and `failed.next`, which record how the user's `new()`
  ended, are Create: the model creates a resource in one step, in which the
  caller also takes it (into its guard, or towards the free list), and in
  the code that happens after `new()` returns, in the step that begins at
  this counter. The scheduling point at the start of `new()` (op "new")
  therefore logs nothing: `new()` itself changes no model variable the code
  shows.

And one snapshot: `waiters.copy` (in `ring_all`, close()'s WakeAll) changes
nothing, but is a step of Waiting.tla (WakeAll_copy), so it is logged.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from rpool.testing._scheduler import Step

from .harness import Harness, Observed

__all__ = ["COLLECTOR", "TraceLog", "UnloggedChangeError", "model_action", "write_ndjson"]


class UnloggedChangeError(Exception):
    """A step that is no model action changed a model variable: the instrumentation is wrong."""


def model_action(step: Step) -> str | None:
    """The model action a scheduler step is logged as, or None if it is none."""
    if step.op in _COUNTED:
        return _COUNTED[step.op]
    if step.action in (None, "Start") or step.op == "new":
        return None
    return step.action


_COUNTED = {
    "misses.next": "Miss",
    "created.next": "Create",
    "failed.next": "Create",
    "waiters.copy": "WakeAll",
}

COLLECTOR = 0
"""The model's process that takes every Orphan step (models/FreeList.tla)."""


class TraceLog:
    """Collects the trace of one scheduled run of `harness` (run number `run`)."""

    def __init__(self, harness: Harness, run: int = 1) -> None:
        self.harness = harness
        self.run = run
        self.last = harness.observe()
        self.lines: list[dict[str, object]] = []
        self._add(-1, 0, "Init", "init", self.last)

    def after_step(self, step: Step) -> None:
        """The scheduler's `after_step`: log `step` with the state it left."""
        action = model_action(step)
        self.harness.settle(step)
        seen = self.harness.observe()
        if action is None:
            if seen != self.last:
                raise UnloggedChangeError(
                    f"step {step.index} (T{step.thread} {step.op}) is no model action "
                    f"but changed the state: {self.last} -> {seen}"
                )
            return
        process = COLLECTOR if action == "Orphan" else step.thread
        self._add(step.index, process, action, step.op, seen)
        if process != step.thread:
            self.lines[-1]["thread"] = step.thread
        if action == "Idle":
            self.lines[-1]["call"] = self.harness.calls[step.thread]
        self.last = seen

    def _add(self, index: int, process: int, action: str, op: str, seen: Observed) -> None:
        line: dict[str, object] = {
            "run": self.run,
            "line": len(self.lines) + 1,
            "step": index,
            "p": process,
            "action": action,
            "op": op,
        }
        line.update(seen.as_json())
        self.lines.append(line)


def write_ndjson(lines: Iterable[dict[str, object]], path: Path) -> None:
    """Write `lines` as ndjson (one JSON object per line), as TLC's ndJsonDeserialize reads."""
    with path.open("w") as out:
        for line in lines:
            out.write(json.dumps(line, separators=(",", ":")) + "\n")
