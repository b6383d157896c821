"""Hypothesis profiles for the whole suite.

`default` keeps `make check` within its time budget; `nightly` runs far more
examples and longer state machines. Pick one with HYPOTHESIS_PROFILE, e.g.
`HYPOTHESIS_PROFILE=nightly make test`. Every profile prints the blob that
reproduces a failure (`@reproduce_failure(...)`); see docs/testing.md.

Below the profiles: the hooks by which `make test-ft` fails a session in which
the GIL is on at any point, and the closing summary of what the real-thread
tests checked.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, Phase, settings

# Thread start-up and scheduled runs make single examples slow now and then;
# a deadline would turn that into flaky failures, so none is set.
settings.register_profile(
    "default",
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "nightly",
    parent=settings.get_profile("default"),
    max_examples=2000,
    stateful_step_count=100,
)
# tests/mutants/run.py: the same examples on every run (so a kill table is
# reproducible) and no shrinking (a kill only needs the first failure).
settings.register_profile(
    "mutants",
    parent=settings.get_profile("default"),
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    print_blob=False,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


# --- make test-ft: the GIL stays off for the whole session --------------------
#
# With RPOOL_REQUIRE_FREE_THREADING=1 (set by `make test-ft`), the session fails
# unless the GIL is off at its start and still off after every test: importing
# an extension module that does not declare free-threading support would turn
# it back on (unless -X gil=0), and the suite would then test nothing new.

REQUIRE_FREE_THREADING = os.environ.get("RPOOL_REQUIRE_FREE_THREADING") == "1"


def gil_enabled() -> bool:
    """Whether the GIL is on now (always, before 3.13 and on GIL builds)."""
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    return True if is_enabled is None else bool(is_enabled())


def pytest_sessionstart(session: pytest.Session) -> None:
    if REQUIRE_FREE_THREADING and gil_enabled():
        raise pytest.UsageError(
            f"RPOOL_REQUIRE_FREE_THREADING=1, but the GIL is on in {sys.executable} "
            f"({sys.version}): use a free-threaded build and run it with -X gil=0"
        )


def pytest_report_header() -> str:
    return f"GIL: {'on' if gil_enabled() else 'off'}" + (
        " (required off: RPOOL_REQUIRE_FREE_THREADING=1)" if REQUIRE_FREE_THREADING else ""
    )


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    if REQUIRE_FREE_THREADING and gil_enabled():
        pytest.fail(f"the GIL is on after {item.nodeid}", pytrace=False)


# --- what the real-thread tests checked ---------------------------------------
#
# Real-thread tests meet interleavings by chance, so a pass says more the more
# they ran: each records what it checked, and the session ends with one line
# per test, e.g. "threaded histories: 400 linearizable, 3120 operations".

CHECKED: dict[str, Counter[str]] = {}


def record_checked(name: str, **counts: int) -> None:
    """Add `counts` to what the real-thread test `name` checked in this session."""
    CHECKED.setdefault(name, Counter()).update(counts)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not CHECKED:
        return
    build = "GIL on" if gil_enabled() else "GIL off, free-threaded"
    terminalreporter.section(f"checked on real threads ({sys.version.split()[0]}, {build})")
    for name, counts in CHECKED.items():
        terminalreporter.write_line(
            f"{name}: " + ", ".join(f"{value} {key}" for key, value in counts.items())
        )


@pytest.fixture
def tiny_switch_interval() -> Iterator[None]:
    """Make the interpreter switch threads as often as it can (GIL build)."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)
