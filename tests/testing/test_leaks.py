"""Leak checks: `Leaks` and the pytest plugin report what user code leaves behind.

The planted bugs are a user's: a lookup that returns early without giving
its connection back, a worker thread parked in `acquire()` that the test
never joins, a pool never closed. Each is reported with the line of user
code that took the guard, called `acquire()` or made the pool.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Self

import pytest

from rpool import AutoScale, Pool, PoolGuard, Static
from rpool.testing import LeakError, Leaks


class Conn:
    def __init__(self) -> None:
        self.rows = {1: "ada"}

    @classmethod
    def new(cls, context: None) -> Self:
        return cls()

    def reset(self) -> bool:
        return True


def find_name(pool: Pool[None, Conn], key: int, careful: bool) -> str | None:
    """The user's lookup; the careless one forgets its guard when the row is missing."""
    guard = pool.get()
    if guard is None:
        return None
    if key not in guard.resource.rows and not careful:
        return None  # the bug: the guard is never released
    try:
        return guard.resource.rows.get(key)
    finally:
        guard.release()


def line_of(text: str) -> int:
    """The line of this file that contains `text`."""
    lines = Path(__file__).read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if text in line and "line_of" not in line)


def test_a_guard_left_unreleased_is_reported_where_it_was_taken() -> None:
    with Leaks() as leaks:
        pool = Pool(Conn, Static(count=2))
        assert find_name(pool, 1, careful=False) == "ada"
        assert find_name(pool, 2, careful=False) is None
        pool.close()
    problems = leaks.problems()
    assert len(problems) == 1, problems
    assert problems[0].startswith("guard not released: <PoolGuard holding a Conn>")
    assert f"test_leaks.py:{line_of('guard = pool.get()')} in find_name" in problems[0]
    with pytest.raises(LeakError, match="1 leak"):
        leaks.check()


def test_the_careful_lookup_leaves_nothing() -> None:
    with Leaks() as leaks, Pool(Conn, Static(count=2)) as pool:
        assert find_name(pool, 2, careful=True) is None
        with pool.acquire() as conn:
            assert conn.rows
    assert leaks.problems() == []
    leaks.check()


def test_a_dropped_guard_is_a_leak_not_a_silent_give_back() -> None:
    with Leaks() as leaks:
        pool = Pool(Conn, Static(count=1))
        pool.acquire()  # the guard is dropped at once
        pool.close()
    assert [p.split(" taken")[0] for p in leaks.problems()] == [
        "guard not released: <PoolGuard holding a Conn>"
    ]
    leaks.release_leaked()
    assert leaks.problems() == []


def test_a_parked_waiter_and_an_unclosed_pool_are_reported() -> None:
    release = threading.Event()
    with Leaks() as leaks:
        pool = Pool(Conn, AutoScale(initial=1, maximum=1))  # made here
        held = pool.acquire()

        def worker() -> None:
            with pool.acquire(timeout=10.0):  # parks: nothing is idle
                release.wait()

        thread = threading.Thread(target=worker, name="worker-1")
        thread.start()
        while pool.stats().waiting == 0:
            thread.join(0.001)
        problems = leaks.problems()
        held.release()
        release.set()
        thread.join()
    waiting = [p for p in problems if p.startswith("acquire() still waiting")]
    assert len(waiting) == 1
    assert f"test_leaks.py:{line_of('parks: nothing is idle')} in worker" in waiting[0]
    assert "(thread worker-1)" in waiting[0]
    unclosed = [p for p in problems if p.startswith("pool not closed")]
    assert len(unclosed) == 1 and f":{line_of('# made here')} " in unclosed[0]
    assert leaks.problems() == [f"pool not closed: {unclosed[0].split(': ', 1)[1]}"]
    pool.close()
    assert leaks.problems() == []


def test_async_waiters_and_pools_made_before_are_tracked() -> None:
    before = Pool(Conn, Static(count=1))

    async def main(leaks: Leaks) -> PoolGuard[Conn]:
        return await before.acquire_async(timeout=1.0)

    with Leaks() as leaks:
        leaks.track(before)
        guard = asyncio.run(main(leaks))
    problems = leaks.problems()
    assert [p.split(":")[0] for p in problems] == ["guard not released", "pool not closed"]
    assert "in main" in problems[0]
    guard.release()
    before.close()
    assert leaks.problems() == []
    with pytest.raises(TypeError, match="takes a Pool"):
        leaks.track(object())  # type: ignore[arg-type]


