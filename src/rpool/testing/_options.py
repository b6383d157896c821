"""`PoolOptions`: the keyword options of `Pool`, as a type the testing tools pass on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypedDict, TypeVar

from .._poolable import Poolable

__all__ = ["PoolOptions"]

R = TypeVar("R", bound=Poolable[Any])


class PoolOptions(TypedDict, Generic[R], total=False):
    """`Pool`'s keyword options (see its Args): what `ScheduledPool` and `PoolConfig` pass on."""

    max_lifetime: float | None
    lifetime_jitter: float
    max_idle: float | None
    clock: Callable[[], float]
    check: Callable[[R], bool] | None
    recheck_after: float
    maintain_every: float | None
    leak_threshold: float | None
