"""The free list: one deque holding idle resources and spare capacity.

The idle resources sit at the right end, in the order they came back; spare
capacity sits at the left end as grants. A grant of n units is the plain
`int` n: no resource is ever exactly an `int` (an `int` has no `new` or
`reset`), so `type(item) is int` tells a grant from a resource, and giving
capacity back never has to call a constructor (see "Exception safety" in
docs/design.md). Every change to the deque is one of these calls, each a
single atomic operation:

- `pop()` takes the rightmost item: the most recently returned resource if
  there is one (LIFO reuse), else a grant, else it finds the deque empty.
  Because resources and grants share one deque, this one call decides between
  "reuse", "grow" and "nothing left" at one instant; that instant is the
  linearization point of `Pool.get()`.
- `append(resource)` makes a resource idle (linearization point of a release).
- `appendleft(units)` gives capacity back (a failed `new()`, a discarded
  resource under AutoScale).
- `popleft()` takes the oldest item, in `close()`'s drain.

Only `append` adds resources and only `appendleft` adds grants, so the deque is
always "grants, then resources": `pop()` returns a grant only when no resource
is idle.

Why each call is atomic. `collections.deque` documents thread-safe appends and
pops from either end. On the GIL build, `pop`, `popleft`, `append`,
`appendleft`, `len`, `copy` and `+=` (`__iadd__`) are C functions that run no
Python code (they never compare or finalize items), so no other thread runs
during them. On the free-threaded build (3.13t), each of these methods holds
the deque's per-object lock (its critical section) and `len` is an atomic load
(CPython gh-112050); `copy` is the exception, see `snapshot`.
"""

from __future__ import annotations

from collections import deque
from typing import Any, TypeAlias

__all__ = ["Grant", "coldest", "snapshot"]

Grant: TypeAlias = int
"""Spare capacity for that many resources, waiting in the free list.

A `get()` that pops a grant owns that capacity: it creates that many
resources, keeps the last one and makes the others idle.
"""


def snapshot(items: deque[Any]) -> tuple[int, int]:
    """Count `(resources, spare units)` in a deque of the pool at one instant.

    Grants (ints) count as spare units; anything else counts as one resource
    (in the orphans deque, a collected guard's resource comes wrapped in a
    one-element list, which counts as one too).

    Atomic: `deque.copy()` copies the whole deque in one C call that runs no
    Python code, so on the GIL build no other thread runs during it. On the
    free-threaded build, 3.13 and 3.14 copy through an iterator that may see a
    concurrent change and raise RuntimeError (CPython gh-144809, since fixed by
    copying under the deque's lock); the copy is then retried. A retry means
    another thread changed the deque, so this is lock-free there, and
    wait-free where the copy is atomic.
    """
    while True:
        try:
            copied = items.copy()
        except RecursionError:  # a RuntimeError too, but retrying cannot help
            raise
        except RuntimeError:
            continue
        break
    resources = spare = 0
    for item in copied:
        if type(item) is int:
            spare += item
        else:
            resources += 1
    return resources, spare


def coldest(free: deque[Any]) -> object | None:
    """The idle resource at the cold end of `free` (returned longest ago), or None.

    The free list is "grants, then resources" (above), so the first
    resource is found by a binary search over indices: at most
    log2(len(free)) + 1 reads `free[i]`, each atomic (deque_item runs no Python
    code; the deque's lock on the free-threaded build). Other threads may
    change the deque between reads: the answer is then a resource that was
    idle near the cold end at some instant, or None. It is a hint for the
    sweep, never a take.
    """
    low, high = 0, len(free)
    while low < high:
        middle = (low + high) // 2
        try:
            item = free[middle]
        except IndexError:  # shrank since len(): look again lower down
            high = middle
            continue
        if type(item) is int:
            low = middle + 1
        else:
            high = middle
    try:
        item = free[low]
    except IndexError:
        return None
    return None if type(item) is int else item
