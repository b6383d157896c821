"""The executable spec's transition functions (tests/model.py), with their contracts.

CrossHair (symbolic.py) checks these PEP 316 contracts. Each function here
is the spec's own function under the same name; the wrapper exists only to
carry the contract, so that tests/model.py stays the plain spec the
stateful and linearizability tests read. The contracts state, for every
state in which the design's invariant holds, what each atomic step does:

- `wellformed`: the free list is "grants, then resources" (grants of
  positive size at the left, distinct positive resource numbers at the
  right), and no resource is both idle and orphaned;
- each step keeps that invariant, and moves exactly one item at the end
  the design says (or none): the right end of `free` for pops and
  appends, the left end for grants, the right end of `orphans`;
- a pop returns a grant only when no resource is idle: the claim behind
  "one pop decides between reuse, growth and nothing left".
"""

from __future__ import annotations

from tests import model
from tests.model import Grant, Item, State

__all__ = ["put_idle", "return_grant", "take_free", "take_orphan", "wellformed"]


def wellformed(state: State) -> bool:
    """Grants (size >= 1), then distinct resources (>= 1); orphans distinct and not idle."""
    resources = [item for item in state.free if not isinstance(item, Grant)]
    grants = len(state.free) - len(resources)
    return (
        all(isinstance(item, Grant) and item.size >= 1 for item in state.free[:grants])
        and all(isinstance(item, int) and item >= 1 for item in resources)
        and len(set(resources)) == len(resources)
        and all(number >= 1 for number in state.orphans)
        and len(set(state.orphans)) == len(state.orphans)
        and not set(resources) & set(state.orphans)
    )


def _idle(state: State) -> list[Item]:
    return [item for item in state.free if not isinstance(item, Grant)]


def _popped(before: tuple[Item, ...], after: tuple[Item, ...], item: Item | None) -> bool:
    """`after` is `before` less its right end, `item`; or both are empty and `item` is None."""
    return (*after, item) == before if before else not after and item is None


def take_free(state: State) -> tuple[State, Item | None]:
    """TakeFree: pop the right end of `free`.

    pre: wellformed(state)
    post: wellformed(__return__[0])
    post: _popped(state.free, __return__[0].free, __return__[1])
    post: not isinstance(__return__[1], Grant) or len(_idle(state)) == 0
    """
    return model.take_free(state)


def put_idle(state: State, resource: int) -> State:
    """PutIdle: `resource` (held by the caller, so neither idle nor orphaned) becomes idle.

    pre: wellformed(state)
    pre: resource >= 1 and resource not in state.free and resource not in state.orphans
    post: wellformed(__return__)
    post: __return__.free == (*state.free, resource)
    """
    return model.put_idle(state, resource)


def return_grant(state: State, units: int) -> State:
    """ReturnGrant: `units` of capacity become spare; a closed pool keeps none.

    pre: wellformed(state)
    pre: units >= 1
    post: wellformed(__return__)
    post: __return__.free == (state.free if state.closed else (Grant(units), *state.free))
    """
    return model.return_grant(state, units)


def take_orphan(state: State) -> tuple[State, int | None]:
    """TakeOrphan: pop the most recent orphan.

    pre: wellformed(state)
    post: wellformed(__return__[0]) and __return__[0].free == state.free
    post: _popped(state.orphans, __return__[0].orphans, __return__[1])
    """
    return model.take_orphan(state)
