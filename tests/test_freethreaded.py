"""The free-threaded build's atomicity claims (docs/design.md, "The atomic steps"), each stressed.

design.md argues every atomic step of the pool for both builds of CPython; on
the free-threaded build (3.13t) the argument rests on CPython's per-object
locks and atomic loads, cited there. Each test here runs one such step from
two or more threads released together by a `threading.Barrier`, many times,
and checks the claim on the outcome:

- Claim: `list.pop()` on a guard's one-element box, by two threads at once:
  exactly one gets the resource;
- counters: `next()` on a `Tally` (an `itertools.count`) from both cores: no
  increment lost, no value handed out twice;
- snapshot: `deque.copy()` under concurrent change, whose RuntimeError
  `_freelist.snapshot` retries: the retries are counted, and on 3.13 they
  are taken (gh-144809: the copy is not atomic there);
- CheckClosed and SetClosed: loads and stores of `Pool._closed` racing
  `get()`;
- `deque += tuple` (`deque.__iadd__`), from several threads at once, with
  `pop()` and `append()` racing it: each `+=` lands whole, nothing is lost or
  doubled.

All of them run on the GIL builds too, with the switch interval at its
minimum, where they are weaker: the GIL makes each step atomic, and the
threads only take turns. On 3.13t with `-X gil=0` (`make test-ft`) the threads
run at the same time on different cores. The session's closing summary says
how much each test checked.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from types import FrameType
from typing import Any

import pytest

from rpool import Pool, PoolClosedError, PoolGuard, Static
from rpool._freelist import Grant, snapshot
from rpool._stats import Tally
from tests.conftest import gil_enabled, record_checked

from .resources import Res, Script

pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    # On the GIL build, switch threads as often as the interpreter can.
    pytest.mark.usefixtures("tiny_switch_interval"),
]


class SpinBarrier:
    """A barrier whose waiters spin, so that on different cores they leave it at once.

    `threading.Barrier` wakes its waiters one by one, tens of microseconds
    apart: long enough for the first to finish a short race alone. Here each
    party appends to a list (atomic) and spins until the round is full (`len`
    is an atomic load); each thread passes its own round number.
    """

    def __init__(self, parties: int) -> None:
        self.parties = parties
        self.arrivals: list[None] = []

    def wait(self, round_: int) -> None:
        self.arrivals.append(None)
        target = (round_ + 1) * self.parties
        while len(self.arrivals) < target:
            pass


def together(
    *bodies: Callable[[], None],
    prepare: Mapping[Callable[[], None], Callable[[], object]] | None = None,
) -> None:
    """Run each body on its own thread, released at once (`SpinBarrier`); re-raise errors.

    `prepare[body]`, if given, runs in body's thread before the start.
    """
    started = threading.Barrier(len(bodies))
    start = SpinBarrier(len(bodies))
    errors: list[BaseException] = []

    def main(body: Callable[[], None]) -> None:
        if prepare is not None and body in prepare:
            prepare[body]()
        started.wait()
        start.wait(0)
        try:
            body()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=main, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


# --- Claim: list.pop() on a one-element box ------------------------------------


def test_two_threads_popping_one_box_exactly_one_wins() -> None:
    rounds = 3000
    items = [object() for _ in range(rounds)]
    boxes = [[item] for item in items]
    wins: list[list[object]] = [[], []]
    start = SpinBarrier(2)

    def claimer(me: int) -> Callable[[], None]:
        def body() -> None:
            mine = wins[me]
            for round_, box in enumerate(boxes):
                start.wait(round_)  # both threads pop the same box at the same moment
                with contextlib.suppress(IndexError):
                    mine.append(box.pop())

        return body

    together(claimer(0), claimer(1))
    won = wins[0] + wins[1]
    assert len(won) == rounds  # in every round exactly one thread won...
    assert {id(item) for item in won} == {id(item) for item in items}  # ...its own box's item
    record_checked(
        "box claimed by two threads", rounds=rounds, won_by_the_rarer=min(map(len, wins))
    )


def test_a_guard_released_by_two_threads_at_once_gives_its_resource_back_once() -> None:
    rounds = 500
    script = Script()
    pool = Pool(Res, Static(1), script)
    guards: list[PoolGuard[Res] | None] = [None]
    start = SpinBarrier(2)

    def releaser(me: int) -> Callable[[], None]:
        def body() -> None:
            for round_ in range(rounds):
                if me == 0:
                    guards[0] = pool.get()
                start.wait(2 * round_)  # the guard is there
                guard = guards[0]
                assert guard is not None
                guard.release()
                start.wait(2 * round_ + 1)  # both releases are over

        return body

    together(releaser(0), releaser(1))
    assert len(script.resets) == rounds
    s = pool.stats()
    assert (s.capacity, s.idle, s.in_use) == (1, 1, 0)
    record_checked("guard released by two threads", rounds=rounds)


# --- counters: next() on an itertools.count -----------------------------------


def test_tally_increments_from_both_cores_are_none_lost_and_none_doubled() -> None:
    per_thread = 200_000
    tally = Tally()
    seen: list[list[int]] = [[], []]

    def counter(me: int) -> Callable[[], None]:
        def body() -> None:
            values = seen[me]
            for _ in range(per_thread):
                values.append(next(tally))

        return body

    together(counter(0), counter(1))
    assert tally.value == 2 * per_thread
    assert sorted(seen[0] + seen[1]) == list(range(2 * per_thread))
    # The threads really interleaved: each got values from the other's range.
    interleaved = min(max(seen[0]), max(seen[1])) > per_thread // 2
    record_checked("tally increments", increments=2 * per_thread, interleaved=int(interleaved))


# --- snapshot: deque.copy() under concurrent change ------------------------------


class CopyCounter:
    """Counts, by a profile hook in the calling thread, calls of `deque.copy` and the raises."""

    def __init__(self) -> None:
        self.calls = 0
        self.raised = 0

    def hook(self, frame: FrameType, event: str, arg: Any) -> None:
        if getattr(arg, "__qualname__", None) == "deque.copy":
            if event == "c_call":
                self.calls += 1
            elif event == "c_exception":
                self.raised += 1


def test_snapshot_under_concurrent_change_retries_and_counts_right() -> None:
    # The free list as a pool lays it out: grants left, idle resources right.
    # One thread takes and gives back a resource as fast as it can; the other
    # takes snapshots meanwhile. Each must see the grants whole and either all
    # the resources or all but the one in flight. The profile hook counts the
    # copies snapshot() made and how many raised, each raise being one retry.
    idle, spare = 20, 7
    free: deque[Any] = deque([Grant(3), Grant(4), *(object() for _ in range(idle))])
    changes = 100_000
    counter = CopyCounter()
    results: list[tuple[int, int]] = []
    during = [0]  # snapshots that ended while the changer was still at work
    done = threading.Event()

    def changer() -> None:
        # At least `changes` changes; where copies can fail, on until the
        # reader has retried a few times (or 3 s are up), so that the retry
        # path is surely taken however the two threads were scheduled.
        deadline = time.perf_counter() + 3
        try:
            for _ in range(changes):
                free.append(free.pop())
            while not gil_enabled() and counter.raised < 20 and time.perf_counter() < deadline:
                for _ in range(1000):
                    free.append(free.pop())
        finally:
            done.set()

    def reader() -> None:
        try:
            while True:
                results.append(snapshot(free))
                if done.is_set():
                    break
                during[0] += 1
        finally:
            sys.setprofile(None)

    started = time.perf_counter()
    # The hook is installed before the start: installing it stops the world.
    together(changer, reader, prepare={reader: lambda: sys.setprofile(counter.hook)})
    seconds = time.perf_counter() - started
    assert results
    assert set(results) <= {(idle, spare), (idle - 1, spare)}
    retries = counter.raised
    assert counter.calls == len(results) + retries
    record_checked(
        "snapshot under change",
        snapshots=len(results),
        during_change=during[0],
        retries=retries,
        ms=round(seconds * 1000),
    )
    if gil_enabled():
        assert retries == 0  # one C call that runs no Python code: atomic under the GIL
    elif sys.version_info[:2] == (3, 13):
        # gh-144809: 3.13t copies under the lock, but the copy's own iteration
        # re-enters the lock and may suspend it, so a change lands mid-copy.
        assert retries > 0


def test_snapshot_retries_until_a_copy_succeeds() -> None:
    # The retry loop on its own, on any build: a deque whose copy fails as a
    # 3.13t copy does under a concurrent change, a given number of times.
    class Flaky(deque[Any]):
        failures = 5
        calls = 0

        def copy(self) -> deque[Any]:  # type: ignore[override]
            Flaky.calls += 1
            if Flaky.calls <= Flaky.failures:
                raise RuntimeError("deque mutated during iteration")
            return deque(self)

    assert snapshot(Flaky([Grant(2), object(), object()])) == (2, 2)
    assert Flaky.calls == Flaky.failures + 1


# --- CheckClosed and SetClosed: the _closed slot racing get() -------------------


def test_get_racing_close_sees_the_flag_and_leaves_nothing_idle() -> None:
    rounds = 300
    gets_before_close = 0
    for _ in range(rounds):
        script = Script()
        pool = Pool(Res, Static(2), script)
        outcome: list[int] = []

        def getter(pool: Pool[Script, Res] = pool, outcome: list[int] = outcome) -> None:
            gets = 0
            while True:
                try:
                    guard = pool.get()
                except PoolClosedError:
                    break
                gets += 1
                if guard is not None:
                    guard.release()
            outcome.append(gets)

        together(getter, pool.close)
        gets_before_close += outcome[0]
        s = pool.stats()
        assert pool.closed
        assert (s.idle, s.capacity, s.in_use) == (0, 0, 0)
        assert all(resource.closed for resource in script.made)
        with pytest.raises(PoolClosedError):
            pool.get()
    record_checked("get racing close", rounds=rounds, gets=gets_before_close)


class Falsy:
    """A fresh, false object: a store of one into `_closed` changes reference counts."""

    def __bool__(self) -> bool:
        return False


def test_stores_to_the_closed_slot_race_loads_in_get_safely() -> None:
    # Stores of fresh objects into the slot free the old value; on the
    # free-threaded build a racing load must still get a live object (member
    # loads take a reference safely, gh-117657). The getters read the slot in
    # every get(); a checker reads it directly.
    stores = 50_000
    pool = Pool(Res, Static(2), Script())
    stop = threading.Event()
    loads = [0]

    def writer() -> None:
        try:
            for _ in range(stores):
                pool._closed = Falsy()
        finally:
            stop.set()

    def getter() -> None:
        while not stop.is_set():
            guard = pool.get()
            assert guard is not None
            guard.release()

    def checker() -> None:
        while not stop.is_set():
            assert type(pool._closed) is Falsy
            loads[0] += 1

    pool._closed = Falsy()
    together(writer, getter, checker)
    pool._closed = False
    s = pool.stats()
    assert (s.capacity, s.idle, s.in_use) == (2, 2, 0)
    record_checked("closed slot stores racing loads", stores=stores, loads=loads[0])


# --- deque += tuple, racing pop() and append() ------------------------------------


class Holder:
    """Holds a deque in a slot, as the pool does: `holder.items += (x,)` loads, adds, stores."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: deque[int] = deque()


