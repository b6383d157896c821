"""Parallel programs with the lifecycle: expiry, eviction, `maintain()` and `resize()`.

The programs and trials of tests/programs.py on a pool made with lifecycle
options and an injected clock, with three more commands: `tick` (the
clock moves on), `maintain` and `resize N`. Time is the lab's: a counter of
ticks that only `tick` moves, so whether a hand-out finds its resource
expired, or a sweep finds the cold end idle long enough, depends on how the
threads interleave with the ticks, never on the machine's speed.

Two kinds of program (`lifecycle_programs`):

- *AutoScale with `max_lifetime` and `max_idle`*: gets that sweep one step
  and renew an expired resource, releases that discard one, maintain()
  evicting idle resources; each eviction's unit comes back as spare.
- *Static with `max_lifetime` and at most one `resize()`*, lowering or
  raising the count: payments of the debt (by the resize itself, by each
  hand-out, by maintain()) and the grants of a raise.

The history (`operations`) turns each call's events into the spec's actions
(tests/lincheck/spec.py), in the interval its events bound, as
tests/lincheck/history.py does for the plain pool:

| observed in one thread                      | actions                          |
|---------------------------------------------|----------------------------------|
| get: new() made r.., then close(x).., then  | TakeFree grow (or reuse of the   |
| close(e) new() made r' returned r'          | resource renewed, e), PutIdle of |
|                                             | the extras; each close(x): Evict |
|                                             | x + ReturnGrant 1 (AutoScale) or |
|                                             | Pay x (Static); e: renewed, its  |
|                                             | unit passes to r'                |
| release r: reset ok, no close(r)            | PutIdle r                        |
| release r: reset ok/false/raise, close(r)   | Static: PutIdle r' (replacement) |
|                                             | AutoScale: ReturnGrant 1         |
| maintain: close(x)..                        | as a get's close(x)              |
| resize N, from M                            | Lower M-N (+ Pay x per close(x)) |
|                                             | or Raise N-M                     |

What the spec cannot see, the programs avoid, and say so: a sweep that
pops a *grant* (every idle resource was taken between its look and its pop)
puts it back unseen, and a payment of a grant is unseen too. So no program
mixes eviction with resize(), a Static pool (no grants: its `new()` never
fails here) is the one resized, and once per program, so that a lowering
never meets a raise's grants. Under AutoScale a sweep's grant pop remains
possible in principle (a race the threads have not been seen to hit); the
spec would then reject a correct history, never accept a wrong one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from rpool import AutoScale, Pool, PoolGuard, ScaleMode, Static
from rpool.testing import Operation, Verdict, check
from tests.lincheck.history import resources_consistent
from tests.lincheck.spec import (
    Evict,
    Input,
    Lower,
    Pay,
    PoolSpec,
    PutIdle,
    Raise,
    ReturnGrant,
    SpecState,
    TakeFree,
)
from tests.probe import Event, Lab, Plan, Probe
from tests.programs import Command, Program, Trial

__all__ = ["LifecycleTrial", "Ticks", "lifecycle_programs", "operations"]

LIFETIME = 2.0
"""Ticks a resource lives (no jitter): expiry needs a few ticks between hand-outs."""
IDLE = 1.0
"""Ticks a resource must stay at the cold end before a sweep evicts it."""


class Ticks:
    """The injected clock: a count that only the `tick` command moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class LifecycleTrial(Trial):
    """A `Trial` whose pool has lifecycle options and whose branches may tick, maintain, resize."""

    ticks: Ticks = field(init=False)

    def __post_init__(self) -> None:
        self.ticks = Ticks()
        mode = self.program.mode
        options: dict[str, Any] = {"max_lifetime": LIFETIME, "lifetime_jitter": 0.0}
        if isinstance(mode, AutoScale):
            options["max_idle"] = IDLE
        ticks = self.ticks
        # Trial.__post_init__ makes the pool with pool_type(Probe, mode, lab).
        self.pool_type = _with_options(options, ticks)  # type: ignore[assignment]
        super().__post_init__()

    def perform(self, process: int, command: Command, held: list[PoolGuard[Probe]]) -> None:
        lab, pool = self.lab, self.pool
        if command.kind == "tick":
            lab.begin("tick", Plan())
            self.ticks.now += 1.0  # one store of a float: the clock's next reads see it
            lab.end("ok")
        elif command.kind == "maintain":
            lab.begin("maintain", Plan())
            lab.end(str(pool.maintain()))
        elif command.kind == "resize":
            bound = command.which
            if self.lab.maximum is not None:
                # The lab checks capacity against the greatest bound in force.
                self.lab.maximum = max(self.lab.maximum, bound)
            lab.begin(f"resize {bound}", Plan())
            pool.resize(bound)
            lab.end("ok")
        else:
            super().perform(process, command, held)

    def linearizability(self, atomic_get: bool = False) -> Verdict[SpecState, Input]:
        logs = {p: events for p, events in self.lab.logs.items() if p >= 0}
        ops = operations(logs, self.program.mode)
        spec = PoolSpec(bounded=True)
        return check(ops, self.start, spec.step, resources_consistent(ops))

    def verify(self, stopped: Sequence[int] = ()) -> None:
        """Trial.verify's checks, with the bound in force: after a lowering, `_maximum + debt`."""
        lifecycle = self.pool._lifecycle
        assert lifecycle is not None
        assert self.pool._maximum is not None
        self.maximum = self.pool._maximum + len(lifecycle.debt)
        super().verify(stopped)


