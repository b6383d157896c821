"""Concurrent histories with the lifecycle are linearizable: expiry, eviction, maintain(), resize().

Programs of tests/lincheck/lifecycle.py run on real threads, their clock an
injected count of ticks that the branches move; each history is checked
against the spec (tests/lincheck/spec.py, with its Evict, Pay, Lower and
Raise actions), and the pool's statistics against the resources' ground
truth once the threads end. A checker that accepts everything would pass
them all, so two tests show it rejecting: a real history with one eviction
(or payment) claimed of another resource, and the history of a pool with a
planted bug (the catalog's `evict-in-place`, whose sweep closes the cold
resource without taking it out of the free list).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings

from rpool import AutoScale, Static
from tests.conftest import record_checked
from tests.lincheck.lifecycle import LifecycleTrial, lifecycle_programs
from tests.probe import Event
from tests.programs import Command, Program, run_threads

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::RuntimeWarning")

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.usefixtures("tiny_switch_interval")
@settings(max_examples=20)
@given(program=lifecycle_programs())
def test_threaded_lifecycle_histories_are_linearizable(program: Program) -> None:
    """Gets that renew and sweep, releases that expire, maintain() and resize(), on threads."""
    for _ in range(3):
        trial = LifecycleTrial(program)
        try:
            run_threads(trial)
            trial.verify()
        finally:
            trial.release_all()
        stats = trial.pool.stats()
        events = [e for log in trial.lab.logs.values() for e in log]
        record_checked(
            "threaded lifecycle histories",
            linearizable=1,
            operations=sum(e.kind == "call" for e in events),
            expired=stats.expired,
            evicted=stats.evicted,
            resizes=stats.resizes,
            discarded=stats.discarded,
        )


CHURNING = Program(
    AutoScale(initial=0, maximum=4, chunk_size=0),
    (Command("get"),) * 4,
    (
        (Command("release"), Command("maintain"), Command("tick"), Command("maintain")),
        (Command("release"), Command("tick"), Command("get"), Command("maintain")),
        (Command("release"), Command("maintain"), Command("tick"), Command("release")),
    ),
)
"""Idle resources, ticks and sweeps in every branch: evictions race with hand-outs."""


@pytest.mark.usefixtures("tiny_switch_interval")
def test_threaded_evictions_racing_hand_outs_are_linearizable() -> None:
    evicted = 0
    for _ in range(20):
        trial = LifecycleTrial(CHURNING)
        try:
            run_threads(trial)
            trial.verify()
        finally:
            trial.release_all()
        evicted += trial.pool.stats().evicted
    record_checked("threaded eviction histories", linearizable=20, evicted=evicted)
    assert evicted > 0, "no eviction happened: the histories checked nothing of it"


def one_after_another(trial: LifecycleTrial) -> None:
    """Run the branches in turn, each to its end: a history with no overlap."""
    for branch in range(len(trial.program.branches)):
        thread = threading.Thread(target=trial.branch(branch))
        thread.start()
        thread.join()


def renumbered(trial: LifecycleTrial, kind: str, old: int, new: int) -> None:
    """Claim in the logs that the `kind` event of resource `old` was of `new`."""
    for log in trial.lab.logs.values():
        for i, event in enumerate(log):
            if event.kind == kind and event.number == old:
                log[i] = Event(event.t, event.process, kind, new, event.detail)
                return
    raise AssertionError(f"no {kind} event of r{old}")


EVICTING = Program(
    AutoScale(initial=1, maximum=4, chunk_size=1),
    (Command("get"),) * 4,
    (
        (Command("release"), Command("release"), Command("maintain")),
        (Command("release"), Command("release"), Command("tick"), Command("maintain")),
    ),
)
"""Four resources idle (two given back by each branch); the first maintain() marks the
cold end, the second, a tick later, evicts three, down to the floor of one."""


def test_the_checker_rejects_an_eviction_of_a_resource_not_on_top() -> None:
    trial = LifecycleTrial(EVICTING)
    try:
        one_after_another(trial)
        assert trial.pool.stats().evicted == 3
        assert trial.linearizability().ok
        closes = [e.number for log in trial.lab.logs.values() for e in log if e.kind == "close"]
        idle = [item for item in trial.free() if isinstance(item, int)]
        assert closes and idle
        # Claim that the first eviction took the resource still idle at the cold end.
        first = closes[0]
        assert first is not None
        renumbered(trial, "close", first, idle[0])
        assert not trial.linearizability().ok
    finally:
        trial.release_all()


def test_the_checker_rejects_a_payment_from_the_hot_end() -> None:
    program = Program(Static(3), (), ((Command("resize", 1),), (Command("tick"),)))
    trial = LifecycleTrial(program)
    try:
        one_after_another(trial)
        assert trial.pool.stats().capacity == 1
        assert trial.linearizability().ok
        paid = [e.number for log in trial.lab.logs.values() for e in log if e.kind == "close"]
        kept = [item for item in trial.free() if isinstance(item, int)]
        assert len(paid) == 2 and len(kept) == 1
        # The payments take the cold end: claim one took the hot (kept) resource.
        first = paid[0]
        assert first is not None
        renumbered(trial, "close", first, kept[0])
        assert not trial.linearizability().ok
    finally:
        trial.release_all()


PLANTED = """
import sys
from tests.lincheck.lifecycle import LifecycleTrial
from tests.test_lifecycle_parallel import EVICTING, one_after_another
trial = LifecycleTrial(EVICTING)
one_after_another(trial)
print("linearizable" if trial.linearizability().ok else "rejected")
"""


def run_planted(mutant: str, tmp: Path) -> str:
    """Run EVICTING, in a child process, on rpool with the catalog's `mutant` applied."""
    from tests.mutants.catalog import MUTANTS
    from tests.mutants.run import prepare

    copy = prepare(next(m for m in MUTANTS if m.name == mutant), tmp)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(copy), str(ROOT)])}
    done = subprocess.run(
        [sys.executable, "-c", PLANTED], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_checker_rejects_the_history_of_a_sweep_that_evicts_in_place(tmp_path: Path) -> None:
    """evict-in-place closes the cold resource but leaves it in the free list.

    The same program's history on the real code passes (the eviction test above).
    """
    assert run_planted("evict-in-place", tmp_path) == "rejected"
