"""The linearizability checker rejects what it must, accepts what it must, and stays fast.

A checker that accepts everything would make every parallel test pass, so it
is fed hand-written histories, both for a register (the textbook cases) and
for the pool's spec (the cases the pool's claims rest on).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from rpool import AutoScale, Static
from rpool.testing import Operation, check
from rpool.testing._choosers import RandomChooser
from rpool.testing._scheduler import Scheduler
from tests.lincheck.spec import (
    CheckWaiters,
    Enqueue,
    Evict,
    Input,
    Keep,
    Leave,
    Lower,
    Pay,
    PoolSpec,
    PutIdle,
    Raise,
    ReturnGrant,
    SetClosed,
    SpecState,
    TakeFree,
    Yield,
)
from tests.lincheck.waiting import Acquire, WaitingTrial
from tests.model import Grant, State
from tests.probe import Event
from tests.programs import Command, Program, Trial
from tests.scheduler.instrument import ScheduledPool

# --- a register: write(v) and read() -> v ------------------------------------

Reg = tuple[str, int]  # ("w", value) or ("r", value read)


def register(state: int, op: Reg) -> Iterable[int]:
    kind, value = op
    if kind == "w":
        return [value]
    return [state] if state == value else []


def reg(call: int, ret: int | None, process: int, kind: str, value: int) -> Operation[Reg]:
    return Operation(call, ret, process, (kind, value), f"{kind}({value})", group=call)


def test_a_read_overlapping_a_write_may_see_either_value() -> None:
    for seen in (0, 1):
        history = [reg(0, 10, 0, "w", 1), reg(2, 5, 1, "r", seen)]
        assert check(history, 0, register).ok


def test_a_stale_read_after_a_completed_write_is_rejected() -> None:
    history = [reg(0, 1, 0, "w", 1), reg(2, 3, 1, "r", 0)]
    verdict = check(history, 0, register)
    assert not verdict.ok
    assert "r(0)" in verdict.explain()


def test_reads_that_see_new_then_old_are_rejected() -> None:
    history = [reg(0, 10, 0, "w", 1), reg(2, 3, 1, "r", 1), reg(4, 5, 2, "r", 0)]
    assert not check(history, 0, register).ok


def test_an_operation_that_never_returned_may_or_may_not_take_effect() -> None:
    for seen in (0, 1):
        history = [reg(0, None, 0, "w", 1), reg(2, 3, 1, "r", seen)]
        assert check(history, 0, register).ok
    # But not both ways round: once seen, it happened.
    history = [reg(0, None, 0, "w", 1), reg(2, 3, 1, "r", 1), reg(4, 5, 1, "r", 0)]
    assert not check(history, 0, register).ok


def test_the_explanation_is_a_smallest_failing_history() -> None:
    noise = [reg(20 + 2 * i, 21 + 2 * i, 2, "w", 5) for i in range(5)]
    history = [reg(0, 1, 0, "w", 1), reg(2, 3, 1, "r", 0), *noise]
    explanation = check(history, 0, register).explain()
    # The write ended before the read began: the part that fails is the read
    # alone, from the state the write left.
    assert "w(5)" not in explanation
    assert "r(0)" in explanation and "state(s) [1]" in explanation


# --- the pool's spec ----------------------------------------------------------


def pool_op(call: int, ret: int | None, process: int, action: Input) -> Operation[Input]:
    return Operation(call, ret, process, action, repr(action), group=call)


def verdict_of(
    start: tuple[int | Grant, ...], *ops: Operation[Input], bounded: bool = True
) -> bool:
    return check(list(ops), SpecState(State(free=start)), PoolSpec(bounded).step).ok


def test_none_while_a_resource_is_idle_is_rejected() -> None:
    assert not verdict_of((0,), pool_op(0, 1, 0, TakeFree("empty")))
    assert verdict_of((), pool_op(0, 1, 0, TakeFree("empty")))


def test_none_while_spare_capacity_remains_is_rejected() -> None:
    assert not verdict_of((Grant(1),), pool_op(0, 1, 0, TakeFree("empty")))


def test_one_resource_handed_out_twice_is_rejected() -> None:
    twice = (pool_op(0, 1, 0, TakeFree("reuse", 0)), pool_op(2, 3, 1, TakeFree("reuse", 0)))
    assert not verdict_of((0,), *twice)
    # With a release in between, it is fine.
    assert verdict_of((0,), twice[0], pool_op(1, 2, 0, PutIdle(0)), twice[1])


def test_reuse_is_most_recent_first() -> None:
    assert not verdict_of((0, 1), pool_op(0, 1, 0, TakeFree("reuse", 0)))
    assert verdict_of((0, 1), pool_op(0, 1, 0, TakeFree("reuse", 1)))


def test_two_growths_from_one_grant_are_rejected() -> None:
    grow = [pool_op(p, 10 + p, p, TakeFree("grow", units=1)) for p in (0, 1)]
    assert not verdict_of((Grant(1),), *grow)
    assert verdict_of((Grant(1), Grant(1)), *grow)


def test_none_while_a_chunk_is_being_made_is_accepted() -> None:
    # P0 takes a grant of 2 and makes r1 idle only at [6, 9]; P1 finds nothing
    # at [3, 4], then gets r1.
    ops = (
        pool_op(0, 2, 0, TakeFree("grow", units=2)),
        pool_op(6, 9, 0, PutIdle(1)),
        pool_op(3, 4, 1, TakeFree("empty")),
        pool_op(10, 11, 1, TakeFree("reuse", 1)),
    )
    assert verdict_of((Grant(2),), *ops)


def test_a_failed_growth_gives_back_what_it_did_not_use() -> None:
    # The grant of 3 is taken; the second new() raised, so 2 units come back.
    ops = (
        pool_op(0, 2, 0, TakeFree("grow", attempts=2)),
        pool_op(3, 4, 0, PutIdle(7)),
        pool_op(5, 6, 0, ReturnGrant(owner=0)),
        pool_op(7, 8, 1, TakeFree("reuse", 7)),
        pool_op(9, 10, 1, TakeFree("grow", units=2)),
    )
    assert verdict_of((Grant(3),), *ops)
    assert not verdict_of((Grant(3),), *ops[:4], pool_op(9, 10, 1, TakeFree("grow", units=3)))


def test_closed_before_close_began_is_rejected() -> None:
    close = pool_op(5, 6, 0, SetClosed())
    assert not verdict_of((0,), pool_op(0, 1, 1, TakeFree("closed")), close)
    assert verdict_of((0,), pool_op(4, 7, 1, TakeFree("closed")), close)


def test_an_unbounded_pool_never_returns_none() -> None:
    assert not verdict_of((), pool_op(0, 1, 0, TakeFree("empty")), bounded=False)
    assert verdict_of((), pool_op(0, 1, 0, TakeFree("grow", units=3)), bounded=False)


# --- lifecycle: eviction, payments of a lowered bound, a raise ---------------------


def test_an_eviction_takes_the_top_and_its_unit_comes_back() -> None:
    evict = pool_op(0, 1, 0, Evict(1))
    back = pool_op(2, 3, 0, ReturnGrant(1))
    assert verdict_of((0, 1), evict, back)
    assert not verdict_of((0, 1), pool_op(0, 1, 0, Evict(0)))  # the cold end: not a pop
    assert not verdict_of((0, 1), evict, pool_op(4, 5, 1, TakeFree("reuse", 1)))  # gone
    # The unit is spare again: a get grows from it.
    assert verdict_of(
        (0, 1), evict, back, pool_op(4, 5, 1, TakeFree("reuse", 0)),
        pool_op(6, 7, 1, TakeFree("grow", units=1)),
    )  # fmt: skip


def test_an_eviction_of_a_held_resource_is_rejected() -> None:
    take = pool_op(0, 1, 0, TakeFree("reuse", 1))
    assert not verdict_of((0, 1), take, pool_op(2, 3, 1, Evict(1)))


def test_a_payment_needs_debt_and_takes_the_cold_end() -> None:
    lower = pool_op(0, 5, 0, Lower(1))
    assert verdict_of((0, 1), lower, pool_op(1, 4, 0, Pay(0)))
    assert not verdict_of((0, 1), lower, pool_op(1, 4, 0, Pay(1)))  # the hot end
    assert not verdict_of((0, 1), pool_op(1, 4, 0, Pay(0)))  # no debt
    # One unit of debt pays once.
    assert not verdict_of((0, 1), lower, pool_op(1, 4, 0, Pay(0)), pool_op(2, 4, 1, Pay(1)))


def test_a_raise_cancels_debt_before_adding_spare_capacity() -> None:
    lowered = (pool_op(0, 1, 0, Lower(2)), pool_op(2, 3, 0, Raise(3)))
    # 2 units of debt cancelled, 1 spare: one growth, not two.
    assert verdict_of((), *lowered, pool_op(4, 5, 1, TakeFree("grow", units=1)))
    assert not verdict_of(
        (), *lowered, pool_op(4, 5, 1, TakeFree("grow", units=1)),
        pool_op(6, 7, 1, TakeFree("grow", units=1)),
    )  # fmt: skip


def test_a_history_of_hundreds_of_operations_is_checked_in_few_configurations() -> None:
    """A real scheduled history: 3 threads, 80 commands each."""
    cycle = [Command("get"), Command("get"), Command("release"), Command("release")]
    branch = tuple(cycle * 20)
    program = Program(AutoScale(initial=1, maximum=4, chunk_size=2), (), (branch,) * 3)
    trial = Trial(program, ScheduledPool)
    run = Scheduler(RandomChooser(7)).run(trial.programs())
    try:
        assert not run.errors
        verdict = trial.linearizability()
        assert verdict.ok, verdict.explain()
        operations = sum(1 for log in trial.lab.logs.values() for e in log if e.kind == "call")
        assert operations >= 200
        # The cost is the number of configurations the search expanded: a few
        # per operation, far from the worst case (exponential in concurrency).
        assert verdict.configurations < 20 * operations
    finally:
        trial.release_all()


# --- waiting: the FIFO blocking spec ------------------------------------------------
#
# Waiters are numbered 1, 2; T is a caller that does not wait. Each history
# starts with nothing idle or spare unless it says otherwise.


Ops = Operation[Input] | list[Operation[Input]]
"""One operation, or the several actions of one."""


def none_get(call: int, ret: int, process: int, owner: int) -> list[Operation[Input]]:
    """A get() that returned None where callers may wait: its three actions."""
    return [
        Operation(call, ret, process, action, repr(action), group=owner)
        for action in (TakeFree("held", owner=owner), CheckWaiters(owner), Yield(owner))
    ]


def kept_get(
    call: int, ret: int, process: int, owner: int, resource: int
) -> list[Operation[Input]]:
    """A get() that returned `resource` where callers may wait: its pop, then Keep."""
    return [
        Operation(call, ret, process, action, repr(action), group=owner)
        for action in (TakeFree("reuse", resource, owner=owner, hold=True), Keep(owner))
    ]


def served(call: int, ret: int, process: int, waiter: int, resource: int) -> list[Operation[Input]]:
    """The head's take of `resource`, then its Leave "served"."""
    return [
        pool_op(call, ret, process, TakeFree("reuse", resource, waiter=waiter)),
        pool_op(call, ret, process, Leave(waiter, "served")),
    ]


