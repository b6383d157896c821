"""The pool's sequential spec as the linearizability checker reads it.

A call of the pool's API does not always take effect in one atomic step, and
the spec does not pretend it does: a `get()` that grows by a chunk takes the
grant at one instant (TakeFree) and makes the chunk's other resources idle
one by one later (PutIdle each), and a failed growth gives capacity back
(ReturnGrant) after its `new()` raised. A concurrent `get()` may rightly find
nothing in between. So the checker linearizes the model's actions, each
observed with the interval in which it must have happened
(tests/lincheck/history.py derives them from the events a probed pool logs),
and this module is their step function, written with the action functions
of tests/model.py on the model's own state.

The free list is exact (grants at the left, resources at the right, LIFO
reuse), so the checker also checks which resource each `get()` returns.
Orphans are left out: their effect is seen when an adopted resource is made
idle (PutIdle) or discarded.

Waiting: the spec of a FIFO blocking pool. The state has the waiter queue
(`State.waiters`). A waiting `acquire()` is two actions at least, each
linearized on its own: Enqueue, and its end: the head's TakeFree
(`TakeFree.waiter`; only the head may take), then its Leave "served" (the
head stays first in the queue until its `finally` marks it dead: a get()
that reads the queue meanwhile yields to it, even while it grows with its
own new()), or Leave (a timeout, a cancellation, or close()). Enqueue may
find something there and nobody queued: the caller's first try found
nothing, or gave what it popped to waiters who have left since
(models/Waiting.tla: the first try's Yield, then Enqueue; FifoPool's
Enqueue has no guard); the caller, then the head with something there,
may not time out and must take it. A caller that does not wait takes only
if nobody is queued (no barging). The timeout rule: a waiter may time out
only if it was never the head at an instant when something was available.
Entitlement is monotone, so the state keeps one flag, `entitled`: the head
has been the head while `free` held something; it stays set until that
head leaves, and while it is set that head cannot time out.

Where callers may wait, a `get()` does not take effect in one step either:
it pops an item (TakeFree with `hold`, or TakeFree "held" if it returns
None: the item is in its hands, not in `free`), then reads the queue. If
nobody waits it keeps the item (Keep: legal only if nobody waits); if
someone does (CheckWaiters: legal only if someone waits, unless it popped
nothing) it gives the item back (Yield: a resource to the idle end, a grant
to the spare end), as `Pool._yield` does. Meanwhile the head may take
something else, time out or leave a closed pool, which is why the steps are
separate: a get() that popped r1 before the head took r0 keeps r1 once the
head has gone, and so does one that popped before close() set its flag and
reads the queue after the waiters it woke have left (models/Waiting.tla,
TakeFree then CheckWaiters; FifoPool's Look then Keep).

`Leave(w, "decide")` is for the two ways a waiter whose deadline has
passed misses an item in flight (docs/design.md, "Linearization"): it
splits a timeout into the instant the waiter decides, its last look as the
head, and the instant it stops counting as a waiter (GiveUp), until which a
get() still yields to it. The look found nothing: the waiter was not the
head, or `free` was empty at that instant, though the head may have been
entitled (what it was owed sits in a get()'s hands, tests/test_parallel.py's
`test_a_get_holding_what_the_head_is_owed_keeps_it_once_the_head_timed_out`;
or it arrived after the look, `race("look")`). Histories are checked without
it first; with it, only to tell those races from any other failure.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from tests.model import (
    Grant,
    Item,
    State,
    drain_free,
    enqueue,
    head,
    leave,
    put_idle,
    return_grant,
    set_closed,
    take_free,
)

__all__ = [
    "CheckWaiters",
    "Enqueue",
    "Evict",
    "Input",
    "Keep",
    "Leave",
    "Lower",
    "Pay",
    "PoolSpec",
    "PutIdle",
    "Raise",
    "ReturnGrant",
    "SetClosed",
    "SpecState",
    "TakeFree",
    "Yield",
]


@dataclass(frozen=True, slots=True)
class TakeFree:
    """get()'s linearization point: TakeFree, then CheckClosed, as observed.

    `outcome` is what get() did with what it took: "reuse" (returned
    `resource`), "grow" (made `units` resources and kept the last; or, if
    `attempts` is set instead, its `attempts`-th new() raised), "empty"
    (returned None), "closed" (raised PoolClosedError), "unknown" (it never
    returned), or "held" (it returned None where callers may wait: what it
    popped is in its hands until its Yield). `owner` names the get() for its
    later ReturnGrant, Keep, CheckWaiters and Yield. `waiter`: the take is the
    Serve of that queued waiter, which must be the head; None: the caller
    does not wait, and takes only if nobody does: at once, or, with `hold`,
    at its Keep (the pop puts the item in its hands, whoever waits).
    """

    outcome: str
    resource: int | None = None
    units: int | None = None
    attempts: int | None = None
    owner: int = 0
    waiter: int | None = None
    hold: bool = False


@dataclass(frozen=True, slots=True)
class PutIdle:
    """A resource becomes idle (release, a chunk's extra resource, a replacement)."""

    resource: int


@dataclass(frozen=True, slots=True)
class ReturnGrant:
    """Capacity goes back: `units`, or what `owner`'s failed growth still holds."""

    units: int | None = None
    owner: int = 0


@dataclass(frozen=True, slots=True)
class SetClosed:
    """close(): SetClosed, after which the free list is drained."""


@dataclass(frozen=True, slots=True)
class CheckWaiters:
    """The get() `owner` read the queue after its pop: someone waits (it returns None)."""

    owner: int


@dataclass(frozen=True, slots=True)
class Keep:
    """The get() `owner` read the queue after its pop: nobody waits, it keeps what it popped."""

    owner: int


@dataclass(frozen=True, slots=True)
class Yield:
    """The get() `owner` gives back what it popped (Pool._yield)."""

    owner: int


@dataclass(frozen=True, slots=True)
class Enqueue:
    """`waiter` (an acquire() that found nothing to take) joins the queue."""

    waiter: int


@dataclass(frozen=True, slots=True)
class Leave:
    """`waiter` leaves the queue: `why` is "timeout", "cancel", "closed", or "served".

    "served": the head took (its TakeFree) and now leaves the queue, which it
    stays at the front of until then (waiting()'s `finally`): a get() still
    yields to it, and the waiter behind it is not the head yet.

    "decide" is the first half of a timeout in the split form (see the module
    docstring): the waiter decides, and stays queued until its "timeout".
    """

    waiter: int
    why: str


# Lifecycle (src/rpool/_lifecycle.py, _resize.py): histories of
# tests/lincheck/lifecycle.py. Time is not in the spec: whether a resource
# was due to expire or idle long enough is the clock's business, checked by
# the sequential tests; these actions check what expiry, eviction and
# resize() do to the free list and the capacity, concurrently.


@dataclass(frozen=True, slots=True)
class Evict:
    """A sweep (in a vetted get() or maintain()) pops `resource` off the top and discards it.

    Its unit comes back as a separate ReturnGrant(1), after the discard.
    """

    resource: int


@dataclass(frozen=True, slots=True)
class Lower:
    """resize() lowers the bound by `units`: that much debt, paid by Pay steps."""

    units: int


@dataclass(frozen=True, slots=True)
class Pay:
    """A debt payment takes `resource` from the cold (left) end and retires its unit."""

    resource: int


@dataclass(frozen=True, slots=True)
class Raise:
    """resize() raises the bound by `units`: debt is cancelled first, the rest is spare (1 each)."""

    units: int


Input = (
    TakeFree
    | PutIdle
    | ReturnGrant
    | SetClosed
    | CheckWaiters
    | Keep
    | Yield
    | Enqueue
    | Leave
    | Evict
    | Lower
    | Pay
    | Raise
)

Hand = tuple[int, Item | None, bool]
"""A get() between its pop and its Keep or Yield: (owner, what it popped, whether it saw
waiters)."""


@dataclass(frozen=True, slots=True)
class SpecState:
    """The model's state, the capacity failed growths have yet to give back, and waiting."""

    model: State
    owed: frozenset[tuple[int, int]] = frozenset()
    entitled: bool = False
    """The head has been the head at an instant when `free` held something."""
    hands: frozenset[Hand] = frozenset()
    decided: frozenset[int] = frozenset()
    """Waiters that decided to time out and have not left yet (split form only)."""
    served: frozenset[int] = frozenset()
    """Heads that took, still first in the queue until they leave it (Leave "served")."""
    debt: int = 0
    """Units a lowered bound has yet to retire (Lifecycle.debt)."""


class PoolSpec:
    """`step` for the checker; `bounded` says whether the pool keeps grants."""

    def __init__(self, bounded: bool) -> None:
        self.bounded = bounded

    def step(self, spec: SpecState, action: Input) -> list[SpecState]:
        """The states that may follow `spec` when `action` happens (none: impossible)."""
        return [_entitle(spec, after) for after in self._step(spec, action)]

    def _step(self, spec: SpecState, action: Input) -> list[SpecState]:
        state = spec.model
        if isinstance(action, PutIdle):
            return [spec if state.closed else replace(spec, model=put_idle(state, action.resource))]
        if isinstance(action, ReturnGrant):
            return self._return_grant(spec, action)
        if isinstance(action, SetClosed):
            return [replace(spec, model=replace(set_closed(state), free=()))]
        if isinstance(action, Enqueue):
            if action.waiter in state.waiters:
                return []
            return [replace(spec, model=enqueue(state, action.waiter))]
        if isinstance(action, Leave):
            return self._leave(spec, action)
        if isinstance(action, CheckWaiters | Keep | Yield):
            return self._hand(spec, action)
        if isinstance(action, Evict | Lower | Pay | Raise):
            return self._lifecycle(spec, action)
        return self._take_free(spec, action)

    def _lifecycle(self, spec: SpecState, action: Evict | Lower | Pay | Raise) -> list[SpecState]:
        state = spec.model
        if isinstance(action, Evict):
            after, item = take_free(state)  # the sweep's pop: the top, the same as get()'s
            return [replace(spec, model=after)] if item == action.resource else []
        if isinstance(action, Pay):
            after, item = drain_free(state)  # the payment's popleft: the cold end
            if spec.debt == 0 or item != action.resource:
                return []
            return [replace(spec, model=after, debt=spec.debt - 1)]
        if isinstance(action, Lower):
            return [replace(spec, debt=spec.debt + action.units)]
        cancelled = min(action.units, spec.debt)
        for _ in range(action.units - cancelled):
            state = return_grant(state, 1)
        return [replace(spec, model=state, debt=spec.debt - cancelled)]

    def _leave(self, spec: SpecState, action: Leave) -> list[SpecState]:
        state, waiter, why = spec.model, action.waiter, action.why
        if waiter not in state.waiters or (why == "closed" and not state.closed):
            return []
        if (why == "served") != (waiter in spec.served):
            return []
        if why == "served":
            return [replace(spec, model=leave(state, waiter), served=spec.served - {waiter})]
        undecided = why in ("timeout", "decide") and waiter not in spec.decided
        # The timeout rule: never the head while something was there; decided
        # at a look, that look found nothing there.
        owed = spec.entitled if why == "timeout" else bool(state.free)
        if undecided and head(state) == waiter and owed:
            return []
        if why == "decide":
            return [replace(spec, decided=spec.decided | {waiter})] if undecided else []
        return [replace(spec, model=leave(state, waiter), decided=spec.decided - {waiter})]

    def _hand(self, spec: SpecState, action: CheckWaiters | Keep | Yield) -> list[SpecState]:
        held = [hand for hand in spec.hands if hand[0] == action.owner]
        if not held:
            return []
        hand = held[0]
        _, item, saw = hand
        hands = spec.hands - {hand}
        if isinstance(action, Keep):
            return [] if saw or spec.model.waiters else [replace(spec, hands=hands)]
        if isinstance(action, CheckWaiters):
            if saw or (item is not None and not spec.model.waiters):
                return []
            return [replace(spec, hands=hands | {(action.owner, item, True)})]
        if not saw:
            return []
        state = spec.model
        if isinstance(item, Grant):
            if self.bounded:
                state = return_grant(state, item.size)
        elif item is not None and not state.closed:
            state = put_idle(state, item)
        return [replace(spec, model=state, hands=hands)]

    def _return_grant(self, spec: SpecState, action: ReturnGrant) -> list[SpecState]:
        if not self.bounded:
            return [spec]
        units, owed = action.units, spec.owed
        if units is None:
            held = [u for owner, u in owed if owner == action.owner]
            if not held:
                return []
            units = held[0]
            owed = owed - {(action.owner, units)}
        return [replace(spec, model=return_grant(spec.model, units), owed=owed)]

    def _take_free(self, spec: SpecState, take: TakeFree) -> list[SpecState]:
        state = spec.model
        if take.outcome == "closed" or state.closed:
            return [spec] if state.closed and take.outcome in ("closed", "unknown") else []
        after, item = take_free(state)
        if take.outcome == "held":
            if any(hand[0] == take.owner for hand in spec.hands):
                return []
            return [replace(spec, model=after, hands=spec.hands | {(take.owner, item, False)})]
        if take.outcome == "empty":
            # None: nothing there, or someone waits (everything is theirs).
            return [spec] if self.bounded and (item is None or state.waiters) else []
        if take.hold:
            if any(hand[0] == take.owner for hand in spec.hands):
                return []
            # Into its hands, for its Keep (no barging: only if nobody waits then).
            spec = replace(spec, hands=spec.hands | {(take.owner, item, False)})
        elif take.waiter is None:
            if state.waiters and take.outcome != "unknown":
                return []  # no barging: a caller that does not wait takes nothing
        elif head(state) != take.waiter or take.waiter in spec.served:
            return []  # only the head takes, once
        else:
            # It stays first in the queue until its Leave "served".
            spec = replace(
                spec, decided=spec.decided - {take.waiter}, served=spec.served | {take.waiter}
            )
        taken = replace(spec, model=after)
        if take.outcome == "unknown":
            return [taken]
        if take.outcome == "reuse":
            return [taken] if item == take.resource else []
        # take.outcome == "grow"
        if not self.bounded:
            return [spec] if item is None else []
        if not isinstance(item, Grant):
            return []
        if take.attempts is None:
            return [taken] if item.size == take.units else []
        if item.size < take.attempts:
            return []
        return [replace(taken, owed=taken.owed | {(take.owner, item.size - take.attempts + 1)})]


def _entitle(before: SpecState, after: SpecState) -> SpecState:
    """Keep `entitled` true to its definition after a step from `before` to `after`.

    The head is entitled once `free` holds something while it is the head,
    and stays entitled until it leaves; a new head starts afresh.
    """
    waiters = after.model.waiters
    same_head = bool(waiters) and before.model.waiters[:1] == waiters[:1]
    entitled = bool(waiters) and ((before.entitled and same_head) or bool(after.model.free))
    return after if entitled == after.entitled else replace(after, entitled=entitled)
