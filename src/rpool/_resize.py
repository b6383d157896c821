"""`resize()`: raise or lower a bounded pool's maximum (or count) at run time (both shells).

The bound in force is `pool._maximum + len(debt)`: lowering by d records d
units of *debt* (one-unit tokens in a deque, `Lifecycle.debt`) and lowers
`_maximum` at once; the debt is paid by retiring units as they become
available, spare ones first (a grant at the cold end of the free list), then
idle resources (discarded), and units that come back later (a discard, a
failed `new()`, an eviction: `Core._return_capacity`, through `retire`).
So capacity never exceeds the old bound while the debt lasts, and never the
new one once it is paid. Raising cancels debt first, then adds the rest as
spare capacity (grants, which ring the head waiter). docs/design.md,
"resize()", has the algorithm; models/Lifecycle.tla the model (Lock,
Lower, Pay, Cancel, Grow).

Atomic steps: `debt += tokens` (one C call), `debt.pop()`, `free.popleft()`,
`free.appendleft(units)`, and `paying.pop()` / `paying += lock`: a
one-token try-lock that every debt payment holds (skipping if it is taken)
and a `resize()` holds throughout (waiting for a payment to finish: it
yields the pool's `_pause`, `time.sleep(0)` for a `Pool`, `asyncio.sleep(0)`
for an `AsyncPool`, whose payment may be awaiting a `close()` on the loop),
so that a raise never runs while a payment holds a unit of debt;
`resizing`, a second one, makes a concurrent `resize()` raise. The
retirement of a unit and of its token is one statement. Whatever a step
took out (tokens, an item of the free list, a lock token) is given back by
its frame's handler if anything after fails.

`resize` and `pay` are steps of the core (generators, `_drive.py`): a
discarded resource's `close()` is a call they yield, so `Pool` and
`AsyncPool` run the same steps.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from typing import TYPE_CHECKING, Any

from ._drive import Steps
from ._errors import PoolClosedError
from ._scale import MAX_GRANTS, AutoScale, Static
from ._waiters import ring

if TYPE_CHECKING:
    from ._core import Core
    from ._lifecycle import Lifecycle

__all__ = ["pay", "resize", "retire"]


def resize(pool: Core[Any], lifecycle: Lifecycle, bound: object) -> Steps[None]:
    """Make `bound` the pool's maximum (AutoScale) or count (Static).

    Raises:
        TypeError: `bound` is not an int (bools are refused).
        ValueError: the pool is unbounded, or `bound` is below 1 (Static) or
            below `initial` (AutoScale), or a raise would add more than
            `MAX_GRANTS` spare chunks (the same limit as `AutoScale`'s); the
            pool is left as it was.
        PoolClosedError: the pool is closed.
        RuntimeError: another `resize()` of this pool is in progress.
    """
    mode = pool._mode
    if type(bound) is not int:
        raise TypeError(f"resize() takes an int, not {type(bound).__name__}")
    if pool._maximum is None:
        raise ValueError("an unbounded pool has no maximum to resize")
    least = mode.initial if isinstance(mode, AutoScale) else 1
    if bound < max(least, 1):
        raise ValueError(f"resize() needs a bound of at least {max(least, 1)}, got {bound}")
    if pool._closed:
        raise PoolClosedError("resize() on a closed pool")
    resizing, paying = lifecycle.resizing, lifecycle.paying
    lock: list[int] = []
    paid: list[int] = []
    try:
        lock += _popped(resizing)  # one resize() at a time
        if not lock:
            raise RuntimeError("another resize() of this pool is in progress")
        # Model: Lock. A payment holds this token for one pop and one close()
        # at most: wait for it, yielding, rather than fail.
        while not paid:
            paid += _popped(paying)
            if not paid:
                yield pool._pause
        current = pool._maximum
        debt = lifecycle.debt
        # Checked before any change, with the tokens held (no one else moves
        # the bound now): AutoScale's own limits, then the chunks a raise adds.
        resized = _with_bound(mode, bound)
        size = mode.chunk_size if isinstance(mode, AutoScale) and mode.chunk_size else 1
        chunks = -(-(bound - current - len(debt)) // size)
        if chunks > MAX_GRANTS:
            raise ValueError(
                f"resize({bound}) would add {chunks} spare chunks of {size}, more than "
                f"{MAX_GRANTS}; raise chunk_size (AutoScale) or the bound less"
            )
        if bound < current:
            # Model: Lower. The debt and the new bound in one statement: the
            # bound in force (_maximum + debt) never changes in between.
            _ = debt.extend([1] * (current - bound)), setattr(pool, "_maximum", bound)  # type: ignore[func-returns-value]
            pool._mode = resized
            while (yield from pay(pool, lifecycle, locked=True)):
                pass
        elif bound > current:
            # Model: Raise. Unit by unit, the bound rises with what backs it:
            # a cancelled unit of debt, or a grant in the free list, each in
            # one statement, so the bound in force (_maximum + debt) is always
            # what is alive, in flight or spare. An interruption leaves the
            # bound lower than asked, never higher.
            free = pool._free
            while pool._maximum < bound and debt:
                pool._maximum += len(_popped(debt))  # Model: Cancel.
            while pool._maximum < bound:
                units = min(size, bound - pool._maximum)
                _ = free.appendleft(units), setattr(pool, "_maximum", pool._maximum + units)  # type: ignore[func-returns-value]  # Model: Grow.
                if pool._waiters:  # Model: Ring, as in _return_capacity().
                    ring(pool._waiters)
            pool._mode = resized
        next(lifecycle.resizes)
    finally:
        paying += paid  # Model: Unlock. One C call each, whatever happened.
        resizing += lock


def pay(pool: Core[Any], lifecycle: Lifecycle, locked: bool = False) -> Steps[bool]:
    """Pay one unit of debt from the cold end of the free list; False if nothing was paid.

    Holds the paying token throughout (unless the caller, a `resize()`,
    holds it: `locked`), and skips if another holds it: a raise must not
    run while a payment holds a unit of debt it has taken but not yet paid,
    or it would find the debt empty and add units the payment then retires
    too late (TLC's counterexample: MutantPayWithoutToken). Takes a debt
    token (Model: Pay), then the leftmost item of the free list (PayTake): a
    grant gives one unit (the rest goes back), an idle resource is discarded
    and gives its unit (PayEvict). With nothing in the free list, the debt
    token goes back. Never touches a held resource: it only takes what its
    pop found. Each take is a `+=` of `_popped()`'s list, one statement, and
    no `try:` statement follows a take inside the handler's block (3.11
    raises an exception at such a line outside of the enclosing handler).
    """
    paying, debt = lifecycle.paying, lifecycle.debt
    lock: list[int] = []
    tokens: list[int] = []
    held: list[Any] = []
    try:
        if not locked:
            lock += _popped(paying)
            if not lock:
                return False
        tokens += _popped(debt)  # Model: Pay.
        if not tokens:
            return False
        held += _popped(pool._free, left=True)  # Model: PayTake.
        if not held:
            _ = debt.extend(tokens), tokens.clear()  # type: ignore[func-returns-value]
            return False
        if type(held[0]) is not int:
            yield from lifecycle._discard(pool, held)  # Model: PayEvict; its unit stays in held.
        _retire_one(held, tokens)  # Model: Retire.
        if held:
            pool._return_capacity(held)
        return True
    except BaseException:
        if tokens:  # Model: Recover.
            _ = debt.extend(tokens), tokens.clear()  # type: ignore[func-returns-value]
        if held:
            orphans = pool._orphans
            orphans += held
            held.clear()
        raise
    finally:
        paying += lock  # one C call, whatever happened


def retire(lifecycle: Lifecycle, held: list[Any]) -> bool:
    """Pay debt with the units `held[-1]` coming back (`_return_capacity`); True if all were used.

    Only with the paying token (see `pay`); without it, or once the debt
    is paid, the rest of the units go back as spare, and a later `pay`
    retires them. `held` belongs to the caller, whose handler gives back
    what is left.
    """
    paying, debt = lifecycle.paying, lifecycle.debt
    lock: list[int] = []
    tokens: list[int] = []
    try:
        lock += _popped(paying)
        if not lock:
            return False
        while held:
            tokens += _popped(debt)
            if not tokens:
                return False
            _retire_one(held, tokens)
        return True
    except BaseException:
        if tokens:  # Model: Recover.
            _ = debt.extend(tokens), tokens.clear()  # type: ignore[func-returns-value]
        raise
    finally:
        paying += lock


def _popped(items: deque[Any] | list[Any], left: bool = False) -> list[Any]:
    """`[item]` popped from `items` (its left end if `left`), or `[]` if it is empty: one C call."""
    try:
        return [items.popleft() if left else items.pop()]  # type: ignore[union-attr]
    except IndexError:
        return []


def _retire_one(held: list[Any], tokens: list[int]) -> None:
    """Retire one unit of `held[-1]` with the token `tokens[-1]`, in one statement each way.

    A last unit leaves `held` with its token; a grant of more shrinks by one
    with it, so `held` never holds a grant of 0 units.
    """
    if held[-1] == 1:
        _ = held.pop(), tokens.pop()
    else:
        _ = held.__setitem__(-1, held[-1] - 1), tokens.pop()


def _with_bound(mode: Static | AutoScale, bound: int) -> Static | AutoScale:
    if isinstance(mode, Static):
        return Static(bound)
    return dataclasses.replace(mode, maximum=bound)