def waiting(*ops: Ops, start: tuple[int, ...] = ()) -> bool:
    flat = [op for item in ops for op in (item if isinstance(item, list) else [item])]
    return verdict_of(start, *flat)


def test_a_barging_get_is_rejected() -> None:
    """W1 waits; r0 comes back; a later get() takes it: it must have gone to W1."""
    before = [pool_op(0, 1, 1, Enqueue(1)), pool_op(2, 3, 0, PutIdle(0))]
    barging = pool_op(4, 5, 2, TakeFree("reuse", 0))
    later: list[Ops] = [pool_op(6, 7, 0, PutIdle(1)), served(8, 9, 1, 1, 1)]
    assert not waiting(*before, barging, *later)
    # A get() that came before W1 did may take r0.
    first = [pool_op(0, 1, 0, PutIdle(0)), pool_op(2, 3, 2, TakeFree("reuse", 0))]
    assert waiting(*first, pool_op(4, 5, 1, Enqueue(1)), *later)
    # Served in order, a later get() gets what comes back next.
    assert waiting(*before, served(4, 5, 1, 1, 0), later[0], pool_op(8, 9, 2, TakeFree("reuse", 1)))


def test_a_get_keeps_what_it_popped_only_if_nobody_waits_then() -> None:
    """Its pop puts r0 in its hands whoever waits; its Keep needs the queue empty."""
    enqueue, idle = pool_op(0, 1, 1, Enqueue(1)), pool_op(2, 3, 0, PutIdle(0))
    # W1 waits throughout: the get() may not keep r0 (barging, in two steps).
    assert not waiting(enqueue, idle, kept_get(4, 9, 2, owner=9, resource=0))
    # W1 leaves a closed pool before the Keep: the pop may come before close().
    close, leave = pool_op(5, 6, 0, SetClosed()), pool_op(7, 8, 1, Leave(1, "closed"))
    assert waiting(enqueue, idle, kept_get(4, 9, 2, owner=9, resource=0), close, leave)
    # ... but not if the whole get() came after close().
    assert not waiting(enqueue, idle, close, leave, kept_get(10, 11, 2, owner=9, resource=0))
    # W1, the head, takes r0 while the get() holds r1, which it keeps once W1 has gone.
    two, head = pool_op(4, 5, 0, PutIdle(1)), served(7, 8, 1, 1, 0)
    assert waiting(enqueue, idle, two, kept_get(6, 11, 2, owner=9, resource=1), head)
    # Each pops the top: the get() cannot have popped r1 after the head took it.
    late = kept_get(9, 11, 2, owner=9, resource=1)
    assert not waiting(enqueue, idle, two, late, served(7, 8, 1, 1, 1))
    # A Keep without a pop, or a second Keep, is not legal.
    keep = pool_op(4, 5, 2, Keep(9))
    assert not waiting(idle, keep)
    assert not waiting(idle, kept_get(4, 9, 2, owner=9, resource=0), keep)


