"""Leak detection: a guard held longer than `leak_threshold` seconds is reported, once.

On when a pool is made with `leak_threshold=` (seconds). Such a pool's class
is switched, in its constructor, to `watched(type(pool))`: the pool's class
with the mixin `Watched` (`AsyncWatched` for an `AsyncPool`) in front, same
slots, whose `get()` and head's take (through which every hand-out goes,
`acquire()` and `acquire_async()` included) move the guard's resource into a
`WatchedGuard` (`AsyncWatchedGuard`) that carries a `Record`: when and by
which thread (and task) it was handed out, and the caller's frames (code
object and offset, no locals), captured by walking `sys._getframe()` and
formatted only if a report is made. `Pool.get()` and
`PoolGuard.release()` are untouched: a pool without the option runs exactly
the code it ran before (docs/performance.md).

Reports go to the logger "rpool" (`logging.getLogger("rpool")`), at level
WARNING, once per leak: "held longer than the threshold" when a scan finds
it, and "released after being reported" when it comes back. Logging rather
than `warnings`: a leak is an operational event of a running service, each
one worth a line; the warnings registry would show one per source line and
drop the rest. A guard collected while holding its resource still gets the
pool's `ResourceWarning`; with detection on, it names where the guard was
acquired.

Who looks. Each hand-out scans at most `SCAN_STEP` (2) records, oldest
first, after recording its own, so the records of released guards are
dropped as fast as new ones come and the work per call stays bounded;
`scan(pool, now)` (called by `Pool.maintain()`) looks at every record there
was when it began. A leak is thus reported at the first scan after the
threshold that reaches its record: with n guards out, within n/2 hand-outs,
or at the next `maintain()`.

Exactness under concurrency. Records sit in a deque; a scan takes one with
`popleft()` (atomic on both builds, see _freelist.py), so no two scans look
at one record at once. Whether a leak report and a late-return report are
made is decided by one list per record, `events`, that the scan and the
release each `append()` to (one atomic call each) and then read at index 0:
if the scan's REPORTED comes first, the guard was still out when the scan
looked, the scan reports the leak and the release reports the late return;
if the release's RETURNED comes first, neither reports. Of several
`release()` calls on one guard, only the one that pops `open` (atomic
`list.pop()`) appends. So each leak is reported at most once, its late
return at most once, and a late return only after its leak.
"""

from __future__ import annotations

import linecache
import logging
import sys
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path
from types import CodeType, FrameType
from typing import TYPE_CHECKING, Any

from ._async_guard import AsyncPoolGuard
from ._drive import Steps
from ._guard import PoolGuard
from ._options import seconds_option
from ._pool import Pool
from ._stats import Tally
from ._vetting import asynchronous

if TYPE_CHECKING:
    from ._core import Core

__all__ = [
    "AsyncRecord",
    "AsyncWatched",
    "AsyncWatchedGuard",
    "Record",
    "Watch",
    "WatchedGuard",
    "configure",
    "scan",
    "watched",
]

logger = logging.getLogger("rpool")

SCAN_STEP = 2
"""Records each hand-out looks at: more than the one it adds, so the records do not pile up."""

STACK_LIMIT = 8
"""Frames of the caller's stack kept per hand-out (the innermost ones outside rpool)."""

# Frames of the pool's own code are not where a guard was acquired.
_RPOOL = str(Path(__file__).resolve().parent)

REPORTED = "reported"
RETURNED = "returned"


class Record:
    """One hand-out of a resource by a watched pool; formatted only when reported."""

    __slots__ = ("box", "events", "frames", "kind", "open", "since", "thread")

    guard = "a PoolGuard"  # what the reports call the guard

    def __init__(self, box: list[Any], since: float, thread: str, frames: list[Any]) -> None:
        self.box = box  # the guard's box: empty once given back (or collected)
        self.kind = type(box[0]).__name__
        self.since = since
        self.thread = thread
        self.frames = frames  # (code, instruction offset) pairs, innermost first
        self.events: list[str] = []  # REPORTED and RETURNED, in the order they happened
        self.open = [True]  # popped by the one release() that appends RETURNED

    def site(self) -> str:
        """Where the resource was acquired, as a traceback shows it (most recent call last)."""
        lines = []
        for code, offset in reversed(self.frames):
            line = _line(code, offset)
            lines.append(f'  File "{code.co_filename}", line {line}, in {code.co_name}')
            text = linecache.getline(code.co_filename, line).strip()
            if text:
                lines.append(f"    {text}")
        return "\n".join(lines) or "  (no frame outside rpool)"

    def acquired(self) -> str:
        return f"acquired by thread {self.thread!r} at:\n{self.site()}"


class AsyncRecord(Record):
    """A hand-out by a watched `AsyncPool`: also the task it was handed to."""

    __slots__ = ("task",)
    task: str | None

    guard = "an AsyncPoolGuard"

    def acquired(self) -> str:
        return f"acquired by thread {self.thread!r}, task {self.task!r} at:\n{self.site()}"


