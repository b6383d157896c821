"""The exceptions rpool raises. Each is named for what the caller met."""

from __future__ import annotations

__all__ = ["GuardReleasedError", "PoolClosedError", "PoolError"]


class PoolError(Exception):
    """Base class of every error that rpool itself raises."""

    __module__ = "rpool"


class PoolClosedError(PoolError):
    """The pool was closed: it hands out nothing more."""

    __module__ = "rpool"


class GuardReleasedError(PoolError):
    """The guard's resource was already given back to its pool."""

    __module__ = "rpool"
