"""Model-based tests: paths of TLC's state graph drive the real pool, step by step.

A path is a sequence of model transitions (`statespace.Edge`). `Driver`
runs a fresh pool (tests/conformance/harness.py) under the scheduler and
makes it take the same steps: for each transition of process p it resumes
thread p until p performs the logged step that carries the transition's
label (trace.py names them), having set what the model decided in that
transition (the call picked at Idle, the guard claimed, how new(), reset()
and close() end, which guard the collector drops). After every step the
pool's observed state must equal the model's (`project`): the target state
after the matching step, the source state after any other step (a read the
model folds into a neighbour, or a step that is no model action). Model
steps the code takes without a scheduling point (`unlogged`, the same list
as in models/TraceFreeList.tla) are checked to change nothing observed.

`explore` walks the graph from its initial state, preferring transitions
not yet driven, and drives each walk; it reports which states and actions
were covered. As a script, it drives the walks of one exported graph, so
that run.py can drive a mutant of the code (a copy of src/ first on
sys.path):

    python -m tests.conformance.drive GRAPH.dot TraceGraphStatic.cfg --seconds 3
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import rpool
from rpool import AutoScale, ScaleMode, Static
from rpool.testing._scheduler import Scheduler, Step

from .harness import Call, CallKind, Harness, Observed
from .statespace import Edge, Graph, State, parse_dot
from .trace import model_action

__all__ = ["GRAPHS", "Coverage", "DivergedError", "Driver", "explore", "project"]

GRAPHS: dict[str, ScaleMode] = {
    "TraceGraphStatic.cfg": Static(count=1),
    "TraceGraphAutoScale.cfg": AutoScale(initial=0, maximum=1, chunk_size=1),
}
"""The configurations (models/) whose state graphs drive the pool, and the pool each describes."""

READS = frozenset({"free.len", "orphans.len", "closed.read"})
"""Operations that read only: the model may fold them into a neighbouring step."""


class DivergedError(Exception):
    """The code did something other than the model's transition."""


class _PathDone(Exception):
    """Every transition of the path was matched: the run may stop."""


def project(state: State) -> Observed:
    """The model state's observed variables, encoded as `Harness.observe` encodes the pool's."""
    held = cast(tuple[frozenset[int], ...], state["held"])
    return Observed(
        free=cast(tuple[int, ...], state["free"]),
        orphans=cast(tuple[int, ...], state["orphans"]),
        closed=cast(bool, state["closed"]),
        held=tuple(tuple(sorted(numbers)) for numbers in held),
    )


def _local(state: State, name: str, process: int) -> object:
    """Process-local variable `name` of client `process` (a sequence indexed from 1)."""
    values = cast(tuple[object, ...], state[name])
    return values[process - 1]


def logged_as(action: str) -> str:
    """The action a model label is logged as (trace.py, models/TraceFreeList.tla)."""
    return _LOGGED_AS.get(action, action.split("_")[0])


_LOGGED_AS = {"Replace": "Create", "PeekOrphans": "TakeOrphan"}


def unlogged(edge: Edge, state: State, static: bool, bounded: bool) -> bool:
    """Whether the code takes this model step without a scheduling point."""
    raised = edge.process > 0 and bool(_local(state, "raised", edge.process))
    return (
        (edge.action in ("Create", "TakeOrphan") and raised)
        or (edge.action == "CheckClosed_retire" and not static)
        or (edge.action == "Reserve" and not bounded)
    )


class _PathDirector:
    """Decides what the path's current transition says; after the path, nothing more."""

    def __init__(self) -> None:
        self.calls: dict[int, Call] = {}
        self.outcomes: dict[tuple[int, str], str] = {}
        self.drop: tuple[int, int] | None = None
        self.done = False

    def more(self, process: int) -> bool:
        return not self.done

    def call(self, process: int, harness: Harness) -> Call:
        return self.calls.pop(process)

    def victim(self, harness: Harness) -> tuple[int, int] | None:
        victim, self.drop = self.drop, None
        return victim

    def outcome(self, process: int, callback: str) -> str:
        return "ok" if self.done else self.outcomes.pop((process, callback), "ok")


@dataclass
class _Progress:
    path: Sequence[Edge]
    states: dict[str, State]
    position: int = 0
    matched: list[Edge] = field(default_factory=list)


