"""Oversubscribed waiting (issue 11): more workers than resources, each waiting its turn.

    python -m tests.benchmarks.waiting [--quick] [--repetitions N] [--seconds S] [--json PATH]

A pool of 4 resources is shared by 16 threads, or by 64 asyncio tasks on one
event loop. Each worker takes a resource (waiting up to 5 s), holds it, gives
it back and starts again, until its time is up. Measured in each sample, per
subject:

- throughput: all workers' acquisitions over the span from the first start to
  the last end (acquisitions per second);
- wait: `perf_counter_ns` just before the call that takes a resource to just
  after it returns, for every acquisition; p50, p99 and max over all workers;
- fairness: the most acquisitions any worker made ÷ the fewest (1 is fair);
- timeouts: acquisitions that gave up after 5 s (they count in none of the above);
- the same three for the acquisitions that waited: the share of them, p50
  and p99 of their waits, and the most of them any worker made ÷ the
  fewest. FIFO is a promise to callers who wait: an acquisition served at
  once, with nobody waiting, takes its turn from no one. To tell the two
  apart, each worker first tries once without waiting and waits only if
  that found nothing: rpool's `get()`, then `acquire()` (which is what
  `acquire()` itself does first, so a wait costs one more miss, about half
  a microsecond), and `get_nowait()` or a look under the lock for the hand-
  rolled peers. SQLAlchemy's `QueuePool` has no way to try once, so these
  figures are left blank for it.

A hold gives up the CPU while it lasts, as waiting for a server would.
Threads hold with `time.sleep(50e-6)`, which releases the GIL; a busy-wait
would keep the GIL, so the holder would run on for up to a switch interval
(5 ms) and the benchmark would measure the GIL's hand-over, not the pools'.
Linux's timer slack (50 µs by default) stretches that sleep to about 120 µs
here. Tasks hold by yielding to the loop (`await asyncio.sleep(0)`) until
50 µs have passed, so other tasks run meanwhile and the hold lasts as long
whatever the pool. `await asyncio.sleep(50e-6)` would not: the loop waits for
a timer in `epoll`, in whole milliseconds, when no task is ready, but checks
it at every turn when some are, so a pool whose waiters wake for nothing
would keep the loop turning and hold for 50 µs where another holds for 1 ms.
The report prints how long a hold lasts, and the throughput that 4 resources
held that long allow. With hold 0, threads give the resource straight back
and tasks yield once: a task that never awaits while holding keeps the loop,
so no other task would ever wait.

Subjects: rpool's `acquire(timeout=...)` and `acquire_async(timeout=...)`;
SQLAlchemy's `QueuePool(pool_size=4, max_overflow=0, timeout=5)`; pools on a
`queue.Queue` (FIFO) and a `queue.LifoQueue` (`get(timeout=...)`, `put`); a
list and a `threading.Condition` (`wait_for` with a timeout); and for tasks an
`asyncio.Queue` (`await get()` under `asyncio.timeout`, `put_nowait`). Every
pool resets the resource when it comes back, as rpool does. A repetition
measures every workload's subjects one after another, each repetition starting
from a different subject; the report quotes medians over repetitions, and each
ratio is the median of the ratios within one repetition.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":  # as run.py: the repository root replaces this directory
    sys.path.pop(0)
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import asyncio
import dataclasses
import json
import math
import queue
import statistics
import threading
from collections.abc import Awaitable, Callable, Sequence
from importlib.util import find_spec
from itertools import chain
from time import perf_counter_ns, sleep
from typing import Any

from rpool import Pool, Static
from tests.benchmarks import sample_settings
from tests.benchmarks.goals import Goal
from tests.benchmarks.report import format_rate, format_time, format_times, goals_table
from tests.benchmarks.report import markdown_table as table
from tests.benchmarks.resources import FakeConnection
from tests.benchmarks.subject import BenchmarkError
from tests.benchmarks.summary import ratio, summarize
from tests.benchmarks.timing import _collector_paused as collector_paused

__all__ = [
    "FULL",
    "QUICK",
    "WaitingResults",
    "WaitingSettings",
    "check_goals",
    "measured_holds",
    "record",
    "render",
    "run",
]

CAPACITY = 4
THREADS = 16
TASKS = 64
HOLD_NS = 50_000
TIMEOUT = 5.0
RPOOL = "rpool"

#: A worker's loop: (until, hold, at_once, waited) -> timeouts, in ns. It appends each
#: acquisition's wait to `waited` if trying once found nothing, else to `at_once`.
ThreadLoop = Callable[[int, int, list[int], list[int]], int]
TaskLoop = Callable[[int, int, list[int], list[int]], Awaitable[int]]
#: workload -> subject -> measure -> one value per repetition.
WaitingResults = dict[str, dict[str, dict[str, list[float]]]]


@dataclasses.dataclass(frozen=True, slots=True)
class WaitingSettings:
    repetitions: int
    seconds: float
    """Length of one sample: each worker's time to keep acquiring."""


