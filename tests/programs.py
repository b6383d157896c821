"""Parallel programs of pool commands: how they are drawn, run and judged.

A `Program` is a pool shape, a sequential prefix and two or three branches
of commands (get, release, drop, close, stats), as in Erlang QuickCheck's
parallel state machines and OCaml's qcheck-lin. A `Trial` runs one: the
prefix in the calling thread, then each branch in its own thread, either on
real threads released together or under the deterministic scheduler. Every
command is logged by the pool's `Lab` (tests/probe.py), and `Trial.verify`
then checks, with all threads done:

- no rule was broken (the lab's violations: capacity above the maximum, a
  resource handed out twice, during its reset or after its discard, ...);
- the history is linearizable against the spec (tests/lincheck);
- at quiescence, `stats()` and the free list agree with the resources' own
  ground truth, and capacity is conserved.

`Trial.check_step` is the invariant checked after every scheduled step.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from hypothesis import strategies as st

from rpool import AutoScale, Pool, PoolClosedError, PoolGuard, ScaleMode, Static
from rpool.testing import Verdict, check
from rpool.testing._scheduler import point
from tests import model
from tests.lincheck.history import operations, resources_consistent
from tests.lincheck.spec import Input, PoolSpec, SpecState
from tests.probe import Lab, Plan, Probe
from tests.resources import Boom

__all__ = ["Command", "Program", "Trial", "programs", "shapes"]


@dataclass(frozen=True)
class Command:
    """One call: `kind` is get, release, drop, close or stats.

    `which` picks among the guards the branch holds (modulo their number);
    `new` and `reset` are the plan for the callbacks during the call.
    """

    kind: str
    which: int = 0
    new: tuple[str, ...] = ()
    reset: tuple[str, ...] = ()

    def __repr__(self) -> str:
        parts = [self.kind]
        if self.kind in ("release", "drop"):
            parts.append(f"#{self.which}")
        if self.new:
            parts.append(f"new={','.join(self.new)}")
        if self.reset:
            parts.append(f"reset={','.join(self.reset)}")
        return " ".join(parts)


@dataclass(frozen=True)
class Program:
    mode: ScaleMode
    prefix: tuple[Command, ...]
    branches: tuple[tuple[Command, ...], ...]


def shapes() -> st.SearchStrategy[ScaleMode]:
    """Small pools of every shape: contention needs few resources."""
    return st.one_of(
        st.builds(Static, count=st.integers(1, 3)),
        st.integers(0, 2).flatmap(
            lambda initial: st.builds(
                AutoScale,
                initial=st.just(initial),
                maximum=st.integers(max(initial, 1), 4),
                chunk_size=st.integers(0, 3),
            )
        ),
        st.builds(AutoScale, initial=st.integers(0, 2), chunk_size=st.integers(1, 2)),
    )


_NEW = st.lists(st.sampled_from(["ok", "ok", "raise"]), max_size=2).map(tuple)
_RESET = st.lists(st.sampled_from(["ok", "ok", "false", "raise"]), max_size=2).map(tuple)


def commands(closing: bool) -> st.SearchStrategy[Command]:
    choices = [
        st.builds(Command, st.just("get"), new=_NEW),
        st.builds(Command, st.just("get"), new=_NEW),
        st.builds(Command, st.just("release"), st.integers(0, 3), new=_NEW, reset=_RESET),
        st.builds(Command, st.just("release"), st.integers(0, 3), new=_NEW, reset=_RESET),
        st.builds(Command, st.just("drop"), st.integers(0, 3)),
        st.builds(Command, st.just("stats")),
    ]
    if closing:
        choices.append(st.builds(Command, st.just("close")))
    return st.one_of(choices)


@st.composite
def programs(draw: st.DrawFn, threads: int = 3, length: int = 4, closing: bool = True) -> Program:
    """A shape, a prefix of up to 3 commands, and 2 to `threads` branches."""
    mode = draw(shapes())
    prefix = draw(st.lists(commands(closing=False), max_size=3))
    count = draw(st.integers(2, threads))
    branches = draw(
        st.lists(
            st.lists(commands(closing), min_size=1, max_size=length).map(tuple),
            min_size=count,
            max_size=count,
        )
    )
    return Program(mode, tuple(prefix), tuple(branches))


@dataclass
class Trial:
    """One run of a program on a fresh pool."""

    program: Program
    pool_type: type[Pool[Lab, Probe]] = Pool
    lab: Lab = field(init=False)
    pool: Pool[Lab, Probe] = field(init=False)
    held: list[list[PoolGuard[Probe]]] = field(init=False)
    start: SpecState = field(init=False)

    def __post_init__(self) -> None:
        mode = self.program.mode
        self.maximum = mode.count if isinstance(mode, Static) else mode.maximum
        self.lab = Lab(self.maximum)
        self.pool = self.pool_type(Probe, mode, self.lab)
        self.held = [[] for _ in self.program.branches]
        # The prefix runs here, unscheduled; its guards go to the branches in turn.
        prefix_held: list[PoolGuard[Probe]] = []
        self.lab.enter(-1)
        for command in self.program.prefix:
            self.perform(-1, command, prefix_held)
        for i, guard in enumerate(prefix_held):
            branch = i % len(self.held)
            guard.resource.holder = branch
            self.held[branch].append(guard)
        self.start = SpecState(model.State(free=tuple(self.free()), closed=self.pool.closed))

    def programs(self) -> list[Callable[[], None]]:
        """One callable per branch, for threads or for the scheduler."""
        return [self.branch(i) for i in range(len(self.program.branches))]

    def branch(self, index: int) -> Callable[[], None]:
        def run() -> None:
            self.lab.enter(index)
            for command in self.program.branches[index]:
                self.perform(index, command, self.held[index])

        return run

    def perform(self, process: int, command: Command, held: list[PoolGuard[Probe]]) -> None:
        lab, pool = self.lab, self.pool
        if command.kind == "get":
            lab.begin("get", Plan(new=command.new))
            try:
                guard = pool.get()
            except PoolClosedError:
                lab.end("PoolClosedError")
                return
            except Boom as error:
                lab.end(f"Boom({error})")
                return
            if guard is None:
                lab.end("None")
                return
            lab.end(repr(guard.resource), guard.resource.number)
            lab.handed_out(guard.resource, process)
            held.append(guard)
        elif command.kind in ("release", "drop"):
            if not held:
                return
            guard = held.pop(command.which % len(held))
            lab.giving_back(guard.resource)
            name = f"{command.kind} {guard.resource!r}"
            if command.kind == "drop":
                lab.begin(name, Plan())
                del guard  # the only reference: the finalizer runs here (Orphan)
                lab.end("ok")
                return
            lab.begin(name, Plan(new=command.new, reset=command.reset))
            point("Claim", "box.pop")  # release()'s first step is the Claim
            try:
                guard.release()
            except (Boom, TypeError, ExceptionGroup) as error:
                lab.end(type(error).__name__)
                return
            lab.end("ok")
        elif command.kind == "close":
            lab.begin("close", Plan())
            pool.close()
            lab.end("ok")
        else:
            lab.begin("stats", Plan())
            stats = pool.stats()
            lab.end(repr(stats))
            if min(stats.capacity, stats.idle, stats.in_use, stats.creating) < 0:
                lab.violated(f"negative field in {stats}")
            # An open pool's capacity is maximum - spare from one snapshot; a
            # closed pool's comes from counters read one by one, and may
            # exceed the maximum (test_stats_of_a_closing_pool_stay_within_maximum).
            if self.maximum is not None and not pool.closed and stats.capacity > self.maximum:
                lab.violated(f"capacity above the maximum in {stats}")

    # --- judging -------------------------------------------------------------

    def free(self) -> list[model.Item]:
        """The free list as the model writes it (read without scheduling points)."""
        return [
            model.Grant(item) if isinstance(item, int) else item.number
            for item in list(self.pool._free.__iter__())
        ]

    def check_step(self) -> None:
        """After every scheduled step: the capacity bound, and grants then resources."""
        free = self.free()
        kinds = [isinstance(item, model.Grant) for item in free]
        assert kinds == sorted(kinds, reverse=True), f"a grant right of a resource: {free}"
        assert not self.lab.violations, self.lab.violations
        if self.maximum is not None and not self.pool.closed:
            spare = sum(item.size for item in free if isinstance(item, model.Grant))
            used = self.lab.alive + self.lab.creating
            assert spare + used <= self.maximum, (
                f"capacity duplicated: {spare} spare + {used} alive or being created"
                f" > maximum {self.maximum}"
            )

    def linearizability(self, atomic_get: bool = False) -> Verdict[SpecState, Input]:
        """The checker's verdict on the history; see `operations` for `atomic_get`."""
        logs = {p: events for p, events in self.lab.logs.items() if p >= 0}
        replaces = isinstance(self.program.mode, Static)
        ops = operations(logs, replaces, raising_get_takes=not atomic_get)
        spec = PoolSpec(bounded=self.maximum is not None)
        return check(ops, self.start, spec.step, resources_consistent(ops))

    def verify(self, stopped: Sequence[int] = ()) -> None:
        """All checks, once every thread not in `stopped` has finished."""
        assert not self.lab.violations, self.lab.violations
        verdict = self.linearizability()
        assert verdict.ok, verdict.explain()
        if stopped:
            return  # a stopped thread may hold anything: no quiescent accounting
        stats = self.pool.stats()
        free = self.free()
        idle = sum(1 for item in free if not isinstance(item, model.Grant))
        events = [e for log in self.lab.logs.values() for e in log]
        expected = dict(
            capacity=self.lab.alive,
            idle=idle,
            in_use=self.lab.alive - idle,
            creating=0,
            created=sum(e.kind == "made" for e in events),
            failed=sum(e.kind == "new-raised" for e in events),
            discarded=sum(e.kind == "close" for e in events),
        )
        actual = {name: getattr(stats, name) for name in expected}
        assert actual == expected, f"stats {actual}, resources say {expected}"
        if self.pool.closed:
            assert idle == 0, f"a closed pool keeps {idle} idle"
        elif self.maximum is not None:
            spare = sum(item.size for item in free if isinstance(item, model.Grant))
            assert self.lab.alive + spare == self.maximum, "capacity was lost or made"

    def release_all(self) -> None:
        """Give back what the branches still hold (after the checks)."""
        for held in self.held:
            while held:
                guard = held.pop()
                with contextlib.suppress(Boom, TypeError, ExceptionGroup):
                    guard.release()


def run_threads(trial: Trial) -> None:
    """Run the branches on real threads, released together by a barrier."""
    branches = trial.programs()
    barrier = threading.Barrier(len(branches))
    errors: list[BaseException] = []

    def main(body: Callable[[], None]) -> None:
        barrier.wait()
        try:
            body()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=main, args=(body,)) for body in branches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
