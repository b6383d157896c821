"""The keyword options of `Pool(...)` and `AsyncPool(...)`: lifecycle and leak detection.

Each option is off by default, and a pool made with every option off never
imports the modules that implement them (`_lifecycle.py`, `_leaks.py`), so
it runs `Pool.get()` and `PoolGuard.release()` untouched
(docs/performance.md). A pool with an option on has its class switched (see
`_vetting.vetted`, `_leaks.watched`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from numbers import Real
from typing import TYPE_CHECKING, Any

from ._scale import ScaleMode

if TYPE_CHECKING:
    from ._core import Core

__all__ = ["as_float", "configure", "seconds_option"]


def configure(
    pool: Core[Any],
    mode: ScaleMode,
    *,
    max_lifetime: float | None,
    lifetime_jitter: float,
    max_idle: float | None,
    clock: Callable[[], float],
    check: Callable[[Any], object] | None,
    recheck_after: float,
    maintain_every: float | None,
    leak_threshold: float | None,
) -> None:
    """Set `pool._lifecycle` and `pool._watch` from the options (None when off).

    Raises:
        TypeError, ValueError: an option is not of its type or out of its
            range (see `Pool`, `AsyncPool`).
    """
    pool._lifecycle = None
    if (
        max_lifetime is not None
        or max_idle is not None
        or check is not None
        or maintain_every is not None
        or (lifetime_jitter != 0.1 or clock is not time.monotonic or recheck_after != 0.0)
    ):
        # Imported only when an option is given (docs/performance.md).
        from ._vetting import configure as lifecycle

        pool._lifecycle = lifecycle(
            pool,
            mode,
            max_lifetime,
            lifetime_jitter,
            max_idle,
            clock,
            check,
            recheck_after,
            maintain_every,
        )
    pool._watch = None
    if leak_threshold is not None:
        # Imported only when asked for: a pool without it runs Pool.get().
        from ._leaks import configure as watch_leaks

        pool._watch = watch_leaks(pool, leak_threshold, clock)


def as_float(number: Real | float) -> float:
    """`number` (an int, a float, any `numbers.Real`) as a float.

    A number too large for a float (an int beyond 2**1024, say) is as good as
    infinite, and becomes `inf` or `-inf`, for the caller to refuse or accept
    as it refuses or accepts infinity.
    """
    try:
        return float(number)
    except OverflowError:
        return -math.inf if number < 0 else math.inf


def seconds_option(name: str, value: object) -> float | None:
    """The option `name`'s `value` as a positive, finite number of seconds; None stays None.

    Raises:
        TypeError: `value` is not None, an int or a float (bools are refused).
        ValueError: `value` is not positive and finite (NaN, an int too large
            for a float).
    """
    if value is None:
        return None
    if type(value) is bool or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number of seconds or None, not {type(value).__name__}")
    seconds = as_float(value)
    if not 0 < seconds < math.inf:
        raise ValueError(f"{name} must be positive and finite, got {value!r}")
    return seconds