def _with_options(options: dict[str, Any], clock: Ticks) -> Callable[..., Pool[Lab, Probe]]:
    def make(resource: Any, mode: ScaleMode, context: Lab) -> Pool[Lab, Probe]:
        return Pool(resource, mode, context, clock=clock, **options)

    return make


def operations(logs: dict[int, list[Event]], mode: ScaleMode) -> list[Operation[Input]]:
    """The actions of every logged call of a lifecycle program (see the module's table)."""
    static = isinstance(mode, Static)
    count = mode.count if isinstance(mode, Static) else None
    result: list[Operation[Input]] = []
    group = 0
    for process, events in sorted(logs.items()):
        starts = [i for i, event in enumerate(events) if event.kind == "call"]
        for n, start in enumerate(starts):
            end = starts[n + 1] if n + 1 < len(starts) else len(events)
            group += 1
            result += _parse(process, events[start:end], static, count, group)
    return result


def _parse(
    process: int, events: list[Event], static: bool, count: int | None, group: int
) -> list[Operation[Input]]:
    call, ret = events[0], events[-1]
    if ret.kind != "return":
        raise ValueError("a lifecycle history's threads all finish")
    inner = events[1:-1]
    title = f"{call.detail} -> {ret.detail}"
    ops: list[Operation[Input]] = []

    def add(action: Input, start: int, end: int, what: str) -> None:
        ops.append(Operation(start, end, process, action, f"{title}: {what}", group))

    def after(k: int) -> int:
        return inner[k + 1].t if k + 1 < len(inner) else ret.t

    def discard(k: int) -> None:
        """inner[k] is a sweep's or a payment's close(x)."""
        resource = inner[k].number
        assert resource is not None
        if static:
            add(Pay(resource), call.t, inner[k].t, f"Pay r{resource}")
        else:
            add(Evict(resource), call.t, inner[k].t, f"Evict r{resource}")
            add(ReturnGrant(1), inner[k].t, after(k), "ReturnGrant 1 (evicted)")

    name = call.detail.split()[0]
    if name == "tick":
        return ops
    if name == "resize":
        bound = int(call.detail.split()[1])
        assert count is not None, "only a Static pool is resized"
        if bound < count:
            add(Lower(count - bound), call.t, ret.t, f"Lower {count - bound}")
        elif bound > count:
            add(Raise(bound - count), call.t, ret.t, f"Raise {bound - count}")
        for k, event in enumerate(inner):
            assert event.kind == "close", f"resize: unexpected {event}"
            discard(k)
        return ops
    if name == "maintain":
        for k, event in enumerate(inner):
            assert event.kind == "close", f"maintain: unexpected {event}"
            discard(k)
        return ops
    if name == "release":
        _release(inner, static, add, after)
        return ops
    assert name == "get", f"not a lifecycle command: {call.detail}"
    if ret.number is None:
        assert ret.detail == "None" and not inner, f"get: {title} {inner}"
        add(TakeFree("empty"), call.t, ret.t, "TakeFree empty")
        return ops
    # The renewal of an expired resource ends the call: close(e), new(), made r'.
    got: int | None = ret.number
    body = inner
    kinds = [event.kind for event in inner]
    if kinds[-3:] == ["close", "new", "made"] and inner[-1].number == ret.number:
        got, body = inner[-3].number, inner[:-3]
    assert got is not None
    made = [k for k, event in enumerate(body) if event.kind == "made"]
    closes = [k for k, event in enumerate(body) if event.kind == "close"]
    assert all(k > m for k in closes for m in made), f"get: a close before a new(): {inner}"
    first = body[0].t if body else (inner[0].t if inner else ret.t)
    if made:
        assert body[made[-1]].number == got, "a growth kept a resource it did not make"
        for k in made[:-1]:
            resource = body[k].number
            assert resource is not None
            add(PutIdle(resource), body[k].t, after(k), f"PutIdle r{resource}")
        add(TakeFree("grow", units=len(made), owner=group), call.t, first, "TakeFree grow")
    else:
        add(TakeFree("reuse", got), call.t, first, f"TakeFree reuse r{got}")
    for k in closes:
        discard(k)
    return ops


