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
| get() returned None, where callers    | TakeFree held,    | call .. return       |
| may wait (or acquire() tried once)    | CheckWaiters,     | (each)               |
|                                       | Yield             |                      |
| get() returned r or grew, where       | TakeFree with     | as without waiting   |
| callers may wait                      | hold, then Keep   | (each)               |
| acquire() waited ("wait" logged)      | its get(): as the | call .. wait         |
|                                       | line above        |                      |
|                                       | Enqueue           | call .. first park   |
| ... returned r / grew / new() raised  | the head's        | last wake .. return  |
|                                       | TakeFree, as get  | (or first new())     |
|                                       | Leave served      | last wake .. return  |
| ... raised PoolTimeout                | Leave timeout     | last wake .. return  |
| ... raised PoolClosedError            | Leave closed      | wait .. return       |

Every action happens after the event that starts its interval and before
the thread's next event, so the intervals are sound: a correct pool always
passes. An interval whose thread logged nothing after its start (stopped
for good) has no end: the action may or may not have happened (an `info`
operation). Discards by a draining thread or a closed get() are not
actions the spec needs (a closed pool's free list is empty) and are skipped.

A waiting acquire() logs more kinds of event, through the pool's test seams
`_waiter_type` and `_clock` (tests/lincheck/waiting.py): "wait" when its
get() found nothing and it is about to enqueue, "park" and "woke" around
each park, and "clock" at each read of the clock. The first read after
"wait" comes before the Enqueue, each later one after a look as the head;
so Enqueue, which is linearized at the latest at the first look (design.md,
"Linearization"), comes before the second read after "wait" or the first
park, whichever is first; and the head's take comes after the last wake.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from rpool.testing import Operation
from tests.lincheck.spec import (
    CheckWaiters,
    Enqueue,
    Input,
    Keep,
    Leave,
    PutIdle,
    ReturnGrant,
    SetClosed,
    TakeFree,
    Yield,
)
from tests.probe import Event

__all__ = ["operations", "resources_consistent"]


def operations(
    logs: dict[int, list[Event]],
    replaces: bool,
    raising_get_takes: bool = True,
    split_timeouts: bool = False,
    atomic_takes: bool = False,
) -> list[Operation[Input]]:
    """The actions of every logged operation; `replaces` is True for a Static pool.

    `raising_get_takes`: a get() that raised PoolClosedError also took
    whatever was on top of the free list at some instant of its call (its
    TakeFree comes before its CheckClosed, and what it took is discarded), as
    docs/design.md describes get(). Without it, such a get() must have taken
    effect after close() as a whole, which is what an atomic get() would do
    (see test_parallel.py, test_get_racing_close_is_atomic).

    If any operation is an acquire(), callers may wait, and a get() (or an
    acquire()'s first try) takes effect in the steps of the table: a None is
    three actions, a resource or a growth two (its pop, then Keep), unless
    `atomic_takes`: then each is one action, TakeFree "empty" (nothing there,
    or someone waits) or a TakeFree that finds nobody waiting, as a
    sequential pool's get() would be. `split_timeouts`: a timeout is also
    decided (`Leave(w, "decide")`) after the waiter's last wake, before it
    leaves; see tests/lincheck/spec.py.
    """
    waiting = any(
        event.kind == "call" and event.detail.startswith("acquire")
        for events in logs.values()
        for event in events
    )
    result: list[Operation[Input]] = []
    group = 0
    for process, events in sorted(logs.items()):
        starts = [i for i, event in enumerate(events) if event.kind == "call"]
        for n, start in enumerate(starts):
            end = starts[n + 1] if n + 1 < len(starts) else len(events)
            group += 1
            options = Options(
                replaces, raising_get_takes, waiting and not atomic_takes, split_timeouts
            )
            result += _parse(process, events[start:end], options, group)
    return result


@dataclass(frozen=True)
class Options:
    """How `operations` reads every call of one history (its arguments, and `waiting`)."""

    replaces: bool
    raising_get_takes: bool
    waiting: bool
    split_timeouts: bool


def _parse(
    process: int, events: list[Event], options: Options, group: int
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

    def take(action: TakeFree, start: int, end: int | None, what: str) -> None:
        """A take by a caller that does not wait: where callers may, its pop, then Keep."""
        if not options.waiting or action.waiter is not None or action.outcome == "unknown":
            add(action, start, end, what)
            return
        add(replace(action, owner=group, hold=True), start, end, f"{what} (pop)")
        add(Keep(group), start, end, "Keep")

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
            if options.replaces and k + 1 < len(inner) and inner[k + 1].kind == "new":
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
    name = call.detail.split()[0]
    if name not in ("get", "acquire"):
        return ops

    def nothing(end: int | None) -> None:
        """get() returned None (or acquire()'s first get() found nothing)."""
        if not options.waiting:
            add(TakeFree("empty"), call.t, end, "TakeFree empty")
            return
        add(TakeFree("held", owner=group), call.t, end, "TakeFree held")
        add(CheckWaiters(group), call.t, end, "CheckWaiters")
        add(Yield(group), call.t, end, "Yield")

    def grown(start: int, waiter: int | None) -> None:
        """The take of a growth: its other resources became idle one by one."""
        extras = made
        if ret is not None and ret.number is not None:
            assert made and made[-1][0] == ret.number, "a growth kept a resource it did not make"
            extras = made[:-1]
        for resource, index in extras:
            add(PutIdle(resource), inner[index].t, after(index), f"PutIdle r{resource}")
        if ret is None:
            action = TakeFree("unknown", owner=group, waiter=waiter)
        elif ret.number is not None:
            action = TakeFree("grow", units=len(made), owner=group, waiter=waiter)
        else:
            action = TakeFree("grow", attempts=attempts, owner=group, waiter=waiter)
        take(action, start, first_new, f"TakeFree {action.outcome}")

    waits = [k for k, event in enumerate(inner) if event.kind == "wait"]
    if waits:
        waiting = inner[waits[0] :]
        grew = first_new is not None
        return _waited(ops, waiting, call.t, ret, group, grew, options, add, nothing, grown)
    if first_new is None:
        if ret is None:
            add(TakeFree("unknown", owner=group), call.t, None, "TakeFree (unknown)")
        elif ret.number is not None:
            take(TakeFree("reuse", ret.number), call.t, ret.t, f"TakeFree reuse r{ret.number}")
        elif ret.detail in ("None", "PoolTimeout"):
            nothing(ret.t)
        elif ret.detail == "PoolClosedError":
            if options.raising_get_takes:
                add(TakeFree("unknown"), call.t, ret.t, "TakeFree (discarded)")
            add(TakeFree("closed"), call.t, ret.t, "CheckClosed closed")
        else:
            raise ValueError(f"unexpected result of {name}(): {ret.detail}")
        return ops
    grown(call.t, None)
    return ops


def _waited(
    ops: list[Operation[Input]],
    waiting: list[Event],
    call: int,
    ret: Event | None,
    group: int,
    grew: bool,
    options: Options,
    add: Callable[[Input, int, int | None, str], None],
    nothing: Callable[[int], None],
    grown: Callable[[int, int | None], None],
) -> list[Operation[Input]]:
    """The actions of an acquire() that waited: `waiting` are its events from "wait" on.

    `grew`: the head took a grant (its new() calls are among `waiting`).
    """
    if ret is None:
        raise ValueError("an acquire() that waited and never returned is not supported")
    wait = waiting[0].t
    parks = [event.t for event in waiting if event.kind == "park"]
    wakes = [event.t for event in waiting if event.kind == "woke"]
    looked = [event.t for event in waiting if event.kind == "clock"][1:2]
    last = wakes[-1] if wakes else wait
    nothing(wait)
    add(Enqueue(group), call, min([*parks[:1], *looked, ret.t]), "Enqueue")
    if ret.number is not None and not grew:
        take = TakeFree("reuse", ret.number, waiter=group)
        add(take, last, ret.t, f"the head's TakeFree reuse r{ret.number}")
        add(Leave(group, "served"), last, ret.t, "Leave served")
    elif ret.number is not None or ret.detail == "Boom(new)":
        grown(last, group)
        add(Leave(group, "served"), last, ret.t, "Leave served")
    elif ret.detail == "PoolTimeout":
        if options.split_timeouts:
            add(Leave(group, "decide"), last, ret.t, "the timeout decided")
        add(Leave(group, "timeout"), last, ret.t, "Leave timeout")
    elif ret.detail == "PoolClosedError":
        add(Leave(group, "closed"), wait, ret.t, "Leave closed")
    else:
        raise ValueError(f"unexpected result of a waiting acquire(): {ret.detail}")
    return ops


def resources_consistent(
    ops: Sequence[Operation[Input]],
) -> Callable[[Sequence[Operation[Input]]], bool]:
    """A `valid` predicate for shrinking: keep what a kept operation relies on.

    Each reused resource's PutIdle (unless it was idle from the start), a
    close() if a get() or a waiter saw the pool closed, and every waiter if a
    get() saw one (CheckWaiters).
    """
    idled = {op.input.resource for op in ops if isinstance(op.input, PutIdle)}
    initial = {
        op.input.resource
        for op in ops
        if isinstance(op.input, TakeFree) and op.input.outcome == "reuse"
    } - idled

    waiters = {op.input.waiter for op in ops if isinstance(op.input, Enqueue)}

    def valid(trial: Sequence[Operation[Input]]) -> bool:
        present = {op.input.resource for op in trial if isinstance(op.input, PutIdle)}
        closing = any(isinstance(op.input, SetClosed) for op in trial)
        if not closing and any(
            (isinstance(op.input, TakeFree) and op.input.outcome == "closed")
            or (isinstance(op.input, Leave) and op.input.why == "closed")
            for op in trial
        ):
            return False
        if any(isinstance(op.input, CheckWaiters) for op in trial) and not waiters <= {
            op.input.waiter for op in trial if isinstance(op.input, Enqueue)
        }:
            return False
        return all(
            op.input.resource in present or op.input.resource in initial
            for op in trial
            if isinstance(op.input, TakeFree) and op.input.outcome == "reuse"
        )

    return valid
