"""What a pooled resource must offer: the `Poolable` protocol.

Resources never inherit from anything of rpool's; they only have to match this
shape (structural typing). `Pool` checks it statically through `mypy --strict`.
"""

from __future__ import annotations

from typing import Any, Protocol, Self, TypeVar

__all__ = ["Factory", "Poolable"]

C_contra = TypeVar("C_contra", contravariant=True)
R_co = TypeVar("R_co", bound="Poolable[Any]", covariant=True)


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
