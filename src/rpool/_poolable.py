"""What a pooled resource must offer: the `Poolable` and `AsyncPoolable` protocols.

Resources never inherit from anything of rpool's; they only have to match this
shape (structural typing). `Pool` and `AsyncPool` check it statically through
`mypy --strict`: a resource whose `new` and `reset` are coroutines is an
`AsyncPoolable` and no `Poolable` (its `reset()` returns an awaitable, not a
bool), and the other way round.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Protocol, Self, TypeVar

__all__ = ["AsyncFactory", "AsyncPoolable", "Factory", "Poolable"]

C_contra = TypeVar("C_contra", contravariant=True)
R_co = TypeVar("R_co", bound="Poolable[Any]", covariant=True)
A_co = TypeVar("A_co", bound="AsyncPoolable[Any]", covariant=True)


class Poolable(Protocol[C_contra]):
    """A resource that a `Pool[C, R]` can create and reuse, with context type C.

    `new` runs when the pool grows or replaces a resource; `reset` runs each time
    the resource comes back, and says whether it may be handed out again.
    Either may raise: the pool then discards what it was creating or resetting
    and lets the exception reach the caller (see `Pool`).
    A resource may also have a `close()` method; the pool calls it when it
    discards the resource.
    """

    @classmethod
    def new(cls, context: C_contra, /) -> Self:
        """Create a resource from the pool's shared, read-only context."""
        ...

    def reset(self) -> bool:
        """Make the resource ready for its next user; False means "discard me"."""
        ...


class Factory(Protocol[C_contra, R_co]):
    """What `Pool` is given: a class (or object) whose `new(context)` makes an R.

    A `Poolable[C]` class satisfies it with R bound to that class, which is how
    `Pool(Conn, mode, ctx)` is inferred as `Pool[Ctx, Conn]`.
    """

    def new(self, context: C_contra, /) -> R_co: ...


class AsyncPoolable(Protocol[C_contra]):
    """A resource that an `AsyncPool[C, R]` can create and reuse, with context type C.

    As `Poolable`, with `new` and `reset` coroutines (awaited by the pool, on
    its event loop). An optional `close()` must be a coroutine too. A health
    check is not taken yet (AsyncPool has no lifecycle options).
    """

    @classmethod
    async def new(cls, context: C_contra, /) -> Self:
        """Create a resource from the pool's shared, read-only context."""
        ...

    async def reset(self) -> bool:
        """Make the resource ready for its next user; False means "discard me"."""
        ...


class AsyncFactory(Protocol[C_contra, A_co]):
    """What `AsyncPool` is given: a class (or object) whose `new(context)` is awaited for an R."""

    def new(self, context: C_contra, /) -> Awaitable[A_co]: ...
