"""The scenarios, and the order in which they measure the subjects.

Every scenario measures all its subjects in each repetition, one right after
another, starting with a different subject each time: a figure and the figure
it is compared with are taken moments apart, so the ratios between them hold
even when the machine's load drifts between repetitions.

Results are kept raw, one value per repetition, under a scenario key such as
"round trip" or "threads=8", then the subject's name.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from .breakdown import RUNGS
from .resources import StallingConnection
from .subject import Misses, Subject, WithStatement
from .timing import CLOCKS, calibrate, ns_per_op, throughput

__all__ = ["UNITS", "Results", "Settings", "run_scenarios"]

#: scenario key -> subject name -> one value per repetition.
Results = dict[str, dict[str, list[float]]]

#: The unit of each kind of scenario key ("threads=4" is a "threads" key).
UNITS = {
    "round trip": "ns/op",
    "with": "ns/op",
    "exhausted": "ns/op",
    "growth": "ns/resource",
    "breakdown": "ns/op",
    "threads": "ops/s",
    "stall": "ops/s",
}

#: A threaded loop checks its clock every this long (one `round_trips` call).
_CHUNK_NS = 50_000

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Settings:
    """How long and how often to measure."""

    repetitions: int
    """Samples per figure; the tables show their median and range."""
    sample_ns: int
    """Target length of one single-thread sample."""
    thread_ns: int
    """Length of one threaded sample, per thread."""
    growth_size: int
    """N of the growth scenario: a pool grows from empty to N resources."""
    thread_counts: tuple[int, ...] = (1, 2, 4, 8, 16)
    stall_others: int = 3
    """Threads that keep working while one thread is stuck in its reset."""
    clock: str = "wall"
    """The clock of single-thread figures, a key of `timing.CLOCKS`."""


def _rotated(items: Sequence[T], by: int) -> list[T]:
    by %= len(items)
    return [*items[by:], *items[:by]]


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _per_op(
    settings: Settings, results: Results, key: str, loops: Mapping[str, Callable[[int], None]]
) -> None:
    """Measure each subject's loop (by subject name) single-threaded, in ns per operation."""
    clock = CLOCKS[settings.clock]
    counts = {name: calibrate(loop, settings.sample_ns, clock)[0] for name, loop in loops.items()}
    results[key] = {name: [] for name in loops}
    for repetition in range(settings.repetitions):
        for name in _rotated(list(loops), repetition):
            results[key][name].append(ns_per_op(loops[name], counts[name], clock))


def _growth(settings: Settings, results: Results, kinds: Sequence[type[Subject]]) -> None:
    """Time `take_all()` on fresh, empty pools of `growth_size`: ns per resource."""
    size = settings.growth_size

    def once(kind: type[Subject]) -> float:
        subject = kind(size, prefill=False)
        cost = ns_per_op(lambda _: subject.take_all(), 1, CLOCKS[settings.clock]) / size
        subject.give_back_all()
        return cost

    # Enough pools per sample to fill sample_ns, from a first estimate.
    pools = {kind.name: max(1, int(settings.sample_ns / (once(kind) * size))) for kind in kinds}
    results["growth"] = {kind.name: [] for kind in kinds}
    for repetition in range(settings.repetitions):
        for kind in _rotated(kinds, repetition):
            costs = [once(kind) for _ in range(pools[kind.name])]
            results["growth"][kind.name].append(sum(costs) / len(costs))


def _chunks(subjects: Sequence[Subject]) -> dict[str, int]:
    """Round trips per `round_trips` call in threaded loops: about `_CHUNK_NS` each.

    The cost per round trip is the least of five estimates, each over about
    a hundred chunks' worth of round trips: an estimate that a cold start or
    another process inflated would make the chunks so short that calling
    `round_trips` and reading the clock between them would dominate.
    """
    estimates = {
        s.name: min(calibrate(s.round_trips, 100 * _CHUNK_NS)[1] for _ in range(5))
        for s in subjects
    }
    return {name: max(1, int(_CHUNK_NS / cost)) for name, cost in estimates.items()}