FULL = WaitingSettings(repetitions=5, seconds=1.0)
QUICK = WaitingSettings(repetitions=3, seconds=0.2)


class QueuePool:
    """Idle resources in a `queue.Queue` or `queue.LifoQueue`; `get` waits on the queue."""

    def __init__(self, idle: queue.Queue[FakeConnection]) -> None:
        self._idle = idle
        for _ in range(CAPACITY):
            idle.put_nowait(FakeConnection.new(None))

    def get(self, timeout: float) -> FakeConnection:
        return self._idle.get(True, timeout)

    def try_get(self) -> FakeConnection | None:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            return None

    def put(self, resource: FakeConnection) -> None:
        self._idle.put_nowait(resource if resource.reset() else FakeConnection.new(None))


class ConditionPool:
    """Idle resources in a list; waiters wait on a `threading.Condition` over a Lock."""

    def __init__(self) -> None:
        self._idle = [FakeConnection.new(None) for _ in range(CAPACITY)]
        self._changed = threading.Condition(threading.Lock())

    def get(self, timeout: float) -> FakeConnection:
        with self._changed:
            if not self._changed.wait_for(self._idle.__len__, timeout):
                raise TimeoutError
            return self._idle.pop()

    def try_get(self) -> FakeConnection | None:
        with self._changed:
            return self._idle.pop() if self._idle else None

    def put(self, resource: FakeConnection) -> None:
        resource = resource if resource.reset() else FakeConnection.new(None)
        with self._changed:
            self._idle.append(resource)
            self._changed.notify()


class AsyncQueuePool:
    """Idle resources in an `asyncio.Queue`; `get` waits on it under `asyncio.timeout`."""

    def __init__(self) -> None:
        self._idle: asyncio.Queue[FakeConnection] = asyncio.Queue()
        for _ in range(CAPACITY):
            self._idle.put_nowait(FakeConnection.new(None))

    async def get(self, timeout: float) -> FakeConnection:
        async with asyncio.timeout(timeout):
            return await self._idle.get()

    def try_get(self) -> FakeConnection | None:
        try:
            return self._idle.get_nowait()
        except asyncio.QueueEmpty:
            return None

    def put(self, resource: FakeConnection) -> None:
        self._idle.put_nowait(resource if resource.reset() else FakeConnection.new(None))


async def _yield_for(ns: int) -> None:
    """A task's hold: yield to the loop once, then again until `ns` have passed."""
    end = perf_counter_ns() + ns
    await asyncio.sleep(0)
    while perf_counter_ns() < end:
        await asyncio.sleep(0)


# Each subject's worker loop is written in the subject's own API, as a user
# would, so no adapter call sits between the two clock readings.


