"""The contract kit: a Hypothesis state machine that checks a user's resource class.

`contract_machine(Conn, context, observe, use=[...])` builds a
`RuleBasedStateMachine` that drives a pool of `Conn` through `get`,
`acquire`, `release`, dropping a guard, `close`, and failing `new()` and
`reset()` calls, while the user's `use` actions dirty the resources handed
out. It checks what the pool relies on and cannot check itself:

- a resource handed out again is indistinguishable, by `observe`, from the
  same resource when it was fresh (its `reset()` really resets);
- `reset()` returns a bool (True or False, not a truthy value);
- `close()` does not raise, whatever state the resource is in: after a
  failed `reset()` (one that returned False or raised, leaving the resource
  as its user left it), or with no reset at all (the resource of a dropped
  guard, discarded when the pool is closed);
- `new()` makes a resource of its own (never one it made before) that looks,
  by `observe`, as the first one did: nothing passes to it from a resource
  it replaces.

With `lifecycle=True` the pool also gets lifecycle options
(`strategies.lifecycle_configs`) on a `FakeClock` that a step advances, and
a step runs `maintain()`: resources expire, idle ones are evicted, and, if
the class has a `check()` method, the pool may check each resource it hands
out. `spoil=` is what the world may do to an idle resource (a server that
drops a connection); the pool then always checks, and `check()` must:

- return a bool, and never True for a resource `spoil` broke.

A failure is a Hypothesis failure: the smallest sequence of steps, as
Hypothesis prints it. Needs Hypothesis (`pip install rpool[testing]`).
"""

from __future__ import annotations

import warnings
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, Generic, TypeVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from .. import Pool, PoolClosedError, PoolGuard, PoolTimeout, ScaleMode
from ._clock import FakeClock
from ._faults import Callback, Faults, InjectedFault, Outcome, faulty
from .strategies import LifecycleConfig, lifecycle_configs, scale_modes

__all__ = ["ContractViolation", "contract_machine"]

C = TypeVar("C")
R = TypeVar("R")


class ContractViolation(AssertionError):
    """The resource class broke a rule of the contract the pool relies on."""

    __module__ = "rpool.testing.contract"


@contextmanager
def _quiet() -> Iterator[None]:
    # Giving back a dropped guard's resource warns (ResourceWarning), as an
    # unclosed file does; dropping guards is one of the machine's steps.
    # A failure while giving back such a resource is reported as a
    # RuntimeWarning (the call that adopted it was not the one that dropped
    # it); the machine sees that failure itself, through its spy.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        warnings.filterwarnings("ignore", "giving back an orphaned resource", RuntimeWarning)
        warnings.filterwarnings("ignore", "discarding an expired or idle", RuntimeWarning)
        yield


class _Record(Generic[R]):
    """What the machine knows of one resource: its fresh look, its last reset, its fate."""

    __slots__ = ("closed", "fresh", "reset_failed", "resource", "spoiled")

    def __init__(self, resource: R, fresh: object) -> None:
        self.resource = resource
        self.fresh = fresh
        self.reset_failed = False
        self.spoiled = False
        self.closed = False

    def __repr__(self) -> str:  # as Hypothesis prints a drawn record
        return f"<a {type(self.resource).__name__} idle in the pool>"


