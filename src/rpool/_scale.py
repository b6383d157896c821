"""How a pool sizes itself: the `Static` and `AutoScale` modes.

Both are frozen, validated records. They also hold the pure arithmetic of
growth (`AutoScale.growth`, `AutoScale.grants`), which `Pool` uses and which
the models in `models/` and the contracts checked by CrossHair describe.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeAlias

__all__ = ["MAX_GRANTS", "AutoScale", "ScaleMode", "Static"]

#: At most this many spare chunks are kept for a bounded AutoScale pool; see
#: `AutoScale.grants` for why spare capacity is kept chunk by chunk.
MAX_GRANTS = 1 << 20


def _check_int(owner: str, name: str, value: object, least: int) -> int:
    """Return `value` if it is an int (not a bool) of at least `least`.

    raises: TypeError, ValueError
    post: __return__ >= least
    """
    # bool is a subclass of int, but Static(count=True) is a mistake, not a count.
    if type(value) is bool or not isinstance(value, int):
        raise TypeError(f"{owner}.{name} must be an int, not {type(value).__name__}")
    if value < least:
        raise ValueError(f"{owner}.{name} must be at least {least}, got {value}")
    return value


@dataclass(frozen=True, slots=True)
class Static:
    """Keep exactly `count` resources.

    All are created by the pool's constructor. A resource that fails its reset
    is replaced at once; if the replacement cannot be created, a later `get()`
    creates it on demand. The capacity never exceeds `count`.

    Raises:
        TypeError: `count` is not an int (bools are refused).
        ValueError: `count` is less than 1.
    """

    count: int

    def __post_init__(self) -> None:
        _check_int("Static", "count", self.count, 1)


@dataclass(frozen=True, slots=True)
class AutoScale:
    """Start with `initial` resources and grow on demand, up to `maximum`.

    A `get()` that finds no idle resource while there is spare capacity grows
    the pool and keeps one of the new resources. `maximum=None` means no
    limit. A resource that fails its reset is discarded and its capacity
    becomes spare again.

    Growth sizes. A bounded pool lays out its spare capacity when it is made,
    as the grants `grants()` yields: `chunk_size` units each (the last one
    clamped to `maximum`), or when `chunk_size` is 0 sizes that double the
    capacity from `initial` (1, 1, 2, 4, ... from an empty pool). Each growth
    takes the next of them, in that order. Capacity given back later (one unit
    per discarded resource, or the units a failed growth did not make) becomes
    a grant of its own size, used after the laid-out ones. So once discards
    happen the sizes are no longer those of a fresh pool: a doubling pool whose
    resources were all discarded grows from empty by its next laid-out grant
    (4, say), and a chunked pool grows one resource at a time once only
    given-back units are left. The maximum holds whatever the sizes. An
    unbounded pool grows by `growth(capacity)` every time.

    Raises:
        TypeError: a field is not an int (bools are refused), or `maximum` is
            neither an int nor None.
        ValueError: `initial` or `chunk_size` is negative, `maximum` is less
            than 1 or than `initial`, or a bounded pool would need more than
            `MAX_GRANTS` spare chunks (use a larger `chunk_size` or no maximum).
    """

    initial: int = 0
    maximum: int | None = None
    chunk_size: int = 1

    def __post_init__(self) -> None:
        _check_int("AutoScale", "initial", self.initial, 0)
        _check_int("AutoScale", "chunk_size", self.chunk_size, 0)
        if self.maximum is not None:
            _check_int("AutoScale", "maximum", self.maximum, 1)
            if self.maximum < self.initial:
                raise ValueError(
                    f"AutoScale.maximum ({self.maximum}) must be at least "
                    f"AutoScale.initial ({self.initial})"
                )
            chunks = _count_grants(self.initial, self.maximum, self.chunk_size)
            if chunks > MAX_GRANTS:
                raise ValueError(
                    f"AutoScale.maximum={self.maximum} with chunk_size={self.chunk_size} "
                    f"needs {chunks} spare chunks, more than {MAX_GRANTS}; "
                    "raise chunk_size or use maximum=None"
                )

    def growth(self, capacity: int) -> int:
        """How many resources one growth adds to a pool of `capacity`.

        `chunk_size`, or `capacity` itself when `chunk_size` is 0 (doubling,
        from 1 when empty), clamped so that `capacity + growth <= maximum`.
        The contracts below are checked by CrossHair (docs/conformance.md).

        pre: capacity >= 0
        pre: self.maximum is None or capacity < self.maximum
        post: __return__ >= 1
        post: self.maximum is None or capacity + __return__ <= self.maximum
        post: __return__ <= (self.chunk_size or max(capacity, 1))
        post: __return__ in (self.chunk_size or max(capacity, 1), (self.maximum or 0) - capacity)
        """
        step = self.chunk_size or max(capacity, 1)
        if self.maximum is not None:
            step = min(step, self.maximum - capacity)
        return step

    def grants(self) -> Iterator[int]:
        """The sizes of the successive growths from `initial` up to `maximum`.

        A bounded pool keeps its spare capacity as these grants, in the same
        deque as its idle resources, so that one atomic `pop()` decides between
        "reuse", "grow" and "nothing left" (see docs/design.md). An unbounded
        pool yields nothing: it has no spare capacity to keep.
        """
        if self.maximum is None:
            return
        capacity = self.initial
        while capacity < self.maximum:
            step = self.growth(capacity)
            yield step
            capacity += step


def _count_grants(initial: int, maximum: int, chunk_size: int) -> int:
    """How many grants `AutoScale(initial, maximum, chunk_size).grants()` yields.

    pre: 0 <= initial <= maximum
    pre: chunk_size >= 0
    post: __return__ >= 0
    post: (__return__ == 0) == (initial == maximum)
    post: chunk_size == 0 or __return__ * chunk_size >= maximum - initial
    """
    spare = maximum - initial
    if chunk_size:
        return -(-spare // chunk_size)
    # Doubling: each grant at most doubles the capacity, so few grants suffice.
    count, capacity = 0, initial
    while capacity < maximum:
        capacity += min(max(capacity, 1), maximum - capacity)
        count += 1
    return count


ScaleMode: TypeAlias = Static | AutoScale
