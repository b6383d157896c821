"""Regression tests for issue 9, points 1 to 5: exceptions that land between the pool's steps.

Each test reproduces, deterministically, a break found in the code before
commit 18ac515 (a RecursionError or a KeyboardInterrupt landing in the glue
between two atomic steps, a BaseException from a resource's close(), a
finalizer that ran user code, a copied guard), and asserts the guarantee it
broke. Where the exact point an exception lands depends on the stack or on
the code's lines, a test tries every point in a range, so that it does not
depend on either.

Only the public API and tests/resources.py are used, so the file also runs
against older copies of rpool (PYTHONPATH=old/src:.), where it must fail.
"""

from __future__ import annotations

import copy
import gc
import logging
import pickle
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import pytest

from rpool import AutoScale, Pool, PoolGuard, PoolStats, Static
from tests.resources import Res, Script

# --- helpers -------------------------------------------------------------------


def depth() -> int:
    """The number of Python frames on the stack, this one's caller included."""
    frame: FrameType | None = sys._getframe(1)
    count = 0
    while frame is not None:
        count += 1
        frame = frame.f_back
    return count


def at_depth(frames: int, call: Callable[[], object]) -> object:
    """Run `call` `frames` Python frames deeper than the caller."""
    if frames <= 0:
        return call()
    return at_depth(frames - 1, call)


def live(script: Script) -> int:
    """Resources made and not closed: what exists, whatever the pool counts."""
    return len(script.made) - len(script.closed)


def whole(stats: PoolStats) -> bool:
    return stats.capacity == stats.idle + stats.in_use + stats.creating


# --- 1. RecursionError ---------------------------------------------------------


def nest(pool: Pool[Script, Res]) -> None:
    """Take one more resource inside every `with`, until the stack runs out."""
    guard = pool.get()
    assert guard is not None
    with guard:
        nest(pool)


def test_recursion_error_in_nested_with_loses_no_capacity() -> None:
    script = Script()
    pool = Pool(Res, AutoScale(0, 5000), script)
    with pytest.raises(RecursionError):
        nest(pool)
    assert_nothing_lost(script, pool)


def assert_nothing_lost(script: Script, pool: Pool[Script, Res]) -> None:
    stats = pool.stats()
    assert whole(stats), stats
    assert stats.creating == 0, stats
    # Every resource is idle or waits among the orphans: none is lost.
    assert stats.capacity == live(script) == stats.idle + stats.in_use, stats
    pool.close()
    stats = pool.stats()
    assert (stats.capacity, stats.idle, stats.in_use, stats.creating) == (0, 0, 0, 0), stats
    assert live(script) == 0


def test_recursion_error_at_any_depth_of_a_growth_loses_no_capacity() -> None:
    # The nested withs above always stop at the same frame of get(); here one
    # get() runs at every depth from below the limit to past it, so the
    # RecursionError lands in each frame of a growth and of its handlers.
    interrupted = 0
    for margin in range(1, 30):
        script = Script()
        pool = Pool(Res, AutoScale(0, 5000), script)
        frames = sys.getrecursionlimit() - depth() - margin
        try:
            guard = at_depth(frames, pool.get)
        except RecursionError:
            interrupted += 1
        else:
            assert isinstance(guard, PoolGuard)
            guard.release()
            del guard
        assert_nothing_lost(script, pool)
    assert interrupted, "no get() was interrupted: the depths missed the limit"


def test_release_near_the_recursion_limit_does_not_lose_the_resource() -> None:
    interrupted = 0
    # Release at every depth from well below the limit to past it, each on a
    # fresh Static(1) pool, so the RecursionError lands in each of release()'s
    # frames in turn.
    for margin in range(1, 30):
        script = Script()
        pool = Pool(Res, Static(1), script)
        guard = pool.get()
        assert guard is not None
        (resource,) = script.made
        frames = sys.getrecursionlimit() - depth() - margin
        try:
            at_depth(frames, guard.release)
        except RecursionError:
            interrupted += 1
        if not guard.released:  # the error came before the release began
            guard.release()
        again = pool.get()
        assert again is not None, f"margin {margin}: the resource was lost"
        assert again.resource is resource
        assert pool.get() is None
        again.release()
        assert live(script) == 1
        assert whole(pool.stats())
    assert interrupted, "no release() was interrupted: the depths missed the limit"


# --- 2. KeyboardInterrupt right after new() --------------------------------------


class Interrupter:
    """Raise KeyboardInterrupt at the n-th line the pool runs after a new() returned.

    A line event in a frame of the rpool package, counted from the moment
    `arm()` is called inside new(): n = 1 is the first line the pool runs
    after new() returns, and so on.
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self.armed = False
        self.fired = False
        self.count = 0

    def arm(self) -> None:
        if not self.fired:
            self.armed = True

    def trace(self, frame: FrameType, event: str, arg: Any) -> Any:
        if "rpool" not in frame.f_code.co_filename.replace("\\", "/").split("/"):
            return None
        return self.local

    def local(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line" and self.armed:
            self.count += 1
            if self.count == self.n:
                self.armed, self.fired = False, True
                raise KeyboardInterrupt(f"line {self.count} after new()")
        return self.local

    @contextmanager
    def tracing(self) -> Iterator[None]:
        previous = sys.gettrace()
        sys.settrace(self.trace)
        try:
            yield
        finally:
            sys.settrace(previous)


class ArmingRes(Res):
    """A Res whose new() arms the interrupter kept in its script's `interrupter`."""

    @classmethod
    def new(cls, context: Script) -> ArmingRes:
        resource = cls(context)
        context.made.append(resource)
        interrupter: Interrupter | None = getattr(context, "interrupter", None)
        if interrupter is not None:
            interrupter.arm()
        return resource