def test_the_pool_is_untouched_when_no_tracker_is_active() -> None:
    originals = (Pool.__init__, Pool.get, Pool.acquire, Pool.acquire_async)
    with Leaks():
        assert Pool.get is not originals[1]
        with pytest.raises(RuntimeError, match="another rpool leak tracker"), Leaks():
            pass
    assert (Pool.__init__, Pool.get, Pool.acquire, Pool.acquire_async) == originals


PLUGIN_TESTS = """
import threading
import pytest
from rpool import Pool, Static


class Conn:
    @classmethod
    def new(cls, context: None) -> "Conn":
        return cls()

    def reset(self) -> bool:
        return True


@pytest.fixture
def pool():
    made = Pool(Conn, Static(count=1))
    yield made
    made.close()


@pytest.mark.rpool_leaks
def test_marked_leaks_a_guard(pool):
    pool.get()  # LEAK-GUARD


@pytest.mark.rpool_leaks
def test_marked_leaks_a_pool():
    Pool(Conn, Static(count=1))  # LEAK-POOL


@pytest.mark.rpool_leaks
def test_marked_and_clean(pool):
    with pool.acquire():
        pass


def test_fixture_leaks_a_guard(rpool_leaks, pool):
    guard = pool.acquire()  # LEAK-ACQUIRE


def test_not_opted_in_leaks_freely():
    Pool(Conn, Static(count=1)).get()
"""


def run_pytest(tmp_path: Path, *options: str) -> str:
    (tmp_path / "test_user.py").write_text(textwrap.dedent(PLUGIN_TESTS))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", *options],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.stdout + result.stderr


def outcome(output: str, test: str) -> str:
    """The -rA summary word for `test`: PASSED, ERROR (teardown), FAILED."""
    words = [line.split()[0] for line in output.splitlines() if line.endswith(f"::{test}")]
    words += [
        line.split()[0] for line in output.splitlines() if f"::{test} - " in line
    ]  # ERROR lines carry a message after the test's name
    return ",".join(sorted(set(words)))


def test_the_plugin_fails_the_tests_that_leak_and_names_the_lines(tmp_path: Path) -> None:
    # One run, with the checks on for every test (the ini option); that the
    # marker alone turns them on, and that nothing is tracked otherwise, is
    # shown by the two tests below, in this session.
    output = run_pytest(tmp_path, "-o", "rpool_leaks=true")
    assert outcome(output, "test_marked_leaks_a_guard") == "ERROR,PASSED", output
    assert outcome(output, "test_marked_leaks_a_pool") == "ERROR,PASSED", output
    assert outcome(output, "test_fixture_leaks_a_guard") == "ERROR,PASSED", output
    assert outcome(output, "test_not_opted_in_leaks_freely") == "ERROR,PASSED", output
    assert outcome(output, "test_marked_and_clean") == "PASSED", output
    for mark, what in [
        ("LEAK-GUARD", "guard not released"),
        ("LEAK-POOL", "pool not closed"),
        ("LEAK-ACQUIRE", "guard not released"),
    ]:
        line = next(n for n, text in enumerate(PLUGIN_TESTS.splitlines(), 1) if text.endswith(mark))
        assert f"{what}: <" in output and f"test_user.py:{line} in" in output, (mark, output)
    # The pool that the fixture closed at teardown is not reported. Counted in
    # the teardown errors only: the short summary repeats each message in
    # full where pytest does not shorten it to the terminal (with CI set).
    errors = output.split("short test summary info")[0]
    assert errors.count("pool not closed") == 2, output
    assert "During handling" not in output, output


@pytest.mark.rpool_leaks
def test_the_marker_turns_the_tracking_on() -> None:
    assert hasattr(Pool.get, "__wrapped__")
    with Pool(Conn, Static(count=1)) as pool, pool.acquire():
        pass


def test_without_the_marker_the_pool_runs_its_own_methods() -> None:
    assert not hasattr(Pool.get, "__wrapped__")
    Pool(Conn, Static(count=1)).get()  # leaks, unchecked
