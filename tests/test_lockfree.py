"""Lock-freedom: a thread stopped forever, at any point, never stops the others.

For each scenario (reuse, growth by a chunk, a failing new(), release, a
failing reset with and without replacement, close, an orphan's adoption),
each thread in turn is the victim: the scheduler runs the scenario and, once
the victim has taken k steps, never lets it run again; k ranges over every
scheduling point the victim reaches, under two interleavings of the others
(non-preemptive, and switching at every step). The others must finish all
their operations without blocking (a thread that does not reach its next
scheduling point within the timeout is blocked, for instance on a lock the
victim holds), and what they did must still be linearizable, with the
victim's pending operation allowed to have taken effect or not.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from rpool import AutoScale, Static
from rpool.testing._choosers import ScriptChooser
from rpool.testing._scheduler import Chooser, Scheduler
from tests.programs import Command, Program, Trial
from tests.scheduler.instrument import ScheduledPool

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::RuntimeWarning")

# A thread that is not blocked reaches its next point in microseconds; this
# only bounds how long a blocked run takes to be reported.
TIMEOUT = 2.0

G, R = Command("get"), Command("release")

SCENARIOS = {
    "reuse": Program(Static(count=2), (), ((G, R), (G, R), (G, R))),
    "growth by a chunk": Program(AutoScale(maximum=4, chunk_size=2), (), ((G, G), (G, R))),
    "failing new": Program(
        AutoScale(maximum=3, chunk_size=2), (), ((Command("get", new=("ok", "raise")), G), (G,))
    ),
    "unbounded growth": Program(AutoScale(chunk_size=0), (G,), ((R, G), (G, G))),
    "release": Program(Static(count=2), (G, G), ((R, G), (R, G))),
    "failing reset": Program(
        AutoScale(initial=2, maximum=2), (G, G), ((Command("release", reset=("false",)), G), (R, G))
    ),
    "replacement": Program(
        Static(count=2),
        (G, G),
        ((Command("release", reset=("raise",)), G), (Command("release", reset=("false",)), G)),
    ),
    "failing replacement": Program(
        Static(count=1), (G,), ((Command("release", reset=("false",), new=("raise",)), G), (G,))
    ),
    "close": Program(AutoScale(initial=1, maximum=3), (G,), ((R, G), (Command("close"),), (G,))),
    "orphan": Program(Static(count=2), (G, G), ((Command("drop"), G), (R, G))),
}

CHOOSERS: dict[str, Callable[[], Chooser]] = {
    "run on": lambda: ScriptChooser([]),
    "switch every step": lambda: ScriptChooser([1] * 10_000),
}


def steps_taken(program: Program, chooser: Chooser, victim: int) -> int:
    trial = Trial(program, ScheduledPool)
    run = Scheduler(chooser, timeout=TIMEOUT).run(trial.programs())
    trial.release_all()
    assert run.blocked is None and not run.errors, run.describe()
    return sum(1 for step in run.steps if step.thread == victim)


@pytest.mark.parametrize("chooser", CHOOSERS)
@pytest.mark.parametrize("name", SCENARIOS)
def test_a_thread_stopped_at_any_point_never_blocks_the_others(name: str, chooser: str) -> None:
    program = SCENARIOS[name]
    for victim in range(len(program.branches)):
        total = steps_taken(program, CHOOSERS[chooser](), victim)
        for k in range(1, total):
            trial = Trial(program, ScheduledPool)
            scheduler = Scheduler(
                CHOOSERS[chooser](),
                after_step=lambda step, trial=trial: trial.check_step(),  # type: ignore[misc]
                stop=lambda thread, taken, k=k, victim=victim: thread == victim and taken >= k,  # type: ignore[misc]
                timeout=TIMEOUT,
            )
            with scheduler.running(trial.programs()) as run:
                where = f"victim T{victim} stopped after {k} steps\n{run.describe()}"
                assert run.blocked is None, where
                assert run.failure is None, f"{run.failure}\n{where}"
                assert not run.errors, f"{run.errors}\n{where}"
                others = set(range(len(program.branches))) - {victim}
                assert others <= run.finished, where
                trial.verify(stopped=[victim])
            trial.release_all()
