"""The drivers: run the core's steps, calling or awaiting the user's code they ask for.

The core (`_core.py`) is sans-IO: every step that needs the user's code
(`new`, `reset`, `close`, a waiter's park) is a generator that yields the
call it needs, a callable of no arguments, and receives its result by
`send()` or its exception by `throw()`. Steps compose with `yield from`.
`run` makes the calls (`Pool`); `run_async` awaits them (`AsyncPool`). That
is the whole difference between the two shells' handling of user code:
every decision about the free list, the grants, the waiters and the
accounting is in the steps, once (docs/design.md, "One core, two shells").

Exception safety (docs/design.md, "Exception safety"). A step keeps what it
took in `held` and recovers it in its handlers; the driver must make sure
those handlers see every exception that lands while the step waits at a
yield. So:

- the call and the `send()` of its result are one statement, so that no
  line falls between the call returning and the step receiving its result;
- an exception the call raises, or that lands on a line of the driver's
  loop while the step waits at a yield (a KeyboardInterrupt, a
  CancelledError at the `await`), is thrown into the step at that yield,
  exactly as if the call had raised it: the step's handlers then decide,
  and may ask for more calls (a failed `reset()` leads to `close()`);
- whether the step is waiting at a yield is `gi_suspended`: an exception
  that leaves the step itself (or its `return`, as StopIteration) finds it
  finished, and goes to the caller.

There is one `try`, around the whole loop, and the handler throws what it
caught into the step by a fresh driver call (one frame more, on the failure
path only): a `try:` line inside the loop would be a line an exception can
land on (a line event) that no handler covers (CPython leaves such a NOP
out of the exception table).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeAlias, TypeVar

__all__ = ["Steps", "run", "run_async"]

T = TypeVar("T")

Steps: TypeAlias = Generator[Callable[[], Any], Any, T]
"""A step of the core: yields the calls it needs, returns its result."""


def run(steps: Steps[T], error: BaseException | None = None) -> T:
    """Drive `steps` to its end, making each call it yields; return its result.

    `error`, if given, is thrown into `steps` first (it is waiting at a yield).

    Raises:
        BaseException: whatever `steps` raises, once its handlers have run.
    """
    call: Callable[[], Any] | None = None
    try:
        while True:
            if error is None:
                # One statement: the result goes in as the call returns.
                call = steps.send(None if call is None else call())
            else:
                call, error = steps.throw(error), None
    except BaseException as raised:
        # This frame must not keep what it threw in: the exception's traceback
        # holds this frame, a cycle that would keep every frame it passed
        # through (and the guards in them) alive until a collection.
        error = None
        if steps.gi_suspended:  # type: ignore[attr-defined]  # (3.11+, not in typeshed)
            # From the call, or landed on a line here while the steps wait at
            # a yield: the steps handle it, driven on from here.
            return run(steps, raised)
        if type(raised) is StopIteration:  # the steps returned
            return raised.value  # type: ignore[no-any-return]
        raise


async def run_async(
    steps: Generator[Callable[[], Awaitable[Any]], Any, T], error: BaseException | None = None
) -> T:
    """Drive `steps` to its end, awaiting each call it yields; return its result.

    A cancellation at an `await` is thrown into `steps` like any exception
    of the call: its handlers give back what it holds, then it propagates.

    Raises:
        BaseException: whatever `steps` raises, once its handlers have run
            (asyncio.CancelledError if the task was cancelled).
    """
    call: Callable[[], Awaitable[Any]] | None = None
    try:
        while True:
            if error is None:
                call = steps.send(None if call is None else await call())
            else:
                call, error = steps.throw(error), None
    except BaseException as raised:
        error = None  # as in run()
        if steps.gi_suspended:  # type: ignore[attr-defined]  # (3.11+, not in typeshed)
            return await run_async(steps, raised)
        if type(raised) is StopIteration:
            return raised.value  # type: ignore[no-any-return]
        raise
