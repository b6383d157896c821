"""`PoolGuard`: the handle through which a resource is used and given back."""

from __future__ import annotations

import warnings
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, final

from ._errors import GuardReleasedError

if TYPE_CHECKING:
    from ._pool import Pool

__all__ = ["PoolGuard"]

R = TypeVar("R")


@final
class PoolGuard(Generic[R]):
    """Holds one resource taken from a `Pool` until it is given back.

    Made only by `Pool.get()`. Give the resource back with `release()` or by
    leaving a `with guard as resource:` block. A guard that is garbage-collected
    while still holding its resource gives it back too, and emits a
    `ResourceWarning` as an unclosed file does; the resource's `reset()` then
    runs at the pool's next `get()` that finds nothing idle, next `release()`,
    or `close()`, never inside the finalizer (see docs/design.md, "Guards").
    """

    # _box holds the resource while the guard has it: a one-element list, so
    # that release() can claim it with list.pop(), one atomic call. Two threads
    # releasing the same guard at once thus give the resource back once.
    __slots__ = ("_box", "_pool")

    def __init__(self, pool: Pool[Any, Any], resource: R) -> None:
        self._pool = pool
        self._box = [resource]

    @property
    def resource(self) -> R:
        """The resource.

        Raises:
            GuardReleasedError: the guard was released.
        """
        try:
            return self._box[0]
        except IndexError:
            raise GuardReleasedError("this guard's resource was given back") from None

    @property
    def released(self) -> bool:
        """Whether the resource was given back."""
        return not self._box

    def release(self) -> None:
        """Give the resource back to its pool; a second call does nothing.

        Runs the resource's `reset()`. If it returns True the resource becomes
        idle; if it returns False or raises, the resource is discarded (its
        `close()` called if it has one) and, under Static, replaced at once.

        Raises:
            Exception: whatever `reset()`, the resource's `close()` or the
                replacement's `new()` raised. The guard is released and the
                pool's accounting is whole all the same.
            TypeError: `reset()` returned something other than a bool (the
                resource is discarded).
        """
        # Model: Claim. list.pop() is atomic (GIL: one C call; free-threaded:
        # the list's per-object lock), so exactly one caller gets the resource.
        try:
            resource = self._box.pop()
        except IndexError:
            return
        self._pool._give_back(resource)

    def __enter__(self) -> R:
        # The resource property, inlined: `with` is a hot path.
        try:
            return self._box[0]
        except IndexError:
            raise GuardReleasedError("this guard's resource was given back") from None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def __del__(self) -> None:
        # Model: Orphan. Only an atomic deque.append and a warning run here: no
        # user code, no lock, so it is safe wherever the collector interrupts
        # (even inside another call on the same pool, on the same thread).
        try:
            box = self._box
        except AttributeError:  # get() was interrupted before it set _box
            return
        if box:
            resource = box.pop()
            self._pool._orphans.append(resource)
            warnings.warn(
                f"a PoolGuard of {type(resource).__name__} was garbage-collected "
                "without release(); its resource goes back to the pool",
                ResourceWarning,
                stacklevel=1,
                source=self,
            )

    def __repr__(self) -> str:
        state = "released" if not self._box else "holding a " + type(self._box[0]).__name__
        return f"<PoolGuard {state}>"