def _rpool_threads() -> ThreadLoop:
    pool = Pool(FakeConnection, Static(count=CAPACITY))
    get, acquire = pool.get, pool.acquire

    def loop(until: int, hold: int, at_once: list[int], waited: list[int]) -> int:
        clock, timeouts, seconds = perf_counter_ns, 0, hold / 1e9
        now = clock()
        while now < until:
            guard = get()
            served = at_once
            try:
                if guard is None:
                    guard = acquire(timeout=TIMEOUT)
                    served = waited
            except TimeoutError:
                timeouts += 1
            else:
                served.append(clock() - now)
                if seconds:
                    sleep(seconds)
                guard.release()
            now = clock()
        return timeouts

    return loop


def _sqlalchemy_threads() -> ThreadLoop:
    # Imported here: the free-threaded environment has no SQLAlchemy.
    from sqlalchemy.exc import TimeoutError as QueuePoolTimeout
    from sqlalchemy.pool import QueuePool as SQLAlchemyPool

    # A DB-API connection in SQLAlchemy's types has cursor(), commit(), ...;
    # the fake has only what QueuePool calls, hence Any.
    def creator() -> Any:
        return FakeConnection.new(None)

    pool = SQLAlchemyPool(creator, pool_size=CAPACITY, max_overflow=0, timeout=TIMEOUT)
    # QueuePool starts empty: fill it, as the other pools start full.
    for connection in [pool.connect() for _ in range(CAPACITY)]:
        connection.close()
    connect = pool.connect

    def loop(until: int, hold: int, at_once: list[int], waited: list[int]) -> int:
        clock, timeouts, seconds = perf_counter_ns, 0, hold / 1e9
        now = clock()
        while now < until:
            try:
                connection = connect()
            except QueuePoolTimeout:
                timeouts += 1
            else:
                at_once.append(clock() - now)  # or waited: it cannot tell (CANNOT_TRY_ONCE)
                if seconds:
                    sleep(seconds)
                connection.close()
            now = clock()
        return timeouts

    return loop


def _handrolled_threads(pool: QueuePool | ConditionPool) -> ThreadLoop:
    try_get, get, put = pool.try_get, pool.get, pool.put

    def loop(until: int, hold: int, at_once: list[int], waited: list[int]) -> int:
        clock, timeouts, seconds = perf_counter_ns, 0, hold / 1e9
        now = clock()
        while now < until:
            resource = try_get()
            served = at_once
            try:
                if resource is None:
                    resource = get(TIMEOUT)
                    served = waited
            except (queue.Empty, TimeoutError):
                timeouts += 1
            else:
                served.append(clock() - now)
                if seconds:
                    sleep(seconds)
                put(resource)
            now = clock()
        return timeouts

    return loop


def _rpool_tasks() -> TaskLoop:
    pool = Pool(FakeConnection, Static(count=CAPACITY))
    get, acquire = pool.get, pool.acquire_async

    async def loop(until: int, hold: int, at_once: list[int], waited: list[int]) -> int:
        clock, timeouts = perf_counter_ns, 0
        now = clock()
        while now < until:
            guard = get()
            served = at_once
            try:
                if guard is None:
                    guard = await acquire(timeout=TIMEOUT)
                    served = waited
            except TimeoutError:
                timeouts += 1
            else:
                served.append(clock() - now)
                await _yield_for(hold)
                guard.release()
            now = clock()
        return timeouts

    return loop


def _queue_tasks() -> TaskLoop:
    pool = AsyncQueuePool()
    try_get, get, put = pool.try_get, pool.get, pool.put

    async def loop(until: int, hold: int, at_once: list[int], waited: list[int]) -> int:
        clock, timeouts = perf_counter_ns, 0
        now = clock()
        while now < until:
            resource = try_get()
            served = at_once
            try:
                if resource is None:
                    resource = await get(TIMEOUT)
                    served = waited
            except TimeoutError:
                timeouts += 1
            else:
                served.append(clock() - now)
                await _yield_for(hold)
                put(resource)
            now = clock()
        return timeouts

    return loop


