"""The planted bugs: each is a small edit of src/rpool that a careful reviewer could miss.

Each `Mutant` replaces exact snippets of one source file (each must occur
exactly once, so a mutant whose code has changed fails loudly instead of
silently testing nothing) and says which property it breaks.
tests/mutants/run.py applies them to a copy of src/, never to src/ itself.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FORK_AND_LEAK_MUTANTS", "MUTANTS", "Mutant"]


@dataclass(frozen=True)
class Mutant:
    name: str
    breaks: str
    """The property the bug breaks, as the kill table prints it."""
    file: str
    """Path under src/rpool/."""
    edits: tuple[tuple[str, str], ...]
    """(old, new) pairs; each old text occurs exactly once in the file."""
    first: str
    """The layer `make mutants` tries first: one known to kill it (then the rest, if not)."""


_TAKE = """\
                try:
                    held = [item := free.pop()]
                except IndexError:  # emptied since the len() read: a miss after all"""

_CLAIM_RESET = """\
                held = [self._box.pop()]
                valid = held[0].reset()  # Model: Reset, a user callback.
"""

_MISS = """\
                if self._maximum is not None:
                    if not head:
                        next(self._misses)  # Model: Miss.
                    return None
"""

# The else branch of PoolGuard.release()'s PutIdle (_guard.py), whatever that
# step's own text: the mutants below keep it, and steer around it or after it.
_PUT_IDLE_BRANCH = """\
                if pool._closed:  # Model: CheckClosed.
                    run(pool._abandon(held))
                else:
"""

_RING = """\
                    if pool._waiters:  # Model: Ring (see Core._put_idle).
                        ring(pool._waiters)
"""

_LATE_CHECK = (
    """\
                    if pool._closed:  # Model: CheckClosed.
                        raise_all(run(pool._drain()))
"""
    + _RING
    + """\
            else:
                run(pool._reject(held, valid))
"""
)

# Waiting (_waiters.py, docs/design.md "Waiting").
_HEAD_TAKES = """\
            if first_alive(waiters) is waiter:  # Model: CheckHead.
                guard = yield from pool._head()
                if guard is not None:
                    return guard
"""

_PASS_ON = """\
        # Model: PassOn. Orphans too: the head adopts them (a collected
        # guard's resource may be the only one coming).
        if (pool._free or pool._orphans) and waiters:
            ring(waiters)
"""

MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "look-then-take",
        "capacity bound, no double hand-out (two-step check of spare capacity)",
        "_pool.py",
        (
            (
                _TAKE,
                _TAKE.replace(
                    "held = [item := free.pop()]",
                    "held = [item := free[-1]]  # look...\n"
                    "                    free.pop()  # ...then take, in a second step",
                ),
            ),
        ),
        "interrupts",
    ),
    Mutant(
        "counter-capacity-check",
        "capacity bound (grow when the counters say there is room: two steps)",
        "_pool.py",
        (
            (
                # get()'s miss: a bounded AutoScale pool grows by one whenever
                # live resources (created - discarded) are below the maximum.
                "        next(self._misses)  # Model: Miss.\n        return None\n",
                "        if (\n"
                "            not self._replaces\n"
                "            and self._created.value - self._discarded.value < self._maximum\n"
                "        ):\n"
                "            return run(self._grow([1]))  # type: ignore[no-any-return]\n"
                "        next(self._misses)  # Model: Miss.\n"
                "        return None\n",
            ),
        ),
        "lifecycle",
    ),
    Mutant(
        "no-grant-after-failed-reset",
        "capacity conservation (a discarded resource's capacity leaks)",
        "_disposal.py",
        (
            (
                "            yield from self._put_idle(held)\n"
                "        else:\n"
                "            self._return_capacity(held)\n",
                "            yield from self._put_idle(held)\n"
                "        else:\n"
                "            held.pop()\n",
            ),
        ),
        "interrupts",
    ),
    Mutant(
        "no-grant-after-failed-new",
        "capacity conservation (a failed growth keeps its reservation)",
        "_core.py",
        (
            (
                # Forgotten, not handed to the caller, whose handler would
                # give the units back through the orphans.
                "            if held and type(held[-1]) is int:\n"
                "                self._return_capacity(held)\n"
                "            raise\n",
                "            if held and type(held[-1]) is int:\n"
                "                held.pop()\n"
                "            raise\n",
            ),
        ),
        "interrupts",
    ),
    Mutant(
        "idle-before-reset",
        "no hand-out during reset (a released resource is idle before its reset ends)",
        "_guard.py",
        (
            (
                # Taken back if reset() raises, whatever the handler after it.
                _CLAIM_RESET,
                "                held = [self._box.pop()]\n"
                "                pool._free.append(held[0])  # idle already\n"
                "                try:\n"
                "                    valid = held[0].reset()\n"
                "                except BaseException:\n"
                "                    _take_back(pool._free, held[0])\n"
                "                    raise\n",
            ),
            (
                _PUT_IDLE_BRANCH,
                "                if pool._closed:  # Model: CheckClosed.\n"
                "                    _take_back(pool._free, held[0])\n"
                "                    pool._abandon(held)\n"
                "                elif held.pop() or True:  # idle already: no PutIdle\n"
                "                    pass\n"
                "                else:\n",
            ),
            (
                _LATE_CHECK,
                _LATE_CHECK.replace(
                    "            else:\n",
                    "            else:\n                _take_back(pool._free, held[0])\n",
                ),
            ),
            (
                "@final\nclass PoolGuard(",
                "def _take_back(free: Any, resource: Any) -> None:\n"
                "    if resource in free:\n"
                "        free.remove(resource)\n\n\n"
                "@final\nclass PoolGuard(",
            ),
        ),
        "interrupts",
    ),
    Mutant(
        "lock-around-reset",
        "lock-freedom (a release holds a lock while the user's reset runs)",
        "_guard.py",
        (
            (
                "from types import TracebackType\n",
                "import threading\nfrom types import TracebackType\n\n_LOCK = threading.Lock()\n",
            ),
            (
                _CLAIM_RESET,
                "                held = [self._box.pop()]\n"
                "                with _LOCK:\n"
                "                    valid = held[0].reset()\n",
            ),
        ),
        "wait-free",
    ),
    Mutant(
        "no-drain-after-late-release",
        "nothing idle in a closed pool (a release racing close() keeps its resource)",
        "_guard.py",
        (
            (
                _LATE_CHECK,
                _RING + "            else:\n                pool._reject(held, valid)\n",
            ),
        ),
        "interrupts",
    ),
    Mutant(
        "grower-retries",
        "wait-freedom (the crate's grower: push every new resource, then retry the pop)",
        "_core.py",
        (
            (
                "            held[0] = yield from self._create()"
                "  # Model: Create, the caller's own.\n"
                "            if self._lifecycle is not None:\n"
                "                self._lifecycle.born(held[0])\n"
                "            return self._hold(held)\n",
                "            held[0] = yield from self._create()"
                "  # Model: Create, the caller's own.\n"
                "            if self._lifecycle is not None:\n"
                "                self._lifecycle.born(held[0])\n"
                "            yield from self._put_idle(held)\n"
                "            while True:\n"
                "                guard = self.get()  # type: ignore[attr-defined]\n"
                "                if guard is not None:\n"
                "                    return guard\n",
            ),
        ),
        "fork-leaks",
    ),
    Mutant(
        "recover-exception-only",
        "exception safety (get()'s handler catches Exception: a KeyboardInterrupt "
        "after the pop loses the resource)",
        "_pool.py",
        (
            (
                "                    return guard\n            except BaseException:\n",
                "                    return guard\n            except Exception:\n",
            ),
        ),
        "interrupts",
    ),
    Mutant(
        "recover-through-a-call",
        "exception safety (release()'s handler gives back through a Python method, which a "
        "RecursionError at the limit stops)",
        "_guard.py",
        (
            (
                "                run(pool._reject(held, valid))\n"
                "        except BaseException:\n"
                "            if held:  # Model: Recover.\n"
                "                orphans = pool._orphans\n"
                "                orphans += held\n"
                "                held.clear()\n",
                "                run(pool._reject(held, valid))\n"
                "        except BaseException:\n"
                "            if held:  # Model: Recover.\n"
                "                _hand_back(pool, held)\n",
            ),
            (
                "@final\nclass PoolGuard(",
                "def _hand_back(pool: Any, held: list[Any]) -> None:\n"
                "    pool._orphans.extend(held)\n"
                "    held.clear()\n\n\n"
                "@final\nclass PoolGuard(",
            ),
        ),
        "interrupts",
    ),
    Mutant(
        "check-waiters-before-publish",
        "no lost wake-up (a release reads `waiters` before its PutIdle, and rings only if "
        "that early read saw a waiter)",
        "_guard.py",
        (
            (
                "                    pool._free.append(held.pop())\n" + _LATE_CHECK,
                "                    waiting = bool(pool._waiters)  # read before the append\n"
                "                    pool._free.append(held.pop())\n"
                + _LATE_CHECK.replace("if pool._waiters:", "if waiting:"),
            ),
        ),
        "waiting",
    ),
    Mutant(
        "get-barges",
        "no barging (get() keeps what it pops though waiters queued before it: no "
        "CheckWaiters, no Yield)",
        "_pool.py",
        (
            (
                "                    if self._waiters and run(self._yield(held)):"
                "  # type: ignore[arg-type]\n"
                "                        return None\n",
                "",
            ),
        ),
        "scheduled",
    ),
    Mutant(
        "lifo-waiters",
        "FIFO (a waiter enqueues at the front: the newest is the head)",
        "_waiters.py",
        (
            (
                "    waiters.append(waiter)  # Model: Enqueue.\n",
                "    waiters.appendleft(waiter)  # Model: Enqueue, at the wrong end.\n",
            ),
        ),
        "waiting",
    ),
    Mutant(
        "close-forgets-waiters",
        "every waiter finishes (close() does not ring the parked waiters: no WakeAll)",
        "_core.py",
        (
            (
                "        ring_all(self._waiters)\n        raise_all(errors)\n",
                "        raise_all(errors)\n",
            ),
        ),
        "interrupts",
    ),
    Mutant(
        "leave-without-pass-on",
        "no lost wake-up (a head that leaves does not ring the next one, though something "
        "is idle: the releaser rang the head that was leaving)",
        "_waiters.py",
        ((_PASS_ON, ""),),
        "interrupts",
    ),
    Mutant(
        "timeout-drops-taken",
        "accounting (the head reads its deadline after its pop and, timed out, drops the "
        "guard it took: only the guard's finalizer brings the resource back)",
        "_waiters.py",
        (
            (
                _HEAD_TAKES,
                "            if first_alive(waiters) is waiter:  # Model: CheckHead.\n"
                "                guard = yield from pool._head()\n"
                "                remaining = None if ends is None else ends - clock()  # late\n"
                "                if guard is not None and (remaining is None or remaining > 0):\n"
                "                    return guard\n",
            ),
        ),
        "scheduled",
    ),
    Mutant(
        "leave-only-in-generator",
        "no zombie waiter (acquire() trusts the waiting steps' finally to leave: an "
        "interrupt at its first line, once served, leaves the entry alive at the head)",
        "_acquire.py",
        (
            (
                "    try:\n"
                "        return run(steps)\n"
                "    except BaseException:\n"
                "        _leave(pool, waiter)\n"
                "        raise\n",
                "    return run(steps)\n",
            ),
        ),
        "interrupts",
    ),
    # Lifecycle (_lifecycle.py, docs/design.md "Lifecycle").
    Mutant(
        "expire-in-guard",
        "never discard a held resource (an expired resource is closed but left in the "
        "guard the caller gets)",
        "_lifecycle.py",
        (
            (
                "            held = [guard._box.pop()]"
                "  # Model: Claim, from a guard nobody else has seen.\n",
                "            held = [guard._box[0]]  # the bug: it stays in the guard too\n",
            ),
            (
                "            return (yield from pool._grow(held))"
                "  # Model: Renew, with the stale resource's unit.\n",
                "            return guard\n",
            ),
        ),
        "fork-leaks",
    ),
    Mutant(
        "evict-in-place",
        "never discard an idle or held resource, capacity bound (the sweep closes the "
        "resource it saw at the cold end without taking it out of the free list)",
        "_lifecycle.py",
        (
            (
                "                held = [free.pop()]  # Model: TakeFree, by the sweeper.\n",
                "                held = [cold]  # the bug: looked at, never taken\n",
            ),
        ),
        "lifecycle",
    ),
    Mutant(
        "evict-without-returning-capacity",
        "accounting (an evicted resource's unit is dropped: the pool shrinks for good)",
        "_lifecycle.py",
        (
            (
                "            pool._return_capacity(held)  # Model: ReturnGrant.\n",
                "            held.pop()  # the bug: the unit is not given back\n",
            ),
        ),
        "lifecycle",
    ),
    Mutant(
        "failed-check-handed-out",
        "a failed check discards the resource (the caller gets it all the same)",
        "_lifecycle.py",
        (
            (
                "            if not passed:\n"
                "                return (yield from self._renew("
                "pool, guard, self.checks_failed))\n",
                "            if not passed:\n                return guard\n",
            ),
            (
                "            if not passed:\n"
                "                return self._settle(pool, guard, self.checks_failed, now)\n",
                "            if not passed:\n                return guard\n",
            ),
        ),
        "lifecycle",
    ),
    Mutant(
        "failed-check-put-back",
        "a failed resource is never put back, capacity bound (the failed resource goes "
        "back to the free list and the caller gets a new one from new capacity)",
        "_lifecycle.py",
        (
            (
                "            if not passed:\n"
                "                return (yield from self._renew("
                "pool, guard, self.checks_failed))\n",
                "            if not passed:\n"
                "                next(self.checks_failed)\n"
                "                yield from pool._put_idle([guard._box.pop()])\n"
                "                return (yield from pool._grow([1]))\n",
            ),
            (
                "            if not passed:\n"
                "                return self._settle(pool, guard, self.checks_failed, now)\n",
                "            if not passed:\n"
                "                next(self.checks_failed)\n\n"
                "                def put_back() -> Steps[Any]:\n"
                "                    yield from pool._put_idle([guard._box.pop()])\n"
                "                    return (yield from pool._grow([1]))\n\n"
                "                return put_back()\n",
            ),
        ),
        "lifecycle",
    ),
    Mutant(
        "expired-put-back-at-release",
        "an expired resource is discarded when it comes back (the release of a resource past "
        "its max_lifetime makes it idle again)",
        "_expiring.py",
        (
            (
                "            elif pool._closed or lifecycle.clock() < lifecycle.deadlines.get(",
                "            elif True or lifecycle.clock() < lifecycle.deadlines.get(",
            ),
        ),
        "lifecycle",
    ),
    Mutant(
        "expired-put-back-at-release-async",
        "an expired resource is discarded when it comes back (an AsyncPoolGuard's release, "
        "the core's _give_back, makes a resource past its max_lifetime idle again)",
        "_disposal.py",
        (
            (
                "            or lifecycle.clock() < lifecycle.deadlines.get(id(held[-1]), inf)\n",
                "            or True\n",
            ),
        ),
        "lifecycle",
    ),
    Mutant(
        "resize-overshoot",
        "capacity bound after a resize (a raise adds its units as spare capacity without "
        "cancelling the debt of an earlier lowering)",
        "_resize.py",
        (
            (
                "            while pool._maximum < bound and debt:\n",
                "            while False:\n",
            ),
        ),
        "lifecycle",
    ),
    Mutant(
        "lower-without-debt",
        "capacity bound after a resize (lowering stores the new bound but records no debt: "
        "the units beyond it stay for good)",
        "_resize.py",
        (
            (
                "            _ = debt.extend([1] * (current - bound)),"
                ' setattr(pool, "_maximum", bound)',
                "            pool._maximum = bound",
            ),
        ),
        "lifecycle",
    ),
)

