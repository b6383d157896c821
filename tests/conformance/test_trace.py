"""Trace logging: what a logged line holds, and how resources are numbered."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from rpool import AutoScale, Static
from rpool.testing._scheduler import Step
from tests.conformance.harness import Harness, RandomDirector
from tests.conformance.record import CONFIGS, record
from tests.conformance.resource import Context, Unit
from tests.conformance.trace import model_action
from tests.conftest import gil_enabled


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


@pytest.mark.parametrize(
    ("action", "op", "logged"),
    [
        ("TakeFree", "free.pop", "TakeFree"),
        (None, "misses.next", "Miss"),
        (None, "created.next", "Create"),
        (None, "failed.next", "Create"),
        (None, "reserved.next", None),
        ("Create", "new", None),
        ("Start", "start", None),
        (None, "collect", None),
        (None, "waiters.copy", "WakeAll"),
        ("Park", "waiter.get", "Park"),
    ],
)
def test_model_action_names_each_step_as_the_model_does(
    action: str | None, op: str, logged: str | None
) -> None:
    assert model_action(Step(0, 1, action, op)) == logged


def test_units_take_the_least_number_no_live_unit_has() -> None:
    context = Context()
    first, second = Unit.new(context), Unit.new(context)
    assert (first.number, second.number) == (1, 2)
    first.close()
    assert Unit.new(context).number == 1


def test_the_first_line_is_the_pool_as_the_model_initializes_it() -> None:
    harness = Harness(AutoScale(initial=1, maximum=4, chunk_size=0), 2, RandomDirector(0, calls=0))
    seen = harness.observe()
    # Grants of 2 and 1 (the first growth pops the rightmost), then resource 1.
    assert (seen.free, seen.orphans, seen.closed, seen.held) == ((-2, -1, 1), (), False, ((), ()))


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_a_recorded_run_logs_every_model_step_with_the_state_after_it(name: str) -> None:
    setup = CONFIGS[name]
    director = RandomDirector(
        7, calls=4, drops=setup.drops, failure=0.25, fails=setup.fails, acquires=setup.acquires
    )
    run, log = record(setup, director, seed=7)
    assert log.lines[0]["action"] == "Init"
    assert [line["line"] for line in log.lines] == list(range(1, len(log.lines) + 1))
    logged = {step.index for step in run.steps if model_action(step) is not None}
    assert [line["step"] for line in log.lines[1:]] == sorted(logged)
    idle = [line for line in log.lines if line["action"] == "Idle"]
    assert len(idle) == 4 * setup.clients
    calls = {"get", "release", "close"} | ({"acquire"} if setup.waiting else set())
    assert {line["call"] for line in idle} <= calls
    observed = {"run", "p", "action", "op", "free", "orphans", "closed", "held"}
    if setup.waiting:
        observed |= {"waiters", "alive"}
    for line in log.lines:
        assert set(line) >= observed
        assert len(line["held"]) == setup.clients  # type: ignore[arg-type]


def test_static_pool_starts_with_its_count_numbered_from_one() -> None:
    harness = Harness(Static(3), 1, RandomDirector(0, calls=0))
    assert harness.observe().free == (1, 2, 3)


def test_an_orphan_is_the_collector_s_step_whichever_thread_runs_the_finalizer() -> None:
    # On the GIL build the finalizer runs in the collector's thread, at the
    # drop; on the free-threaded build in the client thread that made the
    # guard, when next let go: that client's step is cut short there
    # (op "finalizer", unlogged), and the Orphan line names the thread.
    setup = CONFIGS["Static"]
    orphans: list[dict[str, object]] = []
    for seed in range(6):
        director = RandomDirector(seed, calls=4, drops=2, failure=0.25, fails=setup.fails)
        run, log = record(setup, director, seed=seed)
        orphans += [line for line in log.lines if line["action"] == "Orphan"]
        for line in log.lines:
            if line["action"] == "Orphan" and "thread" in line:
                before = [s for s in run.steps if s.index < line["step"]]  # type: ignore[operator]
                [cut, *_] = [s for s in reversed(before) if s.thread == line["thread"]]
                assert cut.op == "finalizer"
    assert orphans
    assert all(line["p"] == 0 for line in orphans)
    threads = {line.get("thread", 0) for line in orphans}
    assert threads == ({0} if gil_enabled() else {1, 2})


def _waiting_logs(name: str, runs: int) -> list[dict[str, object]]:
    setup = CONFIGS[name]
    lines: list[dict[str, object]] = []
    for seed in range(runs):
        director = RandomDirector(
            seed, calls=4, failure=0.25, fails=setup.fails, acquires=setup.acquires
        )
        lines += record(setup, director, seed=seed)[1].lines
    return lines


def test_waiting_runs_queue_park_ring_and_time_out() -> None:
    # What TraceWaiting checks must happen in the runs it checks: waiters
    # queue behind each other, park, are rung, and time out (GiveUp: the
    # waiter's own `alive` store while it is still queued).
    lines = _waiting_logs("WaitingStatic", 8)
    ops = {line["op"] for line in lines}
    assert {"waiters.append", "waiter.get", "waiter.put", "waiters.remove"} <= ops
    assert any(len(line["waiters"]) > 1 for line in lines)  # type: ignore[arg-type]
    gave_up = [
        line
        for line, before in zip(lines[1:], lines, strict=False)
        if line["op"] == "waiter.alive"
        and line["action"] == "Leave"
        and line["p"] in line["waiters"]  # type: ignore[operator]
        and before["alive"] != line["alive"]
    ]
    assert gave_up


def test_a_head_s_guard_is_held_from_its_pop() -> None:
    # Waiting.tla's `own`: the head owns what it pops at once, though
    # acquire() returns the guard only after leaving the queue. The harness
    # reads it off the waiting() frame: without that, the pop's line would
    # show the resource nowhere.
    lines = _waiting_logs("WaitingStatic", 8)
    pops = [
        (line, before)
        for line, before in zip(lines[1:], lines, strict=False)
        if line["op"] == "free.pop" and line["p"] in before["waiters"]  # type: ignore[operator]
    ]
    resources = 0
    for line, before in pops:
        [popped] = set(before["free"]) - set(line["free"])  # type: ignore[call-overload]
        if popped > 0:  # a grant becomes the head's resource at its Create
            resources += 1
            assert popped in line["held"][line["p"] - 1]  # type: ignore[index,operator]
    assert resources
