"""The real pool and the executable spec (tests/model.py), step for step.

A Hypothesis state machine runs random sequences of get, release (also twice),
release through garbage collection, and close against a real `Pool` and a
`Model`, with `new`, `reset` and `close` told to fail, raise or misbehave at
random. After every step it compares everything observable: the operation's
result or exception, the warnings, `stats()`, the free list and orphans item
for item (the model's variables), and which resources were closed. One machine
per shape: Static, bounded AutoScale by chunks, doubling, and unbounded.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable
from typing import ClassVar, TypeVar

from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from rpool import AutoScale, Pool, PoolGuard, ScaleMode, Static
from tests import model
from tests.model import Model
from tests.resources import Boom, Res, Script

T = TypeVar("T")

Outcome = tuple[object, ...]

NEW_PLAN = st.lists(st.sampled_from(["ok", "raise"]), max_size=3)
RESET_PLAN = st.lists(st.sampled_from(["ok", "false", "raise", "none"]), max_size=2)
CLOSE_PLAN = st.lists(st.sampled_from(["ok", "raise"]), max_size=2)


def describe(error: BaseException) -> Outcome:
    """An exception as the test compares it: type, and what a Boom came from."""
    if isinstance(error, BaseExceptionGroup):
        return ("group", *(describe(inner) for inner in error.exceptions))
    if isinstance(error, Boom):
        return ("Boom", str(error))
    return (type(error).__name__,)


def outcome(
    call: Callable[[], T], pool: Pool[Script, Res] | None = None
) -> tuple[Outcome, T | None, list[type[Warning]]]:
    """Run `call`; return what it raised (or ("ok",)), its value, its warnings.

    Only warnings about `pool` count: a guard of another pool (an earlier
    example's) may be collected at any moment and warn too.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value: T | None = call()
            result: Outcome = ("ok",)
        except Exception as error:
            value, result = None, describe(error)
    ours = [
        w.category for w in caught if not isinstance(w.source, PoolGuard) or w.source._pool is pool
    ]
    return result, value, ours


def bounded_autoscale(chunk: st.SearchStrategy[int]) -> st.SearchStrategy[ScaleMode]:
    def shape(initial: int) -> st.SearchStrategy[ScaleMode]:
        return st.builds(
            AutoScale,
            initial=st.just(initial),
            maximum=st.integers(max(initial, 1), 8),
            chunk_size=chunk,
        )

    return st.integers(0, 3).flatmap(shape)


class PoolAgainstModel(RuleBasedStateMachine):
    """Drives a `Pool[Script, Res]` and a `Model` with the same commands."""

    shapes: ClassVar[st.SearchStrategy[ScaleMode]]

    def __init__(self) -> None:
        super().__init__()
        self.guards: dict[int, PoolGuard[Res]] = {}
        self.released: list[PoolGuard[Res]] = []

    @initialize(data=st.data())
    def make_pool(self, data: st.DataObject) -> None:
        mode = data.draw(self.shapes, label="mode")
        self.script = Script()
        self.pool = Pool(Res, mode, self.script)
        self.model = Model(mode, Script())

    def teardown(self) -> None:
        # Release what is still held, so that no guard of this example is
        # collected (and warns) during a later one.
        for guard in self.guards.values():
            with contextlib.suppress(Exception):
                guard.release()

    def plan(self, new: list[str], reset: list[str], close: list[str]) -> None:
        for script in (self.script, self.model.script):
            script.new_plan, script.reset_plan, script.close_plan = [*new], [*reset], [*close]

    def both(self, real: Callable[[], T], spec: Callable[[], object]) -> T | None:
        """Run one operation on both; they must agree on result and warnings."""
        got, value, warned = outcome(real, self.pool)
        self.model.warned = []
        expected, expected_value, _ = outcome(spec)
        assert got == expected, f"pool: {got}, model: {expected}"
        assert warned == self.model.warned, f"pool warned {warned}, model {self.model.warned}"
        if isinstance(value, PoolGuard):
            assert value.resource.id == expected_value
        else:
            assert value == expected_value
        # Both asked their callbacks the same questions.
        for real_plan, spec_plan in (
            (self.script.new_plan, self.model.script.new_plan),
            (self.script.reset_plan, self.model.script.reset_plan),
            (self.script.close_plan, self.model.script.close_plan),
        ):
            assert len(real_plan) == len(spec_plan)
        return value

    def pick(self, data: st.DataObject) -> int:
        return data.draw(st.sampled_from(sorted(self.guards)), label="resource")

    @rule(new=NEW_PLAN, reset=RESET_PLAN, close=CLOSE_PLAN)
    def get(self, new: list[str], reset: list[str], close: list[str]) -> None:
        self.plan(new, reset, close)
        guard = self.both(self.pool.get, self.model.get)
        if isinstance(guard, PoolGuard):
            self.guards[guard.resource.id] = guard

    @precondition(lambda self: self.guards)
    @rule(data=st.data(), new=NEW_PLAN, reset=RESET_PLAN, close=CLOSE_PLAN)
    def release(
        self, data: st.DataObject, new: list[str], reset: list[str], close: list[str]
    ) -> None:
        resource = self.pick(data)
        guard = self.guards.pop(resource)
        self.plan(new, reset, close)
        self.both(guard.release, lambda: self.model.release(resource))
        assert guard.released
        self.released.append(guard)

    @precondition(lambda self: self.released)
    @rule(data=st.data())
    def release_again(self, data: st.DataObject) -> None:
        """A second release of the same guard does nothing at all."""
        guard = data.draw(st.sampled_from(self.released), label="released")
        self.plan([], [], [])
        self.both(guard.release, lambda: None)

    @precondition(lambda self: self.guards)
    @rule(data=st.data())
    def drop(self, data: st.DataObject) -> None:
        """The guard is garbage-collected unreleased (CPython frees it at once)."""
        resource = self.pick(data)
        self.plan([], [], [])

        def collect() -> None:
            guard = self.guards.pop(resource)
            assert not guard.released
            del guard

        self.both(collect, lambda: self.model.drop(resource))

    @rule(close=CLOSE_PLAN)
    def close(self, close: list[str]) -> None:
        self.plan([], [], close)
        self.both(self.pool.close, self.model.close)

    @invariant()
    def stats_agree(self) -> None:
        if hasattr(self, "pool"):
            assert self.pool.stats() == self.model.stats()

    @invariant()
    def variables_agree(self) -> None:
        """free, orphans and closed are the model's, item for item."""
        if not hasattr(self, "pool"):
            return
        free = [model.Grant(item) if isinstance(item, int) else item.id for item in self.pool._free]
        assert free == list(self.model.state.free)
        # A collected guard's resource waits in a one-element list.
        assert [box[0].id for box in self.pool._orphans] == list(self.model.state.orphans)
        assert self.pool.closed == self.model.state.closed
        self.model.check()

    @invariant()
    def closed_resources_are_the_discarded_ones(self) -> None:
        if not hasattr(self, "pool"):
            return
        closed = {r.id for r in self.script.closed}
        assert closed == set(range(self.model.created)) - self.model.alive
        assert {r.id for r in self.script.made} == set(range(self.model.created))


class StaticMachine(PoolAgainstModel):
    shapes = st.builds(Static, count=st.integers(1, 4))


class ChunkedMachine(PoolAgainstModel):
    shapes = bounded_autoscale(st.integers(1, 3))


class DoublingMachine(PoolAgainstModel):
    shapes = bounded_autoscale(st.just(0))


class UnboundedMachine(PoolAgainstModel):
    shapes = st.builds(AutoScale, initial=st.integers(0, 3), chunk_size=st.integers(0, 3))


test_static_pool_behaves_as_the_model = StaticMachine.TestCase
test_chunked_autoscale_pool_behaves_as_the_model = ChunkedMachine.TestCase
test_doubling_autoscale_pool_behaves_as_the_model = DoublingMachine.TestCase
test_unbounded_autoscale_pool_behaves_as_the_model = UnboundedMachine.TestCase