def test_none_from_get_is_legal_only_while_someone_waits() -> None:
    idle = pool_op(2, 3, 0, PutIdle(0))
    assert not waiting(idle, none_get(4, 5, 2, owner=9))
    enqueue = pool_op(0, 1, 1, Enqueue(1))
    assert waiting(enqueue, idle, none_get(4, 5, 2, owner=9), served(6, 7, 1, 1, 0))


def test_a_timeout_while_the_head_could_take_is_rejected() -> None:
    """W1 waits, r0 comes back: W1 was the head while r0 was there, so no timeout."""
    enqueue, idle = pool_op(0, 1, 1, Enqueue(1)), pool_op(2, 3, 0, PutIdle(0))
    assert not waiting(enqueue, idle, pool_op(4, 5, 1, Leave(1, "timeout")))
    # A timeout that may have come before r0 did is legal.
    assert waiting(enqueue, idle, pool_op(1, 5, 1, Leave(1, "timeout")))
    # So is a cancellation, at any time.
    assert waiting(enqueue, idle, pool_op(4, 5, 1, Leave(1, "cancel")))
    # And the timeout of a waiter that never was the head.
    second = pool_op(0, 1, 2, Enqueue(2))
    assert waiting(enqueue, second, idle, pool_op(4, 5, 2, Leave(2, "timeout")))
    # Also while a get() holds r0 on its way to giving it back.
    assert not waiting(
        enqueue, idle, none_get(4, 9, 2, owner=9), pool_op(5, 6, 1, Leave(1, "timeout"))
    )