def _frames() -> list[tuple[CodeType, int]]:
    """The caller's innermost frames outside rpool: (code, instruction offset) pairs.

    No locals are kept, and nothing is computed that a report alone needs:
    the line number (`_line`) is found from the offset only when reporting.
    The pool's own frames are the innermost ones (the hand-out's callers up
    to the user's call); the first frame outside rpool ends the check.
    """
    frame: FrameType | None = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(_RPOOL):
        frame = frame.f_back
    frames: list[tuple[CodeType, int]] = []
    while frame is not None and len(frames) < STACK_LIMIT:
        frames.append((frame.f_code, frame.f_lasti))
        frame = frame.f_back
    return frames


def _line(code: CodeType, offset: int) -> int:
    """The line of the instruction at `offset` in `code` (0 if it has none)."""
    for start, end, line in code.co_lines():
        if start <= offset < end:
            return line or 0
    return 0


class Watch:
    """A pool's leak detection: its threshold, its records and its count of reports."""

    __slots__ = ("clock", "collected", "records", "reported", "threshold")

    def __init__(self, threshold: float, clock: Callable[[], float]) -> None:
        self.threshold = threshold
        self.clock = clock
        self.restart()

    def restart(self) -> None:
        """Forget every record and count (a forked child's pool starts again)."""
        self.records: deque[Record] = deque()
        # id(resource) -> Record for the resources of collected guards, until
        # the pool adopts them: the resource is alive (in the orphans) all
        # that time, so its id is not reused meanwhile.
        self.collected: dict[int, Record] = {}
        self.reported = Tally()

    def collected_site(self, resource: object) -> str:
        """Where the guard of a collected `resource` was acquired, or ""."""
        record = self.collected.pop(id(resource), None)  # atomic: one C call
        return "" if record is None else "; it was " + record.acquired()


def scan(pool: Core[Any], now: float, limit: int | None = None) -> int:
    """Report the guards of `pool` held longer than its threshold; return how many.

    Looks at `limit` records, or at every record there was when it began.
    Bounded: each record is looked at once per call. A no-op without leak
    detection.
    """
    watch: Watch | None = pool._watch
    if watch is None:
        return 0
    records = watch.records
    count = len(records) if limit is None else limit
    found = 0
    for _ in range(count):
        try:
            record = records.popleft()
        except IndexError:
            break
        if not record.box:  # given back, or collected: nothing to watch
            continue
        if now - record.since < watch.threshold:
            records.append(record)
            continue
        events = record.events
        events.append(REPORTED)
        if events[0] is REPORTED:
            found += 1
            next(watch.reported)
            logger.warning(
                "%s of %s (pool %r) is held for %.3f s, longer than leak_threshold=%g s; it was %s",
                record.guard,
                record.kind,
                pool,
                now - record.since,
                watch.threshold,
                record.acquired(),
            )
    return found


class WatchedGuard(PoolGuard[Any]):  # type: ignore[misc]  # final for users, not for the pool
    """A guard of a watched pool: it carries the `Record` of its hand-out."""

    __slots__ = ("_record",)
    _record: Record
    # The release this guard wraps: PoolGuard's, or in the classes
    # watched_guard() makes, the wrapped guard class's (an ExpiringGuard's).
    # A class attribute, not super(): a zero-argument super() call costs a
    # round trip about 900 instructions more.
    _give_back = PoolGuard.release

    def release(self) -> None:
        record = self._record
        try:
            self._give_back()
        finally:
            if not record.box:
                _returned(self._pool, record)

    release.__doc__ = PoolGuard.release.__doc__

    def __del__(self) -> None:
        # As PoolGuard's finalizer, and first one dict store (C-level, no
        # lock): the pool's ResourceWarning for the collected guard will say
        # where it was acquired.
        record = getattr(self, "_record", None)
        box = getattr(self, "_box", None)
        watch = self._pool._watch
        if record is not None and box and watch is not None:
            watch.collected[id(box[0])] = record
        PoolGuard.__del__(self)


# The watched guard class of each guard class a hand-out may make: a pool
# with max_lifetime hands out ExpiringGuards, whose release the watched
# guard's must run (dict.setdefault keeps the first if two threads make one).
_WATCHED_GUARDS: dict[type[Any], type[WatchedGuard]] = {PoolGuard: WatchedGuard}


def watched_guard(cls: type[PoolGuard[Any]]) -> type[WatchedGuard]:
    """The guard class that records a hand-out and releases as `cls` does."""
    made = _WATCHED_GUARDS.get(cls)
    if made is None:
        made = _WATCHED_GUARDS.setdefault(
            cls,
            type(
                f"Watched{cls.__name__}",
                (WatchedGuard, cls),
                {"__slots__": (), "_give_back": cls.release},
            ),
        )
    return made


