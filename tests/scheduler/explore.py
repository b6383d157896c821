"""Bounded exploration, shipped in rpool.testing._explore (imported from here by the tests)."""

from rpool.testing._explore import bounded_schedules as bounded_schedules

__all__ = ["bounded_schedules"]