# Fork safety and leak detection: killed by run.py's fork-leaks layer
# (tests/test_fork.py, tests/test_leaks.py).
FORK_AND_LEAK_MUTANTS = (
    # Fork safety (_fork.py, docs/design.md "Fork"): killed by tests/test_fork.py.
    Mutant(
        "fork-child-reuses-parent-resource",
        "fork safety (the child keeps the parent's free list and hands its resources out)",
        "_fork.py",
        (("    pool._free = deque_type(grants)\n", ""),),
        "fork-leaks",
    ),
    Mutant(
        "fork-guard-not-disarmed",
        "fork safety (a guard held across the fork gives the parent's resource to the child)",
        "_fork.py",
        (("    if busy:\n        _disarm(busy)\n", ""),),
        "fork-leaks",
    ),
    # Leak detection (_leaks.py, docs/design.md "Leak detection"): killed by tests/test_leaks.py.
    Mutant(
        "leak-reported-at-every-scan",
        "one report per leak (a reported guard stays watched and is reported again)",
        "_leaks.py",
        (
            (
                "        events.append(REPORTED)\n        if events[0] is REPORTED:\n",
                "        records.append(record)\n        if True:\n",
            ),
        ),
        "fork-leaks",
    ),
    Mutant(
        "late-return-untold",
        "a late return is reported (the release of a reported guard says nothing)",
        "_leaks.py",
        (("    if events[0] is REPORTED and watch is not None:\n", "    if False:\n"),),
        "fork-leaks",
    ),
    Mutant(
        "late-return-told-by-every-release",
        "one late-return report (a second release() of the guard reports it again)",
        "_leaks.py",
        (
            (
                "        record.open.pop()  # the one release() that tells\n",
                "        record.open[:1]  # the bug: looks, does not claim\n",
            ),
        ),
        "fork-leaks",
    ),
)

MUTANTS += FORK_AND_LEAK_MUTANTS