#: Makers of a fresh pool's worker loop, by subject name; a pool lives for one sample.
THREAD_SUBJECTS: dict[str, Callable[[], ThreadLoop]] = {
    RPOOL: _rpool_threads,
    "queue.Queue": lambda: _handrolled_threads(QueuePool(queue.Queue())),
    "queue.LifoQueue": lambda: _handrolled_threads(QueuePool(queue.LifoQueue())),
    "Condition + list": lambda: _handrolled_threads(ConditionPool()),
}
if find_spec("sqlalchemy") is not None:
    THREAD_SUBJECTS["SQLAlchemy QueuePool"] = _sqlalchemy_threads
#: Subjects whose acquisitions cannot be told apart: all are recorded as served at once.
CANNOT_TRY_ONCE = frozenset({"SQLAlchemy QueuePool"})
TASK_SUBJECTS: dict[str, Callable[[], TaskLoop]] = {
    RPOOL: _rpool_tasks,
    "asyncio.Queue": _queue_tasks,
}


def _nearest_rank(ordered: Sequence[int], fraction: float) -> float:
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def _most_by_fewest(counts: list[int]) -> float:
    return max(counts) / min(counts) if min(counts) else math.inf


def _figures(
    at_once: list[list[int]], waited: list[list[int]], spans: list[tuple[int, int, int]]
) -> dict[str, float]:
    """One sample's measures, from each worker's waits (served at once, waited) and spans.

    `spans` holds each worker's (start, end, timeouts). The figures of waited
    acquisitions are NaN where none waited.
    """
    ordered = sorted(chain(*at_once, *waited))
    if not ordered:
        raise BenchmarkError("no worker acquired anything")
    parked = sorted(chain(*waited))
    span = max(end for _, end, _ in spans) - min(start for start, _, _ in spans)
    return {
        "throughput": len(ordered) * 1e9 / span,
        "p50": _nearest_rank(ordered, 0.5),
        "p99": _nearest_rank(ordered, 0.99),
        "max": ordered[-1],
        "fairness": _most_by_fewest(
            [len(a) + len(w) for a, w in zip(at_once, waited, strict=True)]
        ),
        "timeouts": sum(timeouts for _, _, timeouts in spans),
        "waited": len(parked) / len(ordered),
        "waited p50": _nearest_rank(parked, 0.5) if parked else math.nan,
        "waited p99": _nearest_rank(parked, 0.99) if parked else math.nan,
        "waited fairness": _most_by_fewest([len(w) for w in waited]) if parked else math.nan,
    }


def _threads(make: Callable[[], ThreadLoop], hold: int, seconds: float) -> dict[str, float]:
    """One sample of `THREADS` threads sharing the pool of a fresh `make()`."""
    loop = make()
    duration = int(seconds * 1e9)
    at_once: list[list[int]] = [[] for _ in range(THREADS)]
    waited: list[list[int]] = [[] for _ in range(THREADS)]
    spans: list[tuple[int, int, int]] = []
    barrier = threading.Barrier(THREADS)

    def work(mine: list[int], mine_waited: list[int]) -> None:
        barrier.wait()
        start = perf_counter_ns()
        timeouts = loop(start + duration, hold, mine, mine_waited)
        spans.append((start, perf_counter_ns(), timeouts))  # list.append is atomic

    workers = [
        threading.Thread(target=work, args=lists) for lists in zip(at_once, waited, strict=True)
    ]
    with collector_paused():
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    return _figures(at_once, waited, spans)


def _tasks(make: Callable[[], TaskLoop], hold: int, seconds: float) -> dict[str, float]:
    """One sample of `TASKS` tasks sharing the pool of a fresh `make()`, on a new event loop."""
    duration = int(seconds * 1e9)
    at_once: list[list[int]] = [[] for _ in range(TASKS)]
    waited: list[list[int]] = [[] for _ in range(TASKS)]
    spans: list[tuple[int, int, int]] = []

    async def sample() -> None:
        loop = make()  # in the running loop, which asyncio.Queue binds itself to
        go = asyncio.Event()

        async def work(mine: list[int], mine_waited: list[int]) -> None:
            await go.wait()
            start = perf_counter_ns()
            timeouts = await loop(start + duration, hold, mine, mine_waited)
            spans.append((start, perf_counter_ns(), timeouts))

        tasks = [asyncio.create_task(work(*lists)) for lists in zip(at_once, waited, strict=True)]
        await asyncio.sleep(0)  # every task is now waiting for the start
        go.set()
        await asyncio.gather(*tasks)

    with collector_paused():
        asyncio.run(sample())
    return _figures(at_once, waited, spans)


