"""Fault injection: a user's resource class whose callbacks fail as a plan says.

`faulty(Conn, faults)` returns a subclass of `Conn` whose `new`, `reset`,
`check` (if `Conn` has one) and `close` (likewise) first ask `faults` what to
do: go on, raise `InjectedFault`, return False, or stall and then go on.
Because it is a subclass, a pool built on it is still a `Pool[C, Conn]` and
the guard's resource is still a `Conn`: the user's test code keeps its types.

A `Faults` plan is either scripted (lists of outcomes, which Hypothesis can
draw and shrink: `rpool.testing.strategies.fault_plans`) or seeded (rates of
failure; the outcome of the n-th call of a callback is a pure function of the
seed, the callback and n, so a failing seed replays however threads
interleave the calls of different callbacks).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Final, Literal, TypeVar, cast, get_args

__all__ = ["Callback", "Faults", "InjectedFault", "Outcome", "faulty"]

R = TypeVar("R")

Callback = Literal["new", "reset", "check", "close"]
"""The resource callbacks a plan decides for."""
Outcome = Literal["ok", "raise", "false", "stall"]
"""What one call does: run as written, raise `InjectedFault`, return False
(`reset` and `check` only), or stall (call `Faults.stall`) and then run."""

CALLBACKS: Final[tuple[Callback, ...]] = get_args(Callback)
OUTCOMES: Final[tuple[Outcome, ...]] = get_args(Outcome)
# new() and close() return nothing a pool could read as "no": they can only
# raise or stall.
_ALLOWED: Final[dict[str, tuple[Outcome, ...]]] = {
    "new": ("ok", "raise", "stall"),
    "reset": OUTCOMES,
    "check": OUTCOMES,
    "close": ("ok", "raise", "stall"),
}


class InjectedFault(Exception):
    """A failure that a `Faults` plan injected into a resource's callback."""

    __module__ = "rpool.testing"

    def __init__(self, callback: Callback, call: int) -> None:
        super().__init__(f"injected fault: {callback}() call #{call}")
        self.callback: Callback = callback
        self.call = call


def _short_stall() -> None:
    time.sleep(0.01)


class Faults:
    """Decides, call by call, what the wrapped callbacks do; safe to share between threads.

    `log` records every decision as (callback, call number, outcome), in the
    order the calls happened, so a failing test can print what was injected.
    Build one with `scripted()`, `seeded()`, or a `decide(callback, n)`
    function of your own (n counts the calls of that callback from 1).
    `stall` is what a stalled call runs before going on (by default it sleeps
    10 ms; pass an event's `wait` to hold a thread until the test lets it go).
    """

    __slots__ = ("_calls", "_decide", "_lock", "log", "stall")

    def __init__(
        self,
        decide: Callable[[Callback, int], Outcome],
        *,
        stall: Callable[[], object] = _short_stall,
    ) -> None:
        if not callable(decide):
            raise TypeError(f"decide must be callable, not {type(decide).__name__}")
        if not callable(stall):
            raise TypeError(f"stall must be callable, not {type(stall).__name__}")
        self._decide = decide
        self.stall = stall
        self._calls = dict.fromkeys(CALLBACKS, 0)
        # The plan's own bookkeeping; never held while user code runs.
        self._lock = threading.Lock()
        self.log: list[tuple[Callback, int, Outcome]] = []

    @classmethod
    def scripted(
        cls,
        *,
        new: Sequence[Literal["ok", "raise", "stall"]] = (),
        reset: Sequence[Outcome] = (),
        check: Sequence[Outcome] = (),
        close: Sequence[Literal["ok", "raise", "stall"]] = (),
        stall: Callable[[], object] = _short_stall,
    ) -> Faults:
        """The n-th call of each callback does the n-th outcome of its list; later calls run.

        Raises:
            ValueError: an outcome a callback cannot have ("false" for `new`
                or `close`, or an unknown word).
        """
        scripts: dict[Callback, tuple[Outcome, ...]] = {
            "new": tuple(new),
            "reset": tuple(reset),
            "check": tuple(check),
            "close": tuple(close),
        }
        for callback, outcomes in scripts.items():
            for outcome in outcomes:
                if outcome not in _ALLOWED[callback]:
                    raise ValueError(
                        f"{callback}: outcome must be one of {_ALLOWED[callback]}, got {outcome!r}"
                    )

        def decide(callback: Callback, n: int) -> Outcome:
            script = scripts[callback]
            return script[n - 1] if n <= len(script) else "ok"

        return cls(decide, stall=stall)

    @classmethod
    def seeded(
        cls,
        seed: int,
        *,
        new: float = 0.0,
        reset: float = 0.0,
        check: float = 0.0,
        close: float = 0.0,
        stall: float = 0.0,
        stall_with: Callable[[], object] = _short_stall,
    ) -> Faults:
        """Each call of a callback fails with the given probability, decided by `seed`.

        A failing `reset` or `check` raises or returns False, half the time
        each; a failing `new` or `close` raises. A call that does not fail
        stalls with probability `stall`. The n-th call's outcome depends only
        on (seed, callback, n).

        Raises:
            TypeError: `seed` is not an int.
            ValueError: a probability is outside [0, 1].
        """
        if type(seed) is not int:
            raise TypeError(f"seed must be an int, not {type(seed).__name__}")
        rates: dict[Callback, float] = {"new": new, "reset": reset, "check": check, "close": close}
        for name, rate in [*rates.items(), ("stall", stall)]:
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be a probability in [0, 1], got {rate!r}")

        def decide(callback: Callback, n: int) -> Outcome:
            draw = random.Random(f"{seed}:{callback}:{n}")
            if draw.random() < rates[callback]:
                if callback in ("reset", "check") and draw.random() < 0.5:
                    return "false"
                return "raise"
            return "stall" if draw.random() < stall else "ok"

        return cls(decide, stall=stall_with)

    def next(self, callback: Callback) -> tuple[Outcome, int]:
        """Decide the next call of `callback`: its outcome and its number (from 1)."""
        with self._lock:
            self._calls[callback] += 1
            n = self._calls[callback]
        outcome = self._decide(callback, n)
        if outcome not in _ALLOWED[callback]:
            raise ValueError(
                f"{callback}: the plan decided {outcome!r}, not one of {_ALLOWED[callback]}"
            )
        with self._lock:
            self.log.append((callback, n, outcome))
        return outcome, n

    def injected(self) -> list[tuple[Callback, int, Outcome]]:
        """The decisions that were not "ok", in the order the calls happened."""
        with self._lock:
            return [entry for entry in self.log if entry[2] != "ok"]

    def __repr__(self) -> str:
        return f"<Faults injected={self.injected()!r}>"


