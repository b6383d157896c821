"""What every benchmarked pool offers the scenarios: the `Subject` interface.

Each subject drives its pool through the pool's own API, in loops written the
way a user would write them, so a measurement holds no adapter call: the
scenario calls `round_trips(n)` once and the loop inside is the library's.
"""

from __future__ import annotations

import abc
from typing import ClassVar, Protocol, runtime_checkable

from .resources import FakeConnection

__all__ = ["BenchmarkError", "Misses", "Subject", "WithStatement"]


class BenchmarkError(RuntimeError):
    """A pool did not behave as the scenario requires (say, empty when it should not be)."""


class Subject(abc.ABC):
    """One pool under test, holding `capacity` `resource`s.

    With `prefill`, the pool starts with all its resources idle; without, it
    starts empty and creates them on demand (the growth scenario).
    """

    #: The name shown in tables and the plot.
    name: ClassVar[str]

    def __init__(
        self,
        capacity: int,
        resource: type[FakeConnection] = FakeConnection,
        *,
        prefill: bool = True,
    ) -> None:
        self.capacity = capacity
        self.resource = resource
        self.prefill = prefill

    @abc.abstractmethod
    def round_trips(self, n: int) -> None:
        """Take a resource and give it back, `n` times.

        Safe to call from several threads at once, as long as the capacity is
        at least the number of threads (so that no call finds the pool empty).

        Raises:
            BenchmarkError: the pool was empty.
        """

    @abc.abstractmethod
    def take_all(self) -> None:
        """Take `capacity` resources and keep them (growth, and exhausting the pool).

        Raises:
            BenchmarkError: the pool ran out before `capacity`.
        """

    @abc.abstractmethod
    def give_back_all(self) -> None:
        """Give back every resource `take_all()` took."""


@runtime_checkable
class WithStatement(Protocol):
    """A subject whose pool lends resources through a `with` statement."""

    def with_round_trips(self, n: int) -> None:
        """Take and give back a resource with the pool's `with` form, `n` times."""


@runtime_checkable
class Misses(Protocol):
    """A subject whose pool can say, without waiting, that nothing is left."""

    def misses(self, n: int) -> None:
        """Ask an exhausted pool for a resource `n` times, each answered "none".

        Raises:
            BenchmarkError: the pool handed out a resource.
        """