class Driver:
    """Drives a pool of `mode` along paths of `graph`, with as many clients as the model."""

    def __init__(self, graph: Graph, mode: ScaleMode) -> None:
        self.graph = graph
        self.mode = mode
        self.clients = len(cast(tuple[object, ...], graph.states[graph.initial[0]]["held"]))
        self.static = isinstance(mode, Static)
        self.bounded = isinstance(mode, Static) or mode.maximum is not None

    def drive(self, path: Sequence[Edge]) -> list[Edge]:
        """Drive the pool along `path`; return the transitions matched (all, or raise).

        Raises:
            DivergedError: the code's step or state differs from the model's.
        """
        director = _PathDirector()
        harness = Harness(self.mode, self.clients, director)
        progress = _Progress(path, self.graph.states)
        start = self.graph.states[path[0].source] if path else None
        if start is not None and harness.observe() != project(start):
            raise DivergedError(f"initial state {harness.observe()} != model {project(start)}")

        def target() -> int:
            edge = progress.path[progress.position]
            if edge.action != "Orphan":
                return edge.process
            # The collector's Orphan is taken by whichever thread runs the
            # finalizer: one already stopped at its point; else, once thread 0
            # has dropped the guard, on the free-threaded build the client
            # that made it (its finalizer runs when that thread is next let
            # go, src/rpool/testing/_scheduler.py); else thread 0, to drop it.
            for thread in range(self.clients + 1):
                if scheduler.waiting(thread) == "Orphan":
                    return thread
            return harness.dropped[0][0] if harness.dropped else edge.process

        def prepare() -> None:
            """Take unlogged steps; set the decisions of the next logged one."""
            while progress.position < len(progress.path):
                edge = progress.path[progress.position]
                before = self.graph.states[edge.source]
                if not unlogged(edge, before, self.static, self.bounded):
                    self._decide(director, progress, edge)
                    return
                after = self.graph.states[edge.target]
                if harness.observe() != project(after):
                    raise DivergedError(
                        f"unlogged {edge.action}: {harness.observe()} != {project(after)}"
                    )
                progress.matched.append(edge)
                progress.position += 1
            raise _PathDone

        def after_step(step: Step) -> None:
            try:
                check(step)
            except BaseException:
                director.done = True  # the threads, let go, finish their calls and stop
                raise

        def check(step: Step) -> None:
            harness.settle(step)
            seen = harness.observe()
            edge = progress.path[progress.position]
            before, after = self.graph.states[edge.source], self.graph.states[edge.target]
            action = model_action(step)
            if step.thread != chosen[-1]:
                raise DivergedError(f"thread {step.thread} ran, expected {chosen[-1]}")
            if action == logged_as(edge.action) and seen == project(after):
                progress.matched.append(edge)
                progress.position += 1
                prepare()
            elif (action is None or step.op in READS) and seen == project(before):
                pass  # not the transition yet: a read the model folds, or no model step
            else:
                raise DivergedError(
                    f"transition {progress.position} {edge.action}({edge.process}): the code took "
                    f"{step.op} ({action}) and shows {seen}; the model {project(after)}"
                )

        chosen: list[int] = []

        class Chooser:
            def choose(self, runnable: Sequence[int], current: int | None) -> int:
                thread = target()
                if thread not in runnable:
                    director.done = True
                    raise DivergedError(f"thread {thread} has finished; the path goes on")
                chosen.append(thread)
                return thread

        try:
            prepare()
        except _PathDone:
            return progress.matched
        scheduler = Scheduler(Chooser(), after_step=after_step)
        try:
            run = scheduler.run(harness.programs())
        finally:
            director.done = True
            harness.dispose()
        if isinstance(run.failure, _PathDone):
            return progress.matched
        if run.failure is not None:
            raise run.failure
        raise DivergedError(
            f"the run ended after {len(progress.matched)} of {len(path)} transitions"
        )

    def _decide(self, director: _PathDirector, progress: _Progress, edge: Edge) -> None:
        before = self.graph.states[edge.source]
        after = self.graph.states[edge.target]
        p = edge.process
        if edge.action == "Idle":
            kind = cast(CallKind, _local(after, "op", p))
            number = self._claimed(progress, p) if kind == "release" else 0
            director.calls[p] = Call(kind, number)
        elif edge.action in ("Create", "Replace"):
            grew = cast(frozenset[int], after["live"]) - cast(frozenset[int], before["live"])
            director.outcomes[(p, "new")] = "ok" if grew else "raise"
        elif edge.action == "Reset":
            failed = cast(dict[int, str], after["pc"])[p] == "Discard"
            raised = bool(_local(after, "raised", p))
            director.outcomes[(p, "reset")] = ("raise" if raised else "false") if failed else "ok"
        elif edge.action == "Discard":
            raises = bool(_local(after, "raised", p)) and not bool(_local(before, "raised", p))
            director.outcomes[(p, "close")] = "raise" if raises else "ok"
        elif edge.action == "Orphan":
            director.drop = next(
                (c, number)
                for c in range(1, self.clients + 1)
                for number in _local(before, "held", c) - _local(after, "held", c)  # type: ignore[operator]
            )

    def _claimed(self, progress: _Progress, process: int) -> int:
        """The resource process's next Claim takes (paths are cut so that there is one)."""
        for edge in progress.path[progress.position + 1 :]:
            if edge.process == process:
                before = cast(
                    frozenset[int], _local(self.graph.states[edge.source], "held", process)
                )
                after = cast(
                    frozenset[int], _local(self.graph.states[edge.target], "held", process)
                )
                [number] = before - after
                return number
        raise DivergedError("a release with no Claim after it in the path")


@dataclass
class Coverage:
    """What the driven paths covered of the graph."""

    states: set[str] = field(default_factory=set)
    edges: set[Edge] = field(default_factory=set)
    paths: int = 0
    steps: int = 0
    failures: list[str] = field(default_factory=list)


