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
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from tests.model import Grant, State, put_idle, return_grant, set_closed, take_free

__all__ = ["Input", "PoolSpec", "PutIdle", "ReturnGrant", "SetClosed", "SpecState", "TakeFree"]


@dataclass(frozen=True, slots=True)
class TakeFree:
    """get()'s linearization point: TakeFree, then CheckClosed, as observed.

    `outcome` is what get() did with what it took: "reuse" (returned
    `resource`), "grow" (made `units` resources and kept the last; or, if
    `attempts` is set instead, its `attempts`-th new() raised), "empty"
    (returned None), "closed" (raised PoolClosedError), or "unknown" (it never
    returned). `owner` names the get() for its later ReturnGrant.
    """

    outcome: str
    resource: int | None = None
    units: int | None = None
    attempts: int | None = None
    owner: int = 0


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


Input = TakeFree | PutIdle | ReturnGrant | SetClosed


@dataclass(frozen=True, slots=True)
class SpecState:
    """The model's state, and the capacity failed growths have yet to give back."""

    model: State
    owed: frozenset[tuple[int, int]] = frozenset()


class PoolSpec:
    """`step` for the checker; `bounded` says whether the pool keeps grants."""

    def __init__(self, bounded: bool) -> None:
        self.bounded = bounded

    def step(self, spec: SpecState, action: Input) -> list[SpecState]:
        """The states that may follow `spec` when `action` happens (none: impossible)."""
        state = spec.model
        if isinstance(action, PutIdle):
            return [spec if state.closed else replace(spec, model=put_idle(state, action.resource))]
        if isinstance(action, ReturnGrant):
            return self._return_grant(spec, action)
        if isinstance(action, SetClosed):
            return [replace(spec, model=replace(set_closed(state), free=()))]
        return self._take_free(spec, action)

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
        return [SpecState(return_grant(spec.model, units), owed)]

    def _take_free(self, spec: SpecState, take: TakeFree) -> list[SpecState]:
        state = spec.model
        if take.outcome == "closed" or state.closed:
            return [spec] if state.closed and take.outcome in ("closed", "unknown") else []
        after, item = take_free(state)
        taken = replace(spec, model=after)
        if take.outcome == "unknown":
            return [taken]
        if take.outcome == "reuse":
            return [taken] if item == take.resource else []
        if take.outcome == "empty":
            return [spec] if self.bounded and item is None else []
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