def contract_machine(
    resource: type[R],
    context: C,
    observe: Callable[[R], object],
    *,
    use: Sequence[Callable[[R], object]],
    modes: st.SearchStrategy[ScaleMode] | None = None,
    faults: bool = True,
    lifecycle: bool = False,
    spoil: Callable[[R], object] | None = None,
) -> type[RuleBasedStateMachine]:
    """Build the contract state machine for `resource`; run it with `.TestCase` or Hypothesis.

    `context` is given to every `new()`. `observe(r)` returns what a user of
    `r` could tell apart (compared with `==`), and must not change `r`;
    each of `use` does something to a resource a user might do (and not
    undo). `modes` draws the pool's scale mode (default: small `Static` and
    `AutoScale` pools). With `faults`, steps may make a `new()` raise and a
    `reset()` raise or return False without running. With `lifecycle`, the
    pool gets lifecycle options on a fake clock, which a step advances, and a
    step runs `maintain()`. `spoil(r)` breaks an idle resource as the world
    might (the pool then checks every resource it hands out, and `r.check()`
    must say False for a spoiled one).

    Raises:
        TypeError: `resource` is not a class with `new` and `reset`, or
            `observe`, an action or `spoil` is not callable, or `spoil` is
            given for a class with no `check()`.
        ValueError: `use` is empty (nothing would dirty a resource, so the
            reset check could not fail), or `spoil` is given without
            `lifecycle`.
    """
    if not isinstance(resource, type) or not all(
        callable(getattr(resource, name, None)) for name in ("new", "reset")
    ):
        raise TypeError(f"resource must be a class with new() and reset(): {resource!r}")
    if not callable(observe):
        raise TypeError(f"observe must be callable, not {type(observe).__name__}")
    actions = tuple(use)
    if not actions:
        raise ValueError("use must hold at least one action that changes a resource")
    for action in actions:
        if not callable(action):
            raise TypeError(f"each action of use must be callable, not {type(action).__name__}")
    checks = callable(getattr(resource, "check", None))
    if spoil is not None:
        if not callable(spoil):
            raise TypeError(f"spoil must be callable, not {type(spoil).__name__}")
        if not checks:
            raise TypeError(f"spoil needs a check() method on {resource.__name__} to catch it")
        if not lifecycle:
            raise ValueError("spoil needs lifecycle=True: a pool checks resources only with it")
    mode_strategy = modes if modes is not None else scale_modes(max_capacity=3)

    @st.composite
    def setups(draw: st.DrawFn) -> tuple[ScaleMode, LifecycleConfig]:
        """A mode and lifecycle options valid for it (always checking, if `spoil`)."""
        mode = draw(mode_strategy)
        # No leak_threshold: it calls nothing of the class, and its reports
        # of guards held across an `advance` would only fill the output.
        options = draw(
            lifecycle_configs(mode, check=checks and spoil is None, leaks=False, max_seconds=10)
        )
        if spoil is not None:
            # Every hand-out checks, so a spoiled resource is always caught.
            options = replace(options, check=True, recheck_after=0.0)
        return mode, options

    # Failures one time in four: often enough to reach every failure path,
    # rarely enough that a resource is reused after a reset that ran. Each
    # shrinks to "ok", the first.
    outcomes: dict[str, tuple[Outcome, ...]] = {
        "new": ("ok", "ok", "ok", "raise") if faults else ("ok",),
        "reset": ("ok", "ok", "false", "raise") if faults else ("ok",),
    }
    name = resource.__name__
    # What a step that takes a resource does with it: indexes into `actions`.
    uses = st.lists(st.integers(0, len(actions) - 1), max_size=2)

    class ResourceContract(RuleBasedStateMachine):
        """The contract of a resource class with the pool, as rules and checks."""

        def __init__(self) -> None:
            super().__init__()
            # The next outcomes of new() and reset(), set by the step that
            # triggers them; a callback with none planned runs as written.
            self.planned: dict[str, deque[Outcome]] = {"new": deque(), "reset": deque()}
            self.records: dict[int, _Record[Any]] = {}
            self.guards: list[PoolGuard[Any]] = []
            self.violations: list[str] = []
            self.pool: Pool[Any, Any] | None = None
            self.clock: FakeClock | None = None
            # observe() of the first resource new() made: every new one must match.
            self.first: list[object] = []

        def decide(self, callback: Callback, n: int) -> Outcome:
            planned = self.planned.get(callback)
            return planned.popleft() if planned else "ok"

        def spied(self) -> Any:
            """The user's class, faulty as planned, reporting to this machine."""
            machine = self
            base: Any = faulty(resource, Faults(self.decide, stall=lambda: None))

            class Spied(base):  # type: ignore[misc]
                __slots__ = ()

                @classmethod
                def new(cls, context: Any, /) -> Any:
                    made = super().new(context)
                    if type(made) is not cls:  # new() named its class
                        made.__class__ = cls
                    before = machine.records.get(id(made))
                    if before is not None and before.resource is made:
                        state = "closed" if before.closed else "still in use"
                        machine.violations.append(
                            f"{name}.new() returned a resource it made before ({state})"
                        )
                    fresh = observe(made)
                    if not machine.first:
                        machine.first.append(fresh)
                    elif fresh != machine.first[0]:
                        machine.violations.append(
                            f"{name}.new() made a resource that is not as fresh as the first: "
                            f"observe() gives {fresh!r}, it gave {machine.first[0]!r}"
                        )
                    machine.records[id(made)] = _Record(made, fresh)
                    return made

                def reset(self) -> Any:
                    record = machine.records[id(self)]
                    record.reset_failed = True
                    result = super().reset()
                    if type(result) is not bool:
                        machine.violations.append(f"{name}.reset() returned {result!r}, not a bool")
                    record.reset_failed = result is not True
                    if result is True:
                        seen = observe(self)
                        if seen != record.fresh:
                            machine.violations.append(
                                f"{name} is not as fresh after reset() returned True: "
                                f"observe() gives {seen!r}, it gave {record.fresh!r} when new"
                            )
                    return result

                if checks:

                    def check(self) -> Any:
                        result = super().check()
                        if type(result) is not bool:
                            machine.violations.append(
                                f"{name}.check() returned {result!r}, not a bool"
                            )
                        if result is True and machine.records[id(self)].spoiled:
                            machine.violations.append(
                                f"{name}.check() returned True for a resource spoil() broke"
                            )
                        return result

                if callable(getattr(resource, "close", None)):

                    def close(self) -> None:
                        record = machine.records[id(self)]
                        record.closed = True
                        try:
                            super().close()
                        except Exception as error:
                            after = " after a failed reset()" if record.reset_failed else ""
                            if record.spoiled:
                                after += " on a resource spoil() broke"
                            machine.violations.append(f"{name}.close() raised {error!r}{after}")
                            raise

            Spied.__name__ = Spied.__qualname__ = name
            return Spied

        def build(self, mode: ScaleMode, options: LifecycleConfig, new: Outcome) -> None:
            self.planned["new"].append(new)
            spied = self.spied()
            self.clock = options.clock
            try:
                self.pool = Pool(spied, mode, context, **options.options(spied))
            except InjectedFault:
                self.planned["new"].clear()
                self.pool = Pool(spied, mode, context, **options.options(spied))
            finally:
                self.check_violations()

        if lifecycle:

            @initialize(setup=setups(), new=st.sampled_from(outcomes["new"]))
            def make_pool(self, setup: tuple[ScaleMode, LifecycleConfig], new: Outcome) -> None:
                self.build(*setup, new)

            @precondition(lambda self: self.pool is not None)
            @rule(seconds=st.integers(1, 10))
            def advance(self, seconds: int) -> None:
                # Resources age, expire and go idle; the next steps see it.
                assert self.clock is not None
                self.clock.advance(seconds)

            @precondition(lambda self: self.pool is not None and not self.pool.closed)
            @rule()
            def maintain(self) -> None:
                assert self.pool is not None
                self.give_back(self.pool.maintain)

        else:

            @initialize(mode=mode_strategy, new=st.sampled_from(outcomes["new"]))
            def make_pool(self, mode: ScaleMode, new: Outcome) -> None:
                self.build(mode, LifecycleConfig(), new)

        if spoil is not None:

            @precondition(lambda self: self.pool is not None and self.idle())
            @rule(data=st.data())
            def spoil_idle(self, data: st.DataObject) -> None:
                # What the world does to a resource while it sits in the pool.
                record = data.draw(st.sampled_from(self.idle()), label="idle")
                record.spoiled = True
                assert spoil is not None
                spoil(record.resource)

        def idle(self) -> list[_Record[Any]]:
            """The records of the resources idle in the pool's free list now."""
            assert self.pool is not None
            return [
                self.records[id(item)]
                for item in list(self.pool._free)
                if type(item) is not int and id(item) in self.records
            ]

        def take(self, how: str, new: Outcome, uses: list[int]) -> None:
            """Take a resource as a user would, and use it: the uses are what reset() must undo."""
            assert self.pool is not None
            self.planned["new"].append(new)
            try:
                with _quiet():
                    guard = self.pool.get() if how == "get" else self.pool.acquire(timeout=0)
            except (InjectedFault, PoolTimeout):
                return
            except PoolClosedError:
                assert self.pool.closed
                return
            finally:
                self.planned["new"].clear()
                self.check_violations()
            if guard is None:
                return
            record = self.records[id(guard.resource)]
            seen = observe(guard.resource)
            if seen != record.fresh:
                raise ContractViolation(
                    f"{name} handed out again is not as fresh: observe() gives {seen!r}, "
                    f"it gave {record.fresh!r} when new"
                )
            self.guards.append(guard)
            for action in uses:
                actions[action](guard.resource)

        @precondition(lambda self: self.pool is not None and not self.pool.closed)
        @rule(new=st.sampled_from(outcomes["new"]), uses=uses)
        def get(self, new: Outcome, uses: list[int]) -> None:
            self.take("get", new, uses)

        @precondition(lambda self: self.pool is not None and not self.pool.closed)
        @rule(new=st.sampled_from(outcomes["new"]), uses=uses)
        def acquire(self, new: Outcome, uses: list[int]) -> None:
            self.take("acquire", new, uses)

        @precondition(lambda self: self.guards)
        @rule(data=st.data(), action=st.integers(0, len(actions) - 1))
        def use(self, data: st.DataObject, action: int) -> None:
            guard = data.draw(st.sampled_from(self.guards), label="guard")
            actions[action](guard.resource)

        @precondition(lambda self: self.guards)
        @rule(data=st.data(), reset=st.sampled_from(outcomes["reset"]))
        def release(self, data: st.DataObject, reset: Outcome) -> None:
            guard = data.draw(st.sampled_from(self.guards), label="guard")
            self.guards.remove(guard)
            self.planned["reset"].append(reset)
            self.give_back(guard.release)

        @precondition(lambda self: self.guards)
        @rule(data=st.data())
        def drop(self, data: st.DataObject) -> None:
            guard = data.draw(st.sampled_from(self.guards), label="guard")
            self.guards.remove(guard)
            # What collecting the guard does, run now: Hypothesis may still
            # hold the guard (it drew it), so `del` would not collect it.
            # The finalizer moves the resource to the pool's orphans; a
            # later collection finds the guard empty and does nothing.
            guard.__del__()

        @rule()
        def close(self) -> None:
            assert self.pool is not None
            self.give_back(self.pool.close)

        def give_back(self, call: Callable[[], object]) -> None:
            try:
                with _quiet():
                    call()
            except InjectedFault:
                pass
            except BaseException as error:
                self.check_violations()
                raise ContractViolation(f"giving a {name} back raised {error!r}") from error
            finally:
                self.planned["reset"].clear()
                self.planned["new"].clear()
            self.check_violations()

        def check_violations(self) -> None:
            # Called after every step that runs the user's callbacks (a
            # Hypothesis invariant would print a line per step for nothing).
            if self.violations:
                raise ContractViolation("; ".join(self.violations))

        def teardown(self) -> None:
            for guard in self.guards:
                self.give_back(guard.release)
            if self.pool is not None:
                self.give_back(self.pool.close)

    ResourceContract.__name__ = ResourceContract.__qualname__ = f"{name}Contract"
    return ResourceContract