def _drivable(graph: Graph, edge: Edge, releasing: dict[int, bool]) -> bool:
    """Whether the harness can follow `edge`, given which clients are about to claim.

    A release's guard is picked at its Idle step, so a Claim that finds
    nothing (every guard of the client orphaned in between) cannot be driven.
    """
    if edge.action == "Orphan":
        state, after = graph.states[edge.source], graph.states[edge.target]
        for c, claiming in releasing.items():
            if claiming and _local(state, "held", c) and not _local(after, "held", c):
                return False
    return True


def explore(driver: Driver, seconds: float, length: int, seed: int) -> Coverage:
    """Drive walks of the graph for about `seconds`, each aimed at a transition not yet driven.

    Each walk follows the shortest path from an initial state to a transition
    not yet driven (in random order), takes it, and goes on for up to
    `length` transitions, preferring at each state one not driven before.
    """
    graph = driver.graph
    rng = random.Random(seed)
    parent = _shortest_paths(graph)
    targets = [e for e in graph.edges if e.source in parent]
    rng.shuffle(targets)
    coverage = Coverage()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and targets:
        aim = targets.pop()
        if aim in coverage.edges:
            continue
        path = _drivable_prefix(graph, [*_route(parent, aim.source), aim])
        releasing = _releasing(graph, path)
        state = path[-1].target if path else rng.choice(graph.initial)
        while len(path) < length:
            choices = [e for e in graph.out.get(state, []) if _drivable(graph, e, releasing)]
            if not choices:
                break
            fresh = [e for e in choices if e not in coverage.edges]
            edge = rng.choice(fresh or choices)
            _note(graph, edge, releasing)
            path.append(edge)
            state = edge.target
        # A walk may stop between a release's Idle and its Claim: cut it
        # before that Idle, whose guard could not be picked.
        cuts = [
            max(i for i, e in enumerate(path) if e.process == p and e.action == "Idle")
            for p, claiming in releasing.items()
            if claiming
        ]
        path = path[: min(cuts, default=len(path))]
        try:
            matched = driver.drive(path)
        except DivergedError as error:
            coverage.failures.append(f"{_describe(path)}\n    {error}")
            matched = []
        coverage.paths += 1
        coverage.steps += len(matched)
        coverage.edges.update(matched)
        coverage.states.update(e.target for e in matched)
        coverage.states.update(e.source for e in matched[:1])
    return coverage


def _shortest_paths(graph: Graph) -> dict[str, Edge | None]:
    """For each reachable state, the transition that reaches it first in a breadth-first search."""
    parent: dict[str, Edge | None] = dict.fromkeys(graph.initial)
    frontier = list(graph.initial)
    while frontier:
        following = []
        for state in frontier:
            for edge in graph.out.get(state, []):
                if edge.target not in parent:
                    parent[edge.target] = edge
                    following.append(edge.target)
        frontier = following
    return parent


def _route(parent: dict[str, Edge | None], state: str) -> list[Edge]:
    route = []
    edge = parent[state]
    while edge is not None:
        route.append(edge)
        edge = parent[edge.source]
    return route[::-1]


def _note(graph: Graph, edge: Edge, releasing: dict[int, bool]) -> None:
    """Track which clients are between a release's Idle and its Claim."""
    if edge.action == "Idle":
        releasing[edge.process] = _local(graph.states[edge.target], "op", edge.process) == "release"
    elif edge.action == "Claim":
        releasing[edge.process] = False


def _drivable_prefix(graph: Graph, path: list[Edge]) -> list[Edge]:
    """`path` up to its first transition the harness cannot follow."""
    releasing: dict[int, bool] = {}
    for i, edge in enumerate(path):
        if not _drivable(graph, edge, releasing):
            return path[:i]
        _note(graph, edge, releasing)
    return path


def _releasing(graph: Graph, path: Sequence[Edge]) -> dict[int, bool]:
    releasing: dict[int, bool] = {}
    for edge in path:
        _note(graph, edge, releasing)
    return releasing


def _describe(path: Sequence[Edge]) -> str:
    return " ".join(f"{e.action}({e.process})" for e in path)


def main() -> int:
    parser = argparse.ArgumentParser(description="Drive the pool along walks of a TLC state graph.")
    parser.add_argument("dot", type=Path)
    parser.add_argument("config", choices=sorted(GRAPHS))
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ResourceWarning)
    warnings.simplefilter("ignore", RuntimeWarning)
    graph = parse_dot(args.dot.read_text())
    coverage = explore(Driver(graph, GRAPHS[args.config]), args.seconds, 40, args.seed)
    # run.py checks the first line, to be sure a mutant's copy of src/ was the code driven.
    print(f"rpool: {Path(rpool.__file__).parent}")
    print(f"{coverage.paths} paths, {len(coverage.failures)} diverged")
    for failure in coverage.failures[:1]:
        print(failure)
    return 1 if coverage.failures else 0


if __name__ == "__main__":
    sys.exit(main())
