"""Is a concurrent history linearizable with respect to a sequential spec?

Public as `rpool.testing.check` (with `Operation`, `Verdict`, `History`): for
an object of the user's built on a pool, and for rpool's own tests
(tests/lincheck/, which turn a probed pool's logs into operations).

The search is Wing and Gong's, with Lowe's memoization as Porcupine does it:
a configuration is (spec state, set of operations already linearized), and
each configuration is expanded once. From a configuration, an operation may
be linearized next if it is not yet linearized and was invoked before every
pending operation returned (real-time order); the spec's `step` says which
states may follow (none: the operation's observed result is impossible there).

Two refinements:

- *Unknown outcomes* (Knossos's `info` events): an operation whose thread
  never returned (`ret is None`) may take effect at any time after its call,
  or never; its input must let the spec allow every result it might have had.
- *Partitioning at quiescent points*: where no operation is in flight, the
  history is cut, and each part is searched from every state the previous
  part can end in. This keeps long histories of short overlapping stretches
  fast.

On failure `Verdict.explain()` prints a failing history from which no
operation (all parts sharing a `group`) can be dropped: the smallest one
where the failing part is small enough to try every smaller selection
(`shrink`), otherwise what dropping one operation at a time leaves.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

__all__ = ["Call", "History", "Operation", "Pending", "Step", "Verdict", "check"]

S = TypeVar("S", bound=Hashable)
I = TypeVar("I")  # noqa: E741  (the operation's input, as the spec reads it)
T = TypeVar("T")

Step = Callable[[S, I], Iterable[S]]
"""A sequential spec: the states that may follow `state` when `input` takes effect
(none: the result `input` records is impossible there). States must be hashable."""


@dataclass(frozen=True, slots=True)
class Operation(Generic[I]):
    """One operation of the history: called at `call`, returned at `ret`.

    Times are totally ordered (sequence numbers); `ret is None` means it never
    returned. `input` is what the spec's `step` needs (the operation and the
    result observed); `text` describes it for people; operations with the same
    `group` are parts of one call of the object's API (an operation may take
    effect in several atomic steps, each linearized on its own).
    """

    call: int
    ret: int | None
    process: int
    input: I
    text: str
    group: int = 0


@dataclass
class Verdict(Generic[S, I]):
    """The outcome of `check`."""

    ok: bool
    linearization: list[Operation[I]] = field(default_factory=list)
    """For a linearizable history: its operations in a legal order (info ones taken included)."""
    failing: list[Operation[I]] = field(default_factory=list)
    """For a non-linearizable one: the part (between quiescent points) that fails."""
    starts: list[S] = field(default_factory=list)
    """The spec states that part may start in."""
    step: Step[S, I] | None = None
    valid: Callable[[Sequence[Operation[I]]], bool] | None = None
    configurations: int = 0
    """Configurations explored: the cost of the search."""

    def explain(self) -> str:
        """A minimal failing history (see `shrink`), as a table in call order."""
        if self.ok or self.step is None:
            return "linearizable"
        minimal = shrink(self.failing, self.starts, self.step, self.valid)
        lines = [
            f"not linearizable: no order of these {len(minimal)} operations is legal "
            f"from the state(s) {self.starts!r}:"
        ]
        for op in sorted(minimal, key=lambda op: op.call):
            end = "  ..." if op.ret is None else f"{op.ret:5d}"
            lines.append(f"  P{op.process}  [{op.call:5d}, {end}]  {op.text}")
        return "\n".join(lines)


def check(
    operations: Sequence[Operation[I]],
    initial: S,
    step: Step[S, I],
    valid: Callable[[Sequence[Operation[I]]], bool] | None = None,
) -> Verdict[S, I]:
    """Decide whether `operations` can be linearized from `initial` under `step`.

    `valid` (optional) says which sub-histories `explain()` may shrink to, so
    that it never drops, say, the operation that produced a value another
    one consumes, which would fail for a reason of its own making.
    """
    ops = sorted(operations, key=lambda op: op.call)
    starts: list[S] = [initial]
    explored = 0
    order: list[Operation[I]] = []
    parts = _partition(ops)
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        ends, linearization, count = _search(part, starts, step, first_only=last)
        explored += count
        if not ends:
            return Verdict(False, [], part, starts, step, valid, explored)
        order += linearization
        starts = ends
    return Verdict(True, order, [], [], step, valid, explored)


def _partition(ops: list[Operation[I]]) -> list[list[Operation[I]]]:
    """Cut the history (sorted by call) wherever nothing is in flight."""
    parts: list[list[Operation[I]]] = []
    current: list[Operation[I]] = []
    horizon = -1
    for op in ops:
        if current and horizon < op.call:
            parts.append(current)
            current = []
        current.append(op)
        end = float("inf") if op.ret is None else op.ret
        horizon = max(horizon, end)  # type: ignore[assignment]
    if current:
        parts.append(current)
    return parts or [[]]


Config = tuple[S, int]


def _search(
    ops: list[Operation[I]], starts: list[S], step: Step[S, I], first_only: bool
) -> tuple[list[S], list[Operation[I]], int]:
    """All states the part can end in (or the first one), a linearization, the cost."""
    required = 0
    for i, op in enumerate(ops):
        if op.ret is not None:
            required |= 1 << i
    parent: dict[Config[S], tuple[Config[S], int] | None] = {}
    stack: list[Config[S]] = []
    for start in starts:
        config = (start, 0)
        if config not in parent:
            parent[config] = None
            stack.append(config)
    ends: list[S] = []
    found: Config[S] | None = None
    while stack:
        config = stack.pop()
        state, done = config
        if done & required == required:
            if found is None:
                found = config
            if state not in ends:
                ends.append(state)
            if first_only:
                break
        # The earliest return among required operations not yet linearized:
        # only operations called before it may go next.
        horizon = min(
            (op.ret for i, op in enumerate(ops) if op.ret is not None and not done >> i & 1),
            default=None,
        )
        for i, op in enumerate(ops):
            if horizon is not None and op.call > horizon:
                break
            if done >> i & 1:
                continue
            for after in step(state, op.input):
                successor = (after, done | 1 << i)
                if successor not in parent:
                    parent[successor] = (config, i)
                    stack.append(successor)
    linearization: list[Operation[I]] = []
    while found is not None and parent[found] is not None:
        link = parent[found]
        assert link is not None
        found, i = link
        linearization.append(ops[i])
    linearization.reverse()
    return ends, linearization, len(parent)


SHRINK_SEARCHES = 20_000
"""How many sub-histories `shrink` may try in looking for the smallest one."""


def shrink(
    ops: list[Operation[I]],
    starts: list[S],
    step: Step[S, I],
    valid: Callable[[Sequence[Operation[I]]], bool] | None = None,
) -> list[Operation[I]]:
    """A failing, `valid` sub-history of `ops` from which no whole group can be dropped.

    First greedily: drop one group at a time while the rest still fails. That
    ends at a local minimum, which depends on the order of the drops (a
    history with two racing pairs may keep three calls where two suffice).
    Then every selection of fewer groups, smallest first, for as long as all
    selections of the next size fit in `SHRINK_SEARCHES`: the first that
    fails is the smallest failing history. Failure is not monotone (dropping
    the call that produced a value makes its consumer fail), so the search
    cannot stop at the greedy result's size minus one.
    """
    current = list(ops)
    changed = True
    while changed:
        changed = False
        for group in sorted({op.group for op in current}):
            trial = [op for op in current if op.group != group]
            if not trial or (valid is not None and not valid(trial)):
                continue
            if not _search(trial, starts, step, first_only=True)[0]:
                current = trial
                changed = True
                break
    groups = sorted({op.group for op in ops})
    budget = SHRINK_SEARCHES
    for size in range(1, len({op.group for op in current})):
        budget -= math.comb(len(groups), size)
        if budget < 0:
            break
        for chosen in itertools.combinations(groups, size):
            kept = set(chosen)
            trial = [op for op in ops if op.group in kept]
            if valid is not None and not valid(trial):
                continue
            if not _search(trial, starts, step, first_only=True)[0]:
                return trial
    return current


# --- recording a history ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Call:
    """What `History.record` logs as an operation's input: the call and what came of it.

    `result` is the return value, or None if the call raised (then `error`
    is the exception's class). Hashable if the arguments and result are.
    """

    name: str
    args: tuple[Any, ...]
    result: Any = None
    error: type[BaseException] | None = None

    def __str__(self) -> str:
        args = ", ".join(map(repr, self.args))
        outcome = f"raised {self.error.__name__}" if self.error else repr(self.result)
        return f"{self.name}({args}) -> {outcome}"


@dataclass(frozen=True, slots=True)
class Pending:
    """An operation called and not yet returned: what `History.call` gives back."""

    call: int
    process: int
    group: int


class History(Generic[I]):
    """Records the operations threads run on a shared object, in real-time order.

    Call and return times are drawn from one counter whose `next()` is a
    single C call (atomic under the GIL; on the free-threaded build
    `itertools.count` is updated under its own per-object lock), so a call
    that returns before another is called gets the smaller time. Record with
    `record(process, name, function, *args)`, or around code of your own with
    `call(process)` before it and `ret(pending, input)` after it; `operations()`
    is what `check` takes. Safe to share between threads.
    """

    __slots__ = ("_clock", "_groups", "_lock", "_operations")

    def __init__(self) -> None:
        self._clock = itertools.count()
        self._groups = itertools.count(1)
        self._operations: list[Operation[I]] = []
        self._lock = threading.Lock()

    def call(self, process: int) -> Pending:
        """Stamp the call of an operation by `process` (any int naming the thread)."""
        return Pending(next(self._clock), process, next(self._groups))

    def ret(self, pending: Pending, input: I, text: str | None = None) -> None:
        """Stamp its return: `input` is what the spec's step reads (the call and its result)."""
        self._add(
            Operation(
                pending.call,
                next(self._clock),
                pending.process,
                input,
                str(input) if text is None else text,
                pending.group,
            )
        )

    def unfinished(self, pending: Pending, input: I, text: str | None = None) -> None:
        """Record an operation that never returned (its thread was stopped for good).

        It may take effect at any time after its call, or never: `input` must
        let the spec accept every result it might have had.
        """
        self._add(
            Operation(
                pending.call,
                None,
                pending.process,
                input,
                str(input) if text is None else text,
                pending.group,
            )
        )

    def record(
        self: History[Call], process: int, name: str, function: Callable[..., T], *args: Any
    ) -> T:
        """Run `function(*args)` as one operation named `name`; return or raise what it does.

        The input recorded is a `Call(name, args, result, error)`; an exception
        is recorded by its class and raised again.
        """
        pending = self.call(process)
        try:
            result = function(*args)
        except BaseException as error:
            self.ret(pending, Call(name, args, None, type(error)))
            raise
        self.ret(pending, Call(name, args, result))
        return result

    def operations(self) -> list[Operation[I]]:
        """The operations recorded so far, in call order."""
        with self._lock:
            return sorted(self._operations, key=lambda op: op.call)

    def _add(self, operation: Operation[I]) -> None:
        with self._lock:
            self._operations.append(operation)