def _threads(settings: Settings, results: Results, kinds: Sequence[type[Subject]]) -> None:
    """Aggregate round trips per second of 1, 2, 4, ... threads sharing one pool."""
    subjects = {kind.name: kind(max(settings.thread_counts)) for kind in kinds}
    chunks = _chunks(list(subjects.values()))
    for count in settings.thread_counts:
        key = f"threads={count}"
        _say(f"  {key}")
        results[key] = {kind.name: [] for kind in kinds}
        for repetition in range(settings.repetitions):
            for kind in _rotated(kinds, repetition):
                rate = throughput(
                    subjects[kind.name].round_trips, count, settings.thread_ns, chunks[kind.name]
                )
                results[key][kind.name].append(rate)


@contextmanager
def _one_thread_stuck(subject: Subject) -> Iterator[None]:
    """Keep one extra thread doing round trips whose reset takes 1 ms each."""
    stop = threading.Event()
    stalling = threading.Event()

    def stall() -> None:
        StallingConnection.stuck_thread = threading.get_ident()
        subject.round_trips(1)  # its first stall has begun and ended: it is running
        stalling.set()
        while not stop.is_set():
            subject.round_trips(1)

    thread = threading.Thread(target=stall)
    thread.start()
    stalling.wait()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        StallingConnection.stuck_thread = None


def _stall(settings: Settings, results: Results, kinds: Sequence[type[Subject]]) -> None:
    """The others' throughput without, then with, one thread stuck in a 1 ms reset."""
    others = settings.stall_others
    # Room for every thread, so that nobody ever finds the pool empty.
    subjects = {kind.name: kind(others + 2, StallingConnection) for kind in kinds}
    chunks = _chunks(list(subjects.values()))
    free, stuck = "stall: none", "stall: one stuck"
    results[free] = {kind.name: [] for kind in kinds}
    results[stuck] = {kind.name: [] for kind in kinds}
    for repetition in range(settings.repetitions):
        for kind in _rotated(kinds, repetition):
            subject, chunk = subjects[kind.name], chunks[kind.name]
            rate = throughput(subject.round_trips, others, settings.thread_ns, chunk)
            results[free][kind.name].append(rate)
            with _one_thread_stuck(subject):
                rate = throughput(subject.round_trips, others, settings.thread_ns, chunk)
            results[stuck][kind.name].append(rate)


def run_scenarios(
    settings: Settings,
    kinds: Sequence[type[Subject]],
    stall_kinds: Sequence[type[Subject]],
) -> Results:
    """Run every scenario over `kinds` (the stall scenario over `stall_kinds`)."""
    results: Results = {}
    subjects = [kind(max(settings.thread_counts)) for kind in kinds]
    _say("round trip: get + release")
    _per_op(settings, results, "round trip", {s.name: s.round_trips for s in subjects})
    _say("round trip: with statement")
    loops = {s.name: s.with_round_trips for s in subjects if isinstance(s, WithStatement)}
    _per_op(settings, results, "with", loops)
    _say("exhausted get")
    empty = [kind(1) for kind in kinds]
    for subject in empty:
        subject.take_all()
    # The floor has no "nothing left" answer: the exhausted pools are compared
    # with its round trip.
    loops = {s.name: s.misses for s in empty if isinstance(s, Misses)}
    _per_op(settings, results, "exhausted", loops)
    for subject in empty:
        subject.give_back_all()
    _say("breakdown of rpool's round trip")
    _per_op(settings, results, "breakdown", {name: make() for name, make in RUNGS})
    _say(f"growth from empty to {settings.growth_size}")
    _growth(settings, results, kinds)
    _say("threads")
    _threads(settings, results, kinds)
    _say("one thread stuck in a 1 ms reset")
    _stall(settings, results, stall_kinds)
    return results
