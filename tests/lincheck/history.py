"""From the events a probed pool logged to the operations the checker linearizes.

Each thread's log (tests/probe.py) is a sequence of operations, each a
`call` event, the callback events during it, and a `return` event (missing if
the thread was stopped for good). The pool's atomic steps are not logged,
only the user-visible events around them; each model action the spec needs
is placed in the interval those events bound:

| observed in one thread                | action            | interval             |
|---------------------------------------|-------------------|----------------------|
| get returned r, made nothing          | TakeFree reuse r  | call .. return       |
| get returned None / PoolClosedError   | TakeFree empty /  | call .. return       |
|                                       | closed            |                      |
| get called new() k times, kept last   | TakeFree grow k   | call .. first new()  |
| ... an earlier new() made r           | PutIdle r         | made .. next event   |
| ... its k-th new() raised             | TakeFree grow,    | raised .. next event |
|                                       | then ReturnGrant  |                      |
| reset(r) returned True                | PutIdle r         | returned .. next     |
| reset(r) failed, close(r), Static:    | PutIdle r'        | made .. next event   |
| replacement new() made r'             |                   |                      |
| ... no replacement, or it raised      | ReturnGrant 1     | close/raised .. next |
| close() returned                      | SetClosed         | call .. return       |

Every action happens after the event that starts its interval and before
the thread's next event, so the intervals are sound: a correct pool always
passes. An interval whose thread logged nothing after its start (stopped
for good) has no end: the action may or may not have happened (an `info`
operation). Discards by a draining thread or a closed get() are not
actions the spec needs (a closed pool's free list is empty) and are skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tests.lincheck.checker import Operation
from tests.lincheck.spec import Input, PutIdle, ReturnGrant, SetClosed, TakeFree
from tests.probe import Event

__all__ = ["operations", "resources_consistent"]


def operations(
    logs: dict[int, list[Event]], replaces: bool, raising_get_takes: bool = True
) -> list[Operation[Input]]:
    """The actions of every logged operation; `replaces` is True for a Static pool.

    `raising_get_takes`: a get() that raised PoolClosedError also took
    whatever was on top of the free list at some instant of its call (its
    TakeFree comes before its CheckClosed, and what it took is discarded), as
    docs/design.md describes get(). Without it, such a get() must have taken
    effect after close() as a whole, which is what an atomic get() would do
    (see test_parallel.py, test_get_racing_close_is_atomic).
    """
    result: list[Operation[Input]] = []
    group = 0
    for process, events in sorted(logs.items()):
        starts = [i for i, event in enumerate(events) if event.kind == "call"]
        for n, start in enumerate(starts):
            end = starts[n + 1] if n + 1 < len(starts) else len(events)
            group += 1
            result += _parse(process, events[start:end], replaces, raising_get_takes, group)
    return result


def _parse(
    process: int, events: list[Event], replaces: bool, raising_get_takes: bool, group: int
) -> list[Operation[Input]]:
    call = events[0]
    ret = events[-1] if events[-1].kind == "return" else None
    inner = events[1:-1] if ret is not None else events[1:]
    title = f"{call.detail} -> {ret.detail if ret is not None else '(never returned)'}"
    ops: list[Operation[Input]] = []

    def after(k: int) -> int | None:
        # The time of the event after inner[k] in this thread: the end of an interval.
        if k + 1 < len(inner):
            return inner[k + 1].t
        return ret.t if ret is not None else None

    def add(action: Input, start: int, end: int | None, what: str) -> None:
        ops.append(Operation(start, end, process, action, f"{title}: {what}", group))

    made: list[tuple[int, int]] = []  # (resource, index in inner) made by growth
    attempts = 0
    first_new: int | None = None
    k = 0
    while k < len(inner):
        event = inner[k]
        if event.kind == "reset":
            if k + 1 >= len(inner):
                break  # stopped inside reset(): what follows never happened
            done = inner[k + 1]
            resource = event.number
            assert done.kind == "reset-done" and done.number == resource and resource is not None
            if done.detail == "ok":
                add(PutIdle(resource), done.t, after(k + 1), f"PutIdle r{resource}")
                k += 2
                continue
            if k + 2 >= len(inner) or inner[k + 2].kind != "close":
                break  # stopped before the discard
            k += 2  # at the discard's close event
            if replaces and k + 1 < len(inner) and inner[k + 1].kind == "new":
                if k + 2 >= len(inner):
                    break  # stopped inside the replacement's new()
                outcome = inner[k + 2]
                if outcome.kind == "made":
                    assert outcome.number is not None
                    add(
                        PutIdle(outcome.number),
                        outcome.t,
                        after(k + 2),
                        f"PutIdle r{outcome.number}",
                    )
                else:
                    add(ReturnGrant(1), outcome.t, after(k + 2), "ReturnGrant 1")
                k += 3
                continue
            add(ReturnGrant(1), inner[k].t, after(k), "ReturnGrant 1")
            k += 1
            continue
        if event.kind == "new":
            attempts += 1
            if first_new is None:
                first_new = event.t
            if k + 1 >= len(inner):
                break
            outcome = inner[k + 1]
            if outcome.kind == "made":
                assert outcome.number is not None
                made.append((outcome.number, k + 1))
            else:
                add(ReturnGrant(owner=group), outcome.t, after(k + 1), "ReturnGrant (the rest)")
            k += 2
            continue
        k += 1  # a discard while draining or by a closed get(): not an action

    if call.detail == "close":
        add(SetClosed(), call.t, ret.t if ret is not None else None, "SetClosed")
        return ops
    if call.detail != "get":
        return ops
    if first_new is None:
        if ret is None:
            add(TakeFree("unknown", owner=group), call.t, None, "TakeFree (unknown)")
        elif ret.number is not None:
            add(TakeFree("reuse", ret.number), call.t, ret.t, f"TakeFree reuse r{ret.number}")
        elif ret.detail == "None":
            add(TakeFree("empty"), call.t, ret.t, "TakeFree empty")
        elif ret.detail == "PoolClosedError":
            if raising_get_takes:
                add(TakeFree("unknown"), call.t, ret.t, "TakeFree (discarded)")
            add(TakeFree("closed"), call.t, ret.t, "CheckClosed closed")
        else:
            raise ValueError(f"unexpected result of get(): {ret.detail}")
        return ops
    # The get() grew: its other resources became idle one by one.
    extras = made
    if ret is not None and ret.number is not None:
        assert made and made[-1][0] == ret.number, "get() kept a resource it did not make"
        extras = made[:-1]
    for resource, index in extras:
        add(PutIdle(resource), inner[index].t, after(index), f"PutIdle r{resource}")
    if ret is None:
        take = TakeFree("unknown", owner=group)
    elif ret.number is not None:
        take = TakeFree("grow", units=len(made), owner=group)
    else:
        take = TakeFree("grow", attempts=attempts, owner=group)
    add(take, call.t, first_new, f"TakeFree {take.outcome}")
    return ops


def resources_consistent(
    ops: Sequence[Operation[Input]],
) -> Callable[[Sequence[Operation[Input]]], bool]:
    """A `valid` predicate for shrinking: keep what a kept operation relies on.

    Each reused resource's PutIdle (unless it was idle from the start), and a
    close() if a get() saw the pool closed.
    """
    idled = {op.input.resource for op in ops if isinstance(op.input, PutIdle)}
    initial = {
        op.input.resource
        for op in ops
        if isinstance(op.input, TakeFree) and op.input.outcome == "reuse"
    } - idled

    def valid(trial: Sequence[Operation[Input]]) -> bool:
        present = {op.input.resource for op in trial if isinstance(op.input, PutIdle)}
        closing = any(isinstance(op.input, SetClosed) for op in trial)
        if not closing and any(
            isinstance(op.input, TakeFree) and op.input.outcome == "closed" for op in trial
        ):
            return False
        return all(
            op.input.resource in present or op.input.resource in initial
            for op in trial
            if isinstance(op.input, TakeFree) and op.input.outcome == "reuse"
        )

    return valid