def _returned(pool: Core[Any], record: Record) -> None:
    """Tell a late return, once: the guard was given back after its leak was reported."""
    try:
        record.open.pop()  # the one release() that tells
    except IndexError:
        return
    events = record.events
    events.append(RETURNED)
    watch = pool._watch
    if events[0] is REPORTED and watch is not None:
        logger.warning(
            "%s of %s reported as held too long (pool %r) was released after %.3f s; it was %s",
            record.guard,
            record.kind,
            pool,
            watch.clock() - record.since,
            record.acquired(),
        )


class AsyncWatchedGuard(AsyncPoolGuard[Any]):  # type: ignore[misc]  # final for users
    """A guard of a watched `AsyncPool`: it carries the `Record` of its hand-out."""

    __slots__ = ("_record",)
    _record: Record

    async def release(self) -> None:
        record = self._record
        try:
            await AsyncPoolGuard.release(self)
        finally:
            if not record.box:
                _returned(self._pool, record)

    release.__doc__ = AsyncPoolGuard.release.__doc__

    # As WatchedGuard's (AsyncPoolGuard's finalizer is PoolGuard's).
    __del__ = WatchedGuard.__del__


def _hand_out(pool: Core[Any], watch: Watch, guard: Any) -> Any:
    """Move `guard`'s resource into a watched guard with a new record; scan a little."""
    kind = type(guard)
    if kind is PoolGuard:  # the common case, without a call
        kind = WatchedGuard
    elif kind is AsyncPoolGuard:
        kind = AsyncWatchedGuard
    elif issubclass(kind, WatchedGuard | AsyncWatchedGuard):  # handed out through get() already
        return guard
    else:  # an ExpiringGuard
        kind = watched_guard(kind)
    now = watch.clock()
    box = guard._box
    watched: Any = kind()
    watched._pool = pool
    if kind is AsyncWatchedGuard:
        handed = AsyncRecord(box, now, threading.current_thread().name, _frames())
        # asyncio is imported: an AsyncPool is running on this thread's loop.
        task = sys.modules["asyncio"].current_task()
        handed.task = None if task is None else task.get_name()
        record: Record = handed
    else:
        record = Record(box, now, threading.current_thread().name, _frames())
    watched._record = record
    # The box passes to the new guard: both hold it for this one line, and
    # whichever is collected first with it non-empty gives the resource
    # back (its pop is atomic), so an interruption here loses nothing.
    watched._box = box
    guard._box = []
    watch.records.append(record)
    scan(pool, now, SCAN_STEP)
    return watched


class Watched:
    """What a `Pool` with leak detection adds: each hand-out recorded, a few records scanned."""

    __slots__ = ()
    _watch: Watch

    def get(self) -> PoolGuard[Any] | None:
        guard: PoolGuard[Any] | None = super().get()  # type: ignore[misc]
        if guard is None:
            return None
        return _hand_out(self, self._watch, guard)  # type: ignore[no-any-return,arg-type]

    get.__doc__ = Pool.get.__doc__

    def _take_as_head(self) -> PoolGuard[Any] | None:
        guard: PoolGuard[Any] | None = super()._take_as_head()  # type: ignore[misc]
        if guard is None:
            return None
        return _hand_out(self, self._watch, guard)  # type: ignore[no-any-return,arg-type]


class AsyncWatched:
    """What an `AsyncPool` with leak detection adds: `Watched`'s, on its `get()` and head's take."""

    __slots__ = ()
    _watch: Watch

    async def get(self) -> Any:
        guard = await super().get()  # type: ignore[misc]
        if guard is None:
            return None
        return _hand_out(self, self._watch, guard)  # type: ignore[arg-type]

    def _head(self) -> Steps[Any]:
        guard = yield from super()._head()  # type: ignore[misc]
        if guard is None:
            return None
        return _hand_out(self, self._watch, guard)  # type: ignore[arg-type]


# The watched class of each pool class, made once (dict.setdefault keeps the
# first if two threads make one at once).
_WATCHED: dict[type[Any], type[Any]] = {}


def watched(cls: type[Any]) -> type[Any]:
    """`cls` with `Watched` (`AsyncWatched`) first in its bases: a layout `__class__` may take."""
    made = _WATCHED.get(cls)
    if made is None:
        mixin = AsyncWatched if asynchronous(cls) else Watched
        made = _WATCHED.setdefault(
            cls, type(f"Watched{cls.__name__}", (mixin, cls), {"__slots__": ()})
        )
    return made


def configure(pool: Core[Any], leak_threshold: object, clock: Callable[[], float]) -> Watch:
    """Turn on leak detection for `pool` (validating `leak_threshold`); switch its class.

    `clock` is the pool's `clock=` option (`time.monotonic` by default).

    Raises:
        TypeError, ValueError: see `seconds_option`.
    """
    seconds = seconds_option("leak_threshold", leak_threshold)
    assert seconds is not None  # configured only when given
    watch = Watch(seconds, clock)
    pool.__class__ = watched(type(pool))
    return watch