def test_lifo_service_is_rejected() -> None:
    """W1 then W2 wait: r0 goes to W1, r1 to W2, not the other way round."""
    queue = [pool_op(0, 1, 1, Enqueue(1)), pool_op(2, 3, 2, Enqueue(2))]
    lifo: list[Ops] = [
        pool_op(4, 5, 0, PutIdle(0)),
        served(6, 7, 2, 2, 0),
        pool_op(8, 9, 0, PutIdle(1)),
        served(10, 11, 1, 1, 1),
    ]
    assert not waiting(*queue, *lifo)
    fifo: list[Ops] = [lifo[0], served(6, 7, 1, 1, 0), lifo[2], served(10, 11, 2, 2, 1)]
    assert waiting(*queue, *fifo)


def test_the_head_stays_queued_from_its_take_until_it_leaves() -> None:
    """W1 takes r0 and leaves the queue later (Leave "served"): meanwhile a get() that
    pops r1 may yield it to W1 and return None; once W1 has left, it may not."""
    enqueue, idle = pool_op(0, 1, 1, Enqueue(1)), pool_op(2, 3, 0, PutIdle(0))
    take = pool_op(4, 5, 1, TakeFree("reuse", 0, waiter=1))
    again: list[Ops] = [pool_op(6, 7, 0, PutIdle(1)), none_get(8, 9, 2, owner=9)]
    assert waiting(enqueue, idle, take, pool_op(4, 10, 1, Leave(1, "served")), *again)
    assert not waiting(enqueue, idle, take, pool_op(4, 5, 1, Leave(1, "served")), *again)
    # It leaves once, after its take, and takes once.
    assert not waiting(enqueue, idle, pool_op(0, 1, 1, Leave(1, "served")))
    twice = pool_op(6, 7, 1, TakeFree("reuse", 1, waiter=1))
    assert not waiting(enqueue, idle, take, again[0], twice)


