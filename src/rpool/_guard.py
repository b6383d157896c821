"""`PoolGuard`: the handle through which a resource is used and given back."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, NoReturn, TypeVar, final

from ._drive import run
from ._errors import GuardReleasedError, raise_all
from ._waiters import ring

if TYPE_CHECKING:
    from ._pool import Pool

__all__ = ["PoolGuard"]

R = TypeVar("R")


@final
class PoolGuard(Generic[R]):
    """Holds one resource taken from a `Pool` until it is given back.

    Made only by `Pool.get()` and `Pool.acquire()`. Give the resource back with `release()` or by
    leaving a `with guard as resource:` block. A guard that is garbage-collected
    while still holding its resource gives it back too: its finalizer only
    moves the resource to the pool's orphans, and the pool's next ordinary
    call (a `get()` that finds nothing idle, a `release()`, or `close()`)
    resets it and emits a `ResourceWarning`, as an unclosed file does (see
    docs/design.md, "Guards"). Guards cannot be copied or pickled: two holders
    of one resource would give it back twice.
    """

    # _box holds the resource while the guard has it: a one-element list, so
    # that release() can claim it with list.pop(), one atomic call. Two threads
    # releasing the same guard at once thus give the resource back once.
    # No __init__: the pool makes a guard with `PoolGuard()` and sets `_pool`,
    # then `_box` (Core._hold); a class without one is the cheapest to make.
    __slots__ = ("_box", "_pool")

    _pool: Pool[Any, Any]
    _box: list[R]

    @property
    def resource(self) -> R:
        """The resource.

        Raises:
            GuardReleasedError: the guard was released.
        """
        try:
            return self._box[0]
        except IndexError:
            raise GuardReleasedError("this guard's resource was given back") from None

    @property
    def released(self) -> bool:
        """Whether the resource was given back."""
        return not self._box

    def release(self) -> None:
        """Give the resource back to its pool; a second call does nothing.

        Runs the resource's `reset()`. If it returns True the resource becomes
        idle; if it returns False or raises, the resource is discarded (its
        `close()` called if it has one) and, under Static, replaced at once.
        Then one orphan (the resource of a garbage-collected guard, say) is
        given back too: ordinary calls are where orphans get their reset. The
        guard is released however the call ends.

        Raises:
            Exception: whatever `reset()`, the resource's `close()` or the
                replacement's `new()` raised. The pool's accounting is whole
                all the same.
            TypeError: `reset()` returned something other than a bool (the
                resource is discarded).
            BaseException: an exception that interrupted the call
                (KeyboardInterrupt, RecursionError); what it had claimed goes
                to the pool's orphans, to be given back by its next ordinary
                call. A `reset()` or `close()` that raises one gets no
                replacement.
        """
        # The steps are the core's `_give_back()` after a Claim
        # (docs/design.md, "release()"), inlined here with the sync shell's
        # call of reset(): a call more costs about 10% of a round trip. The
        # steps that call close() or new() are the core's, run here.
        # `held` and its handler follow design.md's "Exception safety".
        pool = self._pool
        held: list[Any] | None = None
        try:
            try:
                # Model: Claim. list.pop() is atomic (GIL: one C call;
                # free-threaded: the list's per-object lock), so of two calls
                # on one guard exactly one gets the resource.
                held = [self._box.pop()]
                valid = held[0].reset()  # Model: Reset, a user callback.
            except BaseException as error:
                if held is None:  # nothing claimed
                    if type(error) is IndexError:  # released already
                        return
                    raise
                # reset() raised (or an exception landed before it ran): the
                # resource is discarded. A KeyboardInterrupt (or the like)
                # gets no replacement: no user code runs while it is on its way.
                run(pool._retire(held, replace=isinstance(error, Exception)))
                raise
            if valid is True:
                # Core._put_idle(held), inlined: the hot path of release().
                if pool._closed:  # Model: CheckClosed.
                    run(pool._abandon(held))
                else:
                    # Model: PutIdle. append() may check the recursion limit
                    # (3.11) after held.pop(), but it cannot fail here: reset()
                    # was just called from this frame, at the same depth.
                    pool._free.append(held.pop())
                    if pool._closed:  # Model: CheckClosed.
                        raise_all(run(pool._drain()))
                    if pool._waiters:  # Model: Ring (see Core._put_idle).
                        ring(pool._waiters)
            else:
                run(pool._reject(held, valid))
        except BaseException:
            if held:  # Model: Recover.
                orphans = pool._orphans
                orphans += held
                held.clear()
            raise
        if pool._orphans:
            run(pool._adopt_orphan())

    def __enter__(self) -> R:
        # The resource property, inlined: `with` is a hot path.
        try:
            return self._box[0]
        except IndexError:
            raise GuardReleasedError("this guard's resource was given back") from None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def __del__(self) -> None:
        # Model: Orphan. No user code, no lock, no warning (the pool warns
        # when it adopts the orphan), so it is safe wherever and in whichever
        # thread the collector runs it (even inside another call on the same
        # pool). The resource goes to the orphans, in one C-level step,
        # wrapped in a new one-element list, which marks it as a collected
        # guard's.
        try:
            box = self._box  # set after _pool, by get() as by __init__
        except AttributeError:  # get() was interrupted before it set it
            return
        if box:
            pool = self._pool
            orphans = pool._orphans
            orphans += ([box.pop()],)
            # Model: Ring. A caller may be waiting with nothing else coming:
            # the head adopts orphans. Our own non-blocking code, no lock.
            if pool._waiters:
                ring(pool._waiters)

    # How messages and repr() name the guard: the public class, whichever of
    # the pool's private subclasses (ExpiringGuard, WatchedGuard) it is.
    # AsyncPoolGuard takes `resource`, `released`, the finalizer, the refusals
    # to be copied and repr() from this class, and names itself.
    _name: ClassVar[str] = "PoolGuard"

    def __copy__(self) -> NoReturn:
        raise TypeError(f"{self._name} cannot be copied: two guards would give one resource back")

    def __deepcopy__(self, memo: object) -> NoReturn:
        raise TypeError(f"{self._name} cannot be copied: two guards would give one resource back")

    def __reduce__(self) -> NoReturn:
        raise TypeError(f"{self._name} cannot be pickled: its resource belongs to this process")

    def __repr__(self) -> str:
        try:
            state = "holding a " + type(self._box[0]).__name__
        except IndexError:
            state = "released"
        return f"<{self._name} {state}>"