def faulty(resource: type[R], faults: Faults) -> type[R]:
    """A subclass of `resource` whose callbacks do what `faults` decides, call by call.

    `new` may raise before the real `new` runs (nothing is made) or stall
    first. `reset` and `check` may raise or return False without running the
    real method (the resource stays as its last user left it: what the pool
    then does with it, such as calling `close()`, is what is tested), or
    stall first. `close` may raise after the real `close` ran (so that
    test resources are not leaked) or stall first. `check` and `close` are
    wrapped only if `resource` has them. The real `new` must return an
    instance of `resource` made by `cls(...)` or `resource(...)`: the
    latter is given the subclass as its class.

    Raises:
        TypeError: `resource` is not a class with a callable `new`, or
            `faults` is not a `Faults`.
    """
    if not isinstance(resource, type) or not callable(getattr(resource, "new", None)):
        raise TypeError(f"resource must be a class with a new(context) method: {resource!r}")
    if not isinstance(faults, Faults):
        raise TypeError(f"faults must be a Faults plan, not {type(faults).__name__}")
    base: Any = resource
    made_class: list[Any] = []

    def new(cls: Any, context: Any, /) -> Any:
        outcome, n = faults.next("new")
        if outcome == "stall":
            faults.stall()
        elif outcome == "raise":
            raise InjectedFault("new", n)
        made = super(made_class[0], cls).new(context)
        if type(made) is base:
            # new() built the base class by name: make it the faulty one.
            made.__class__ = made_class[0]
        elif not isinstance(made, made_class[0]):
            raise TypeError(
                f"{base.__name__}.new() returned a {type(made).__name__}, not a "
                f"{base.__name__}: faulty() cannot wrap it"
            )
        return made

    def decided(name: Callback) -> Callable[..., Any]:
        def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            outcome, n = faults.next(name)
            if outcome == "stall":
                faults.stall()
            elif outcome == "raise" and name != "close":
                raise InjectedFault(name, n)
            elif outcome == "false":
                return False
            result = getattr(super(made_class[0], self), name)(*args, **kwargs)
            if outcome == "raise":  # close(): the real one ran
                raise InjectedFault(name, n)
            return result

        method.__name__ = method.__qualname__ = name
        return method

    namespace: dict[str, Any] = {
        "__module__": base.__module__,
        "__qualname__": f"faulty({base.__qualname__})",
        "__doc__": base.__doc__,
        "new": classmethod(new),
        "reset": decided("reset"),
    }
    optionals: tuple[Callback, ...] = ("check", "close")
    for optional in optionals:
        if callable(getattr(base, optional, None)):
            namespace[optional] = decided(optional)
    # An empty __slots__ adds no instance dict, so that `__class__` can be
    # swapped on an instance the base class made (same layout); a base
    # without __slots__ keeps its __dict__ all the same.
    namespace["__slots__"] = ()
    subclass = type(f"Faulty{base.__name__}", (base,), namespace)
    made_class.append(subclass)
    return cast(type[R], subclass)
