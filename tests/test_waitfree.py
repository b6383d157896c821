"""Wait-freedom: an operation's own steps do not grow with the others' work.

The crate's grower pushed the resources it made and then retried its pop, so
other threads could take them, again and again: one get() ran for as long as
others kept winning (lock-free, not wait-free). rpool's grower keeps the last
resource it makes and never retries.

Each scenario is a subject operation (thread 0) on a pool that other threads
use at the same time. An adversary schedules them: one step of the subject,
then `gap` steps of the others, and again, so the others can complete whole
operations between any two steps of the subject. The test runs every gap from
1 to 40 with the others doing a little work, then a lot (four times as many
operations), and counts the subject's scheduling points: every atomic step of
the code and every callback. Wait-free means the worst count does not grow
with the others' work, up to which of its bounded paths the subject happens to
take: each of its at most two takes may find the deque non-empty in its
emptiness test and emptied at its pop, one step more each (`TAKE_RACES`). A
retry loop grows far past that: each of the others' extra operations is one
more chance to take what the subject just pushed.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from rpool import AutoScale, Static
from rpool.testing._scheduler import Scheduler
from tests.programs import Command, Program, Trial
from tests.scheduler.instrument import ScheduledPool

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::RuntimeWarning")

G, R = Command("get"), Command("release")

# A get() takes from the free list at most twice (the second time after
# adopting an orphan), and each take may cost one step more under a race.
TAKE_RACES = 2


class Adversary:
    """One step of thread 0, then `gap` steps of the others in turn, and again."""

    def __init__(self, gap: int) -> None:
        self.gap = gap
        self.since = gap  # the subject goes first

    def choose(self, runnable: Sequence[int], current: int | None) -> int:
        others = [t for t in runnable if t != 0]
        if 0 in runnable and (self.since >= self.gap or not others):
            self.since = 0
            return 0
        self.since += 1
        return others[self.since % len(others)]


# (subject, the others' commands); the others' work is repeated `times` times.
SCENARIOS: dict[str, tuple[Static | AutoScale, tuple[Command, ...], tuple[Command, ...]]] = {
    "get that grows a chunk": (AutoScale(chunk_size=3), (G,), (G, G, R)),
    "get that grows, bounded": (AutoScale(maximum=40, chunk_size=2), (G,), (G, R, G)),
    "get that reuses": (Static(count=3), (G,), (G, R)),
    "release with a replacement": (
        Static(count=3),
        (Command("release", reset=("false",)),),
        (G, R),
    ),
}


def worst_subject_steps(
    mode: Static | AutoScale, subject: tuple[Command, ...], work: tuple[Command, ...], times: int
) -> int:
    worst = 0
    for gap in range(1, 41):
        prefix = (G,) if subject[0].kind == "release" else ()
        program = Program(mode, prefix, (subject, work * times, work * times))
        trial = Trial(program, ScheduledPool)
        try:
            run = Scheduler(Adversary(gap)).run(trial.programs())
        finally:
            trial.release_all()
        assert not run.errors and run.blocked is None, run.describe()
        worst = max(worst, sum(1 for step in run.steps if step.thread == 0))
    return worst


@pytest.mark.parametrize("name", SCENARIOS)
def test_an_operations_steps_do_not_grow_with_the_others_work(name: str) -> None:
    mode, subject, work = SCENARIOS[name]
    little = worst_subject_steps(mode, subject, work, times=1)
    lots = worst_subject_steps(mode, subject, work, times=4)
    assert lots <= little + TAKE_RACES, f"{little} steps beside little work, {lots} beside lots"