@dataclasses.dataclass(frozen=True, slots=True)
class _Workload:
    name: str
    hold: int
    sample: Callable[[Any, int, float], dict[str, float]]
    subjects: dict[str, Callable[[], Any]]


WORKLOADS = (
    _Workload(f"{THREADS} threads, hold 0", 0, _threads, THREAD_SUBJECTS),
    _Workload(f"{THREADS} threads, hold 50 µs", HOLD_NS, _threads, THREAD_SUBJECTS),
    _Workload(f"{TASKS} tasks, hold 0", 0, _tasks, TASK_SUBJECTS),
    _Workload(f"{TASKS} tasks, hold 50 µs", HOLD_NS, _tasks, TASK_SUBJECTS),
)


def measured_holds(times: int = 101) -> dict[str, float]:
    """How long a hold of `HOLD_NS` lasts here, in ns: median of `times`, in a thread and a task."""
    lengths = []
    for _ in range(times):
        start = perf_counter_ns()
        sleep(HOLD_NS / 1e9)
        lengths.append(perf_counter_ns() - start)

    async def in_task() -> float:
        lengths = []
        for _ in range(times):
            start = perf_counter_ns()
            await _yield_for(HOLD_NS)
            lengths.append(perf_counter_ns() - start)
        return statistics.median(lengths)

    return {"thread": statistics.median(lengths), "task": asyncio.run(in_task())}


def run(settings: WaitingSettings) -> WaitingResults:
    """Every workload's subjects, `settings.repetitions` times, interleaved."""
    results: WaitingResults = {w.name: {name: {} for name in w.subjects} for w in WORKLOADS}
    for repetition in range(settings.repetitions):
        print(
            f"waiting: repetition {repetition + 1} of {settings.repetitions}",
            file=sys.stderr,
            flush=True,
        )
        for w in WORKLOADS:
            names = list(w.subjects)
            shift = repetition % len(names)
            for name in names[shift:] + names[:shift]:
                figures = w.sample(w.subjects[name], w.hold, settings.seconds)
                for measure, value in figures.items():
                    results[w.name][name].setdefault(measure, []).append(value)
    return results


def check_goals(results: WaitingResults) -> list[Goal]:
    """Issue 11's goals: rpool against the best peer at 16 threads, its fairness and tail."""
    goals = []
    for w in (w for w in WORKLOADS if w.sample is _threads):
        subjects = results[w.name]
        peers = [figures["throughput"] for name, figures in subjects.items() if name != RPOOL]
        best = [max(rates) for rates in zip(*peers, strict=True)]
        goals.append(
            Goal(
                f"{w.name}: rpool ÷ best peer (throughput)",
                ratio(subjects[RPOOL]["throughput"], best),
                1.5,
                False,
            )
        )
    for w in WORKLOADS:
        ours = results[w.name][RPOOL]
        goals += [
            Goal(
                f"{w.name}: rpool's most ÷ fewest acquisitions per worker",
                statistics.median(ours["fairness"]),
                1.5,
                True,
            ),
            Goal(f"{w.name}: rpool's p99 ÷ p50 wait", ratio(ours["p99"], ours["p50"]), 3, True),
            # Where FIFO applies: among the acquisitions that waited (module docstring).
            Goal(
                f"{w.name}: rpool's most ÷ fewest waits per worker",
                statistics.median(ours["waited fairness"]),
                1.5,
                True,
            ),
            Goal(
                f"{w.name}: rpool's p99 ÷ p50 of waits",
                ratio(ours["waited p99"], ours["waited p50"]),
                3,
                True,
            ),
        ]
    return goals