def test_a_caller_that_could_take_may_wait_but_not_time_out() -> None:
    """Enqueue with r0 there and nobody queued (its first try gave r0 to waiters who have
    gone since): the caller is then the head with r0 there, and must take it."""
    assert waiting(pool_op(0, 1, 1, Enqueue(1)), served(2, 3, 1, 1, 0), start=(0,))
    assert not waiting(
        pool_op(0, 1, 1, Enqueue(1)), pool_op(2, 3, 1, Leave(1, "timeout")), start=(0,)
    )
    # A second Enqueue of one waiter is not legal.
    assert not waiting(pool_op(0, 1, 1, Enqueue(1)), pool_op(2, 3, 1, Enqueue(1)))
    assert waiting(pool_op(0, 1, 1, Enqueue(1)), pool_op(2, 3, 1, Leave(1, "timeout")))
    # Behind a waiter it may, even with r0 there: r0 is the head's.
    assert waiting(
        pool_op(0, 1, 1, Enqueue(1)),
        pool_op(2, 3, 0, PutIdle(0)),
        pool_op(4, 5, 2, Enqueue(2)),
        served(6, 7, 1, 1, 0),
    )


def test_close_ends_every_wait_and_nothing_else_does() -> None:
    enqueue = pool_op(0, 1, 1, Enqueue(1))
    close = pool_op(2, 3, 0, SetClosed())
    assert waiting(enqueue, close, pool_op(4, 5, 1, Leave(1, "closed")))
    assert not waiting(enqueue, close, pool_op(0, 1, 1, Leave(1, "closed")))
    # A waiter is not served from a closed pool.
    assert not waiting(pool_op(0, 1, 0, PutIdle(0)), enqueue, close, served(4, 5, 1, 1, 0))