def test_keyboard_interrupt_after_new_never_exceeds_the_maximum() -> None:
    interrupted = 0
    for n in range(1, 40):
        script = Script()
        pool = Pool(ArmingRes, AutoScale(0, 1), script)
        interrupter = Interrupter(n)
        script.interrupter = interrupter  # type: ignore[attr-defined]
        held: list[PoolGuard[ArmingRes]] = []
        try:
            with interrupter.tracing():
                guard = pool.get()
            if guard is not None:
                held.append(guard)
        except KeyboardInterrupt:
            pass
        if not interrupter.fired:
            break  # n is past the end of the growth: every point was tried
        interrupted += 1
        assert live(script) <= 1, f"line {n}: {script.made} alive"
        assert pool.stats().creating >= 0, (n, pool.stats())
        # The next calls must not make a second resource either.
        for _ in range(3):
            guard = pool.get()
            assert live(script) <= 1, f"line {n}: {script.made} alive"
            stats = pool.stats()
            assert stats.creating >= 0 and stats.capacity <= 1, (n, stats)
            if guard is not None:
                held.append(guard)
            for kept in held:
                kept.release()
            held.clear()
        stats = pool.stats()
        assert whole(stats) and stats.creating == 0, (n, stats)
    assert interrupted >= 2, "the interrupter never fired inside the pool"


# --- 3. A BaseException from a resource's close() ---------------------------------


class InterruptedClose(Res):
    """A Res whose close() raises KeyboardInterrupt the first time any is closed."""

    def close(self) -> None:
        super().close()
        if len(self.script.closed) == 1:
            raise KeyboardInterrupt("close")


def test_keyboard_interrupt_from_close_still_discards_every_idle_resource() -> None:
    script = Script()
    pool = Pool(InterruptedClose, Static(3), script)
    with pytest.raises(KeyboardInterrupt):
        pool.close()
    assert sorted(r.id for r in script.closed) == [0, 1, 2]
    stats = pool.stats()
    assert (stats.idle, stats.capacity) == (0, 0), stats
    pool.close()  # nothing left to discard, nothing raised


# --- 4. The finalizer runs no user code and takes no lock -----------------------


class Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_collecting_a_guard_does_not_wait_on_a_logging_lock() -> None:
    script = Script()
    pool = Pool(Res, Static(1), script)
    handler = Recorder()
    logger = logging.getLogger("py.warnings")
    saved = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    locked, unlock = threading.Event(), threading.Event()

    def hold_the_handler_lock() -> None:
        handler.acquire()
        locked.set()
        unlock.wait(10)
        handler.release()

    def drop_a_guard() -> None:
        pool.get()  # the guard is collected at once, unreleased

    holder = threading.Thread(target=hold_the_handler_lock)
    dropper = threading.Thread(target=drop_a_guard)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            logging.captureWarnings(True)
            try:
                holder.start()
                assert locked.wait(5)
                dropper.start()
                dropper.join(2)
                blocked = dropper.is_alive()
                unlock.set()
                dropper.join(10)
                holder.join(10)
            finally:
                logging.captureWarnings(False)
    finally:
        unlock.set()
        logger.removeHandler(handler)
        logger.propagate = saved
    assert not blocked, "collecting a guard waited on the logging handler's lock"
    # The resource came back all the same.
    guard = pool.get()
    assert guard is not None and guard.resource is script.made[0]


@pytest.mark.parametrize(
    ("mode", "made"),
    [(Static(1), "a replacement"), (AutoScale(0, 1), "a new resource from the freed unit")],
    ids=["Static", "AutoScale"],
)
def test_orphan_reset_error_does_not_change_an_unrelated_get(mode: Any, made: str) -> None:
    script = Script()
    pool = Pool(Res, mode, script)
    guard = pool.get()
    assert guard is not None
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("error")
        script.reset_plan.append("raise")
        del guard  # collected unreleased: an orphan whose reset will raise
        gc.collect()
        try:
            result = pool.get()  # adopts the orphan: its reset raises
        except Warning as error:
            pytest.fail(f"get() raised {error!r}, an orphan's warning")
    assert result is not None, f"get() returned None, though it had {made}"
    # The reset error is still reported, as a warning shown, not raised.
    assert any(w.category is RuntimeWarning and "Boom" in str(w.message) for w in shown)
    assert result.resource is script.made[-1] and len(script.made) == 2
    assert script.closed == [script.made[0]]
    assert pool.get() is None
    result.release()
    assert whole(pool.stats())


# --- 5. Guards cannot be copied or pickled ----------------------------------------


@pytest.mark.parametrize(
    "duplicate",
    [copy.copy, copy.deepcopy, pickle.dumps],
    ids=["copy", "deepcopy", "pickle"],
)
def test_a_guard_cannot_be_copied_or_pickled(duplicate: Callable[[object], object]) -> None:
    script = Script()
    pool = Pool(Res, Static(1), script)
    guard = pool.get()
    assert guard is not None
    duplicated: object = None
    try:
        with pytest.raises(TypeError, match=r"PoolGuard cannot be (copied|pickled)"):
            duplicated = duplicate(guard)
    finally:
        # Whatever was made, collect it: a copy sharing the box would orphan
        # the resource that `guard` still holds.
        del duplicated
        gc.collect()
    assert pool.get() is None, "the resource was handed out while its guard holds it"
    (resource,) = script.made
    assert guard.resource is resource
    guard.release()
    again = pool.get()
    assert again is not None and again.resource is resource
    assert pool.get() is None
    again.release()
    assert live(script) == 1
