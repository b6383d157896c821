"""rpool's pytest plugin: fail a test that leaves a guard, a waiter or a pool behind.

Loaded by pytest wherever rpool is installed (entry point `pytest11`), and
inactive until a test opts in, in one of three ways:

- the marker `@pytest.mark.rpool_leaks` on a test, class or module;
- the fixture `rpool_leaks` (a `Leaks` tracker; `rpool_leaks.track(pool)`
  adds a pool made before the test, by a wider-scoped fixture, say);
- the ini option `rpool_leaks = true`, for every test of the session.

Tracking starts before the test's other fixtures are set up and is checked
after they are torn down, so a pool that a fixture closes on teardown is not
reported. What is left behind is reported as an error in the test's
teardown, naming where each guard was taken, each waiting `acquire()` was
called and each pool was made; the leaked guards are then released.
A test that does not opt in runs the pool's own methods: nothing is patched.

This module is top-level, outside the rpool package, and imports rpool only
when a test opts in: pytest imports it at start-up in every session of every
project where rpool is installed, and marks the package that holds a plugin
for assertion rewriting (which would rewrite rpool's own modules in an
editable install). The tracker itself is `rpool.testing.Leaks`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from rpool.testing import Leaks

__all__ = ["rpool_leaks"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "rpool_leaks",
        "check every test for rpool guards, waiters and pools left behind",
        type="bool",
        default=False,
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "rpool_leaks: fail the test if it leaves an rpool guard unreleased, "
        "an acquire() waiting or a pool unclosed",
    )


@pytest.fixture
def rpool_leaks() -> Iterator[Leaks]:
    """A `Leaks` tracker active for the test; the test errors at teardown if it finds leaks."""
    from rpool.testing import Leaks

    with Leaks() as leaks:
        yield leaks
    found = leaks.problems()
    if found:
        leaks.release_leaked()
        pytest.fail(f"{len(found)} leak(s):\n  " + "\n  ".join(found), pytrace=False)


@pytest.fixture(autouse=True)
def _rpool_leaks_opt_in(request: pytest.FixtureRequest) -> None:
    """Turn `rpool_leaks` on for marked tests, or for all with the ini option."""
    if request.node.get_closest_marker("rpool_leaks") is not None or request.config.getini(
        "rpool_leaks"
    ):
        request.getfixturevalue("rpool_leaks")
