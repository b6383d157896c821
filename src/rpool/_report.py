"""How the pool reports what it cannot raise: warnings from an unrelated call.

A garbage-collected guard, or an orphan whose reset() or close() failed, has
no caller to raise to. The pool reports them as warnings from the ordinary
call that adopts the orphan, never from a finalizer (docs/design.md,
"Guards").
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._leaks import Watch

__all__ = ["collected", "report"]


def collected(resource: object, watch: Watch | None = None) -> str:
    """The ResourceWarning's message for a guard collected while holding `resource`.

    With leak detection on (`watch`), it also says where the guard was acquired.
    """
    return (
        f"a PoolGuard of {type(resource).__name__} was garbage-collected without "
        "release(); its resource went back to the pool"
        + ("" if watch is None else watch.collected_site(resource))
    )


def report(message: str, category: type[Warning]) -> None:
    """Warn from an ordinary call about something that call did not cause.

    A warnings filter that turns the warning into an error (`-W error`) must
    not change that call's result: the warning is then shown as warnings
    shows any other, and the call goes on. Never raises an Exception.
    """
    try:
        warnings.warn(message, category, stacklevel=4)
    except Exception:
        warnings.showwarning(message, category, __file__, 0)