def _release(
    inner: list[Event],
    static: bool,
    add: Callable[[Input, int, int, str], None],
    after: Callable[[int], int],
) -> None:
    """A release's actions: PutIdle, or (failed reset, or expired) a replacement or a unit back."""
    assert len(inner) >= 2 and [e.kind for e in inner[:2]] == ["reset", "reset-done"], inner
    resource = inner[0].number
    assert resource is not None
    if len(inner) == 2:
        assert inner[1].detail == "ok", inner
        add(PutIdle(resource), inner[1].t, after(1), f"PutIdle r{resource}")
        return
    assert inner[2].kind == "close" and inner[2].number == resource, inner
    if static:
        assert [e.kind for e in inner[3:5]] == ["new", "made"], inner
        replacement = inner[4].number
        assert replacement is not None
        add(PutIdle(replacement), inner[4].t, after(4), f"PutIdle r{replacement} (replacement)")
    else:
        add(ReturnGrant(1), inner[2].t, after(2), "ReturnGrant 1")


_RESET = st.lists(st.sampled_from(["ok", "ok", "ok", "false", "raise"]), max_size=2).map(tuple)


def _commands() -> st.SearchStrategy[Command]:
    """Gets and releases, and as often a tick or a maintain(): evictions need both."""
    get = st.just(Command("get"))
    release = st.builds(Command, st.just("release"), st.integers(0, 3), reset=_RESET)
    tick, maintain = st.just(Command("tick")), st.just(Command("maintain"))
    return st.one_of(get, release, release, tick, maintain)


@st.composite
def lifecycle_programs(draw: st.DrawFn, threads: int = 3, length: int = 6) -> Program:
    """A small pool with lifecycle options, most of it taken by the prefix, then 2 to
    `threads` branches of gets, releases, ticks and maintain(); a Static pool's
    branches also resize it, once (see the module docstring for why once)."""
    static = draw(st.booleans(), label="static")
    mode: ScaleMode
    if static:
        mode = Static(draw(st.integers(1, 3)))
    else:
        initial = draw(st.integers(0, 1))
        mode = AutoScale(
            initial=initial,
            maximum=draw(st.integers(max(initial, 2), 4)),
            chunk_size=draw(st.integers(0, 2)),
        )
    maximum = mode.count if isinstance(mode, Static) else mode.maximum
    assert maximum is not None
    prefix = (Command("get"),) * draw(st.integers(0, maximum))
    count = draw(st.integers(2, threads))
    commands = _commands()
    branches = [
        draw(st.lists(commands, min_size=1, max_size=length), label=f"branch {i}")
        for i in range(count)
    ]
    if static:
        bound = draw(st.integers(1, 4).filter(lambda b: b != maximum), label="resize to")
        branch = branches[draw(st.integers(0, count - 1))]
        branch.insert(draw(st.integers(0, len(branch))), Command("resize", bound))
    return Program(mode, prefix, tuple(tuple(branch) for branch in branches))