def test_deque_iadd_from_several_threads_lands_whole_beside_append() -> None:
    # Three threads add pairs with +=, one appends singles; with nothing
    # taken, every pair must end up adjacent and in order.
    pairs = 20_000
    holder = Holder()

    def adder(base: int) -> Callable[[], None]:
        def body() -> None:
            for i in range(pairs):
                holder.items += (base + 2 * i, base + 2 * i + 1)

        return body

    def appender() -> None:
        for i in range(pairs):
            holder.items.append(-1 - i)

    bases = (0, 10_000_000, 20_000_000)
    together(*(adder(base) for base in bases), appender)
    items = list(holder.items)
    assert len(items) == len(bases) * pairs * 2 + pairs
    position = {item: index for index, item in enumerate(items)}
    assert len(position) == len(items)
    for base in bases:
        for i in range(pairs):
            first = base + 2 * i
            assert position[first + 1] == position[first] + 1, f"pair {first} torn"
    record_checked("deque += tuple beside append", adds=len(bases) * pairs, appends=pairs)


def test_deque_iadd_racing_pop_loses_and_doubles_nothing() -> None:
    # As `orphans += (item,)` will race the adopters' `orphans.pop()`: every
    # item added is popped once or left in the deque once.
    per_thread = 30_000
    holder = Holder()
    popped: list[int] = []
    adders_done = threading.Event()
    finished = [0]
    lock = threading.Lock()

    def adder(base: int) -> Callable[[], None]:
        def body() -> None:
            try:
                for i in range(per_thread):
                    holder.items += (base + i,)
            finally:
                with lock:
                    finished[0] += 1
                    if finished[0] == 2:
                        adders_done.set()

        return body

    def popper() -> None:
        items = holder.items
        while not adders_done.is_set() or items:
            with contextlib.suppress(IndexError):
                popped.append(items.pop())

    together(adder(0), adder(1_000_000), popper)
    everything = popped + list(holder.items)
    expected = [*range(per_thread), *range(1_000_000, 1_000_000 + per_thread)]
    assert sorted(everything) == expected
    record_checked("deque += tuple racing pop", adds=2 * per_thread, pops=len(popped))