def test_the_head_may_take_another_item_while_a_get_holds_one() -> None:
    """W1 and W2 wait, r0 and r1 come back; a get() pops r1 and gives it back later:
    meanwhile W1 takes r0, and W2 then takes r1 (Pool._yield's steps)."""
    assert waiting(
        pool_op(0, 1, 1, Enqueue(1)),
        pool_op(2, 3, 2, Enqueue(2)),
        pool_op(4, 5, 0, PutIdle(0)),
        pool_op(6, 7, 0, PutIdle(1)),
        none_get(8, 20, 3, owner=9),
        served(9, 10, 1, 1, 0),
        served(21, 22, 2, 2, 1),
    )


def test_a_timeout_decided_early_is_legal_only_in_the_split_form() -> None:
    """The race of test_parallel.py's race("look"): W1 decides to time out before r0
    comes back, but leaves the queue only after a get() saw it there. The strict
    form rejects it."""
    enqueue, idle = pool_op(0, 1, 1, Enqueue(1)), pool_op(4, 5, 0, PutIdle(0))
    get = none_get(6, 7, 2, owner=9)
    timeout = pool_op(2, 10, 1, Leave(1, "timeout"))
    assert not waiting(enqueue, idle, get, timeout)
    assert waiting(enqueue, idle, get, timeout, pool_op(2, 3, 1, Leave(1, "decide")))
    # Deciding after r0 came back is not legal either.
    assert not waiting(enqueue, idle, get, timeout, pool_op(8, 9, 1, Leave(1, "decide")))


def test_a_timeout_decided_while_a_get_holds_the_item_is_legal_only_in_the_split_form() -> None:
    """test_parallel.py's held_past_a_timeout(): W1 was the head while r0 was idle, then
    a get() popped r0 and kept it once W1 had timed out. W1's look, between the
    pop and its GiveUp, found nothing: the split form accepts the timeout decided
    there, the strict form rejects it, and neither accepts a decision while r0 is
    idle."""
    enqueue, idle = pool_op(0, 1, 1, Enqueue(1)), pool_op(2, 3, 0, PutIdle(0))
    get = kept_get(4, 9, 2, owner=9, resource=0)
    timeout = pool_op(5, 8, 1, Leave(1, "timeout"))
    assert not waiting(enqueue, idle, get, timeout)
    assert waiting(enqueue, idle, get, timeout, pool_op(5, 6, 1, Leave(1, "decide")))
    # The same get() returning None: it saw W1, and gave r0 back after the decision.
    held = none_get(4, 9, 2, owner=9)
    assert waiting(enqueue, idle, held, timeout, pool_op(5, 6, 1, Leave(1, "decide")))
    # Decided while r0 was idle, before any get() popped it: rejected.
    early, later = pool_op(4, 5, 1, Leave(1, "decide")), pool_op(6, 8, 1, Leave(1, "timeout"))
    assert not waiting(enqueue, idle, early, later, pool_op(6, 9, 2, TakeFree("reuse", 0)))


def test_the_checker_is_not_blind_to_real_waiting_histories() -> None:
    """A real threaded history, then the same with one result changed, rejected."""
    program = Program(
        Static(count=1),
        (Command("get"),),
        ((Command("release"),), (Acquire(timeout=5.0),)),
    )
    trial = WaitingTrial(program)
    try:
        # The release's thread ends before the acquire's begins: had they
        # overlapped, the acquire might legally have timed out before the
        # release (on the free-threaded build they do overlap).
        for branch in (0, 1):
            thread = threading.Thread(target=trial.branch(branch))
            thread.start()
            thread.join()
        assert trial.verdict(atomic_get=False, split_timeouts=False).ok
        log = trial.lab.logs[1]
        returned = [e for e in log if e.kind == "return"]
        assert [e.detail for e in returned] == ["r0"]
        # Claim instead that the acquire() timed out: r0 was there before it
        # began, or came back while it was the head.
        ret = returned[0]
        log[log.index(ret)] = Event(ret.t, ret.process, "return", None, "PoolTimeout")
        assert not trial.verdict(atomic_get=False, split_timeouts=False).ok
    finally:
        trial.release_all()
