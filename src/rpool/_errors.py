"""The exceptions rpool raises. Each is named for what the caller met."""

from __future__ import annotations

__all__ = ["GuardReleasedError", "PoolClosedError", "PoolError", "PoolTimeout", "raise_all"]


class PoolError(Exception):
    """Base class of every error that rpool itself raises."""

    __module__ = "rpool"


class PoolClosedError(PoolError):
    """The pool was closed: it hands out nothing more."""

    __module__ = "rpool"


class PoolTimeout(PoolError, TimeoutError):
    """`acquire()` waited its whole timeout (or tried once) and nothing came its way.

    A `TimeoutError` too, so `except TimeoutError` (and asyncio's) catches it.
    """

    __module__ = "rpool"


class GuardReleasedError(PoolError):
    """The guard's resource was already given back to its pool."""

    __module__ = "rpool"


def raise_all(errors: list[BaseException]) -> None:
    """Raise what discarding resources raised: an ExceptionGroup, or the first BaseException."""
    if not errors:
        return
    for error in errors:
        if not isinstance(error, Exception):
            for other in errors:
                if other is not error:
                    error.add_note(f"also, discarding a resource raised {other!r}")
            raise error
    raise ExceptionGroup(f"discarding {len(errors)} resource(s) raised", errors)  # type: ignore[type-var]
