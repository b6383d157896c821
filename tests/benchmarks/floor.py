"""The floor: the cheapest atomic step the runtime offers, a bare deque pop+append.

No pool can hand out and take back a resource for less than this: it is what
rpool's own free list costs with everything else taken away.
"""

from __future__ import annotations

from collections import deque
from itertools import repeat
from typing import ClassVar

from .resources import FakeConnection
from .subject import Subject

__all__ = ["DequeFloor"]


class DequeFloor(Subject):
    """A `deque` of idle resources: `append(pop())` is the round trip."""

    name: ClassVar[str] = "deque floor"

    def __init__(
        self,
        capacity: int,
        resource: type[FakeConnection] = FakeConnection,
        *,
        prefill: bool = True,
    ) -> None:
        super().__init__(capacity, resource, prefill=prefill)
        count = capacity if prefill else 0
        self._free = deque(resource.new(None) for _ in range(count))

    def round_trips(self, n: int) -> None:
        pop, append = self._free.pop, self._free.append
        for _ in repeat(None, n):
            append(pop())

    def take_all(self) -> None:
        # The floor of growth: create each resource and store it, nothing more.
        new, append = self.resource.new, self._free.append
        for _ in repeat(None, self.capacity):
            append(new(None))

    def give_back_all(self) -> None:
        # take_all() kept its resources in the deque: nothing is out.
        return None