def _waited_cells(name: str, figures: dict[str, list[float]]) -> list[str]:
    """The share, p50 / p99 and most ÷ fewest of the acquisitions that waited."""
    if name in CANNOT_TRY_ONCE:
        return ["—", "—", "—"]
    share = f"{statistics.median(figures['waited']):.0%}"
    # NaN in a sample where nobody waited: the median of the others.
    median = {
        m: statistics.median([v for v in figures[m] if not math.isnan(v)] or [math.nan])
        for m in ("waited p50", "waited p99", "waited fairness")
    }
    if math.isnan(median["waited p50"]):
        return [share, "—", "—"]
    return [
        share,
        f"{format_time(median['waited p50'])} / {format_time(median['waited p99'])}",
        format_times(median["waited fairness"]),
    ]


def render(
    results: WaitingResults,
    goals: Sequence[Goal],
    settings: WaitingSettings,
    holds: dict[str, float],
) -> str:
    """The waiting benchmark's part of the report, as Markdown."""
    thread_hold, task_hold = holds["thread"], holds["task"]
    lines = [
        f"### Waiting: {CAPACITY} resources, {THREADS} threads or {TASKS} asyncio tasks",
        "",
        f"Medians of {settings.repetitions} samples of {settings.seconds:g} s. A hold of "
        f"50 µs lasted {format_time(thread_hold)} in a thread (`time.sleep`) and "
        f"{format_time(task_hold)} in a task (yielding): {CAPACITY} resources "
        f"held that long allow at most {format_rate(CAPACITY * 1e9 / thread_hold)} and "
        f"{format_rate(CAPACITY * 1e9 / task_hold)} acquisitions.",
        "",
    ]
    header = [
        "subject",
        "acquisitions/s (min – max)",
        "p50 wait",
        "p99 wait",
        "max wait",
        "most ÷ fewest",
        "waited",
        "p50 / p99 of waits",
        "most ÷ fewest waits",
        "rpool ÷ it",
    ]
    for w in WORKLOADS:
        subjects = results[w.name]
        rows = []
        for name, figures in subjects.items():
            rate = summarize(figures["throughput"])
            rows.append(
                [
                    name,
                    f"{format_rate(rate.median)} ({format_rate(rate.low)} – "
                    f"{format_rate(rate.high)})",
                    *(format_time(statistics.median(figures[m])) for m in ("p50", "p99", "max")),
                    format_times(statistics.median(figures["fairness"])),
                    *_waited_cells(name, figures),
                    format_times(ratio(subjects[RPOOL]["throughput"], figures["throughput"])),
                ]
            )
        lines += [f"#### {w.name}", "", *table(header, rows)]
        timeouts = [f"{name} {sum(f['timeouts']):g}" for name, f in subjects.items()]
        if any(sum(f["timeouts"]) for f in subjects.values()):
            lines += [f"Timeouts, all samples together: {', '.join(timeouts)}.", ""]
    lines += goals_table(goals, "Goals of the waiting benchmark (medians over repetitions)")
    return "\n".join(lines)


def record(
    settings: WaitingSettings, holds: dict[str, float], results: WaitingResults
) -> dict[str, Any]:
    """What the JSON file of a run keeps of this benchmark: settings, holds and raw results."""
    return {"settings": dataclasses.asdict(settings), "holds_ns": holds, "results": results}


def main(argv: list[str] | None = None) -> None:
    settings, json_path = sample_settings.parse(__doc__, FULL, QUICK, argv)
    holds = measured_holds()
    results = run(settings)
    goals = check_goals(results)
    print(render(results, goals, settings, holds))
    if json_path:
        json_path.write_text(json.dumps(record(settings, holds, results), indent=1) + "\n")


if __name__ == "__main__":
    main()
