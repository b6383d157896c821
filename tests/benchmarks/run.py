"""Benchmark rpool against its peers; `make bench` runs this.

    python tests/benchmarks/run.py [--quick] [--waiting-seconds S] [--json PATH] [--plot PATH]

Prints a Markdown report (tables of medians, ranges and ratios, then the goals;
then the waiting benchmark's tables and goals, tests/benchmarks/waiting.py;
then what check on borrow, expiry and leak detection add beside the peers'
pings, tests/benchmarks/checks.py; then pools of real PostgreSQL connections,
tests/benchmarks/postgres.py)
to stdout and progress to stderr; writes every raw sample and the machine's
description to a JSON file and the threads plot to a PNG, and prints both
paths. Nothing here fails on a slow figure: a goal not met is reported.

Runs on whatever interpreter starts it: `make bench` uses .venv/bench (3.11),
`make bench-ft` the free-threaded build with the GIL off. A peer whose package
is not installed (SQLAlchemy and generic-connection-pool have no place in
.venv/py3.13t) is left out and the report says so; without matplotlib there
is no plot.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, Python puts this directory first on sys.path, where module
# names like `summary` or `floor` could shadow others. The repository root
# replaces it: the modules import as the package tests.benchmarks, which is
# also the name mypy checks them under.
if __name__ == "__main__":
    sys.path.pop(0)
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import argparse
import dataclasses
import importlib
import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from types import ModuleType
from typing import Any

from tests.benchmarks import checks, waiting
from tests.benchmarks.floor import DequeFloor
from tests.benchmarks.goals import check_goals
from tests.benchmarks.handrolled import LifoQueueSubject, LockedResetSubject, LockListSubject
from tests.benchmarks.report import render
from tests.benchmarks.rpool_pool import RpoolPool
from tests.benchmarks.scenarios import UNITS, Settings, run_scenarios
from tests.benchmarks.subject import Subject
from tests.pgcluster import server_binaries

ROOT = Path(__file__).resolve().parents[2]


def _peer(module: str, name: str) -> type[Subject] | None:
    """The subject class `name` of tests.benchmarks.`module`, or None if its package is missing."""
    try:
        found: type[Subject] = getattr(importlib.import_module(f"tests.benchmarks.{module}"), name)
    except ImportError:
        return None
    return found


def _optional(module: str) -> ModuleType | None:
    """tests.benchmarks.`module`, or None if a package it needs is missing."""
    try:
        return importlib.import_module(f"tests.benchmarks.{module}")
    except ImportError:
        return None


#: The PostgreSQL benchmark: its drivers are in .venv/bench only.
postgres = _optional("postgres")

#: The peers that need a package of their own.
PEERS = {
    "SQLAlchemy": _peer("sqlalchemy_pool", "SQLAlchemyQueuePool"),
    "generic-connection-pool": _peer("gcp_pool", "GenericConnectionPool"),
}
_PEERS = tuple(kind for kind in PEERS.values() if kind is not None)

#: Every subject, the floor first; the stall scenario has no floor (a deque has
#: no reset) and adds the Lock pool that resets inside its lock.
SUBJECTS: tuple[type[Subject], ...] = (
    DequeFloor,
    RpoolPool,
    LockListSubject,
    LifoQueueSubject,
    *_PEERS,
)
STALL_SUBJECTS: tuple[type[Subject], ...] = (
    RpoolPool,
    LockListSubject,
    LockedResetSubject,
    LifoQueueSubject,
    *_PEERS,
)

FULL = Settings(repetitions=7, sample_ns=50_000_000, thread_ns=200_000_000, growth_size=1000)
QUICK = Settings(repetitions=3, sample_ns=5_000_000, thread_ns=30_000_000, growth_size=200)


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip()


def _versions() -> dict[str, str]:
    names = (
        "rpool",
        "SQLAlchemy",
        "generic-connection-pool",
        "psycopg",
        "psycopg-pool",
        "matplotlib",
    )
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _machine() -> dict[str, Any]:
    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    return {
        "python": sys.version,
        "implementation": platform.python_implementation(),
        "gil": gil,
        "platform": platform.platform(),
        "cpu": _cpu(),
        "cores": os.cpu_count(),
    }


def _on_postgres(quick: bool) -> str:
    """The PostgreSQL benchmark's report, or why it was left out; its raw results in `_RAW`."""
    if postgres is None:
        return "## PostgreSQL\n\nLeft out: psycopg is not installed."
    if server_binaries() is None:
        return "## PostgreSQL\n\nLeft out: no PostgreSQL server binaries (package `postgresql`)."
    settings = postgres.QUICK if quick else postgres.FULL
    with postgres.server() as dsn:
        results = postgres.run(settings, dsn)
    _RAW["postgres"] = postgres.record(results)
    report: str = postgres.render(results, settings)
    return report


#: Raw results of the optional parts, for the JSON record.
_RAW: dict[str, Any] = {}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--quick", action="store_true", help="short samples, 3 repetitions (< 1 min)"
    )
    parser.add_argument(
        "--repetitions", type=int, help="samples per figure (default 7, quick 3; waiting 5, 3)"
    )
    parser.add_argument(
        "--waiting-seconds",
        type=float,
        help="length of one sample of the waiting benchmark (default 1, quick 0.2)",
    )
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="clock of single-thread figures: perf_counter (wall) or the thread's CPU time",
    )
    parser.add_argument("--json", type=Path, help="where to write the raw results")
    parser.add_argument("--plot", type=Path, help="where to write the threads plot (PNG)")
    args = parser.parse_args(argv)

    settings = dataclasses.replace(QUICK if args.quick else FULL, clock=args.clock)
    waiting_settings = waiting.QUICK if args.quick else waiting.FULL
    if args.repetitions is not None:
        settings = dataclasses.replace(settings, repetitions=args.repetitions)
        waiting_settings = dataclasses.replace(waiting_settings, repetitions=args.repetitions)
    if args.waiting_seconds is not None:
        waiting_settings = dataclasses.replace(waiting_settings, seconds=args.waiting_seconds)
    started = datetime.now(UTC)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    json_path: Path = args.json or ROOT / ".venv" / "bench-results" / f"bench-{stamp}.json"
    plot_path: Path = args.plot or json_path.with_suffix(".png")

    load_before = os.getloadavg()
    machine = _machine()
    results = run_scenarios(settings, SUBJECTS, STALL_SUBJECTS)
    holds = waiting.measured_holds()
    waited = waiting.run(waiting_settings)
    checks_settings = checks.QUICK if args.quick else checks.FULL
    if args.repetitions is not None:
        checks_settings = dataclasses.replace(checks_settings, repetitions=args.repetitions)
    checked = checks.run(checks_settings)
    on_postgres = _on_postgres(args.quick)
    load_after = os.getloadavg()
    goals = check_goals(results, free_threaded=not machine["gil"])
    waiting_goals = waiting.check_goals(waited)

    python = f"{machine['implementation']} {platform.python_version()}"
    print(f"## rpool benchmarks, {started:%Y-%m-%d %H:%M} UTC\n")
    build = "GIL" if machine["gil"] else "free-threaded"
    print(f"- Python: {python} ({build}), {machine['platform']}")
    print(f"- Machine: {machine['cpu']}, {machine['cores']} cores")
    before, after = (", ".join(f"{x:.2f}" for x in load) for load in (load_before, load_after))
    print(f"- Load average (1, 5, 15 min): {before} before, {after} after")
    versions = ", ".join(f"{name} {version}" for name, version in _versions().items())
    print(f"- Versions: {versions}; rpool commit {_commit()}")
    missing = [name for name, kind in PEERS.items() if kind is None]
    if missing:
        print(f"- Left out, their packages not installed here: {', '.join(missing)}")
    print(
        f"- {settings.repetitions} repetitions; single-thread samples of about "
        f"{settings.sample_ns / 1e6:g} ms on the {settings.clock} clock, threaded samples of "
        f"{settings.thread_ns / 1e6:g} ms (wall); growth to N = {settings.growth_size}\n"
    )
    print(render(results, goals, settings.stall_others))
    print(waiting.render(waited, waiting_goals, waiting_settings, holds))
    print(checks.render(checked, checks_settings.repetitions))
    print()
    print(on_postgres)

    record = {
        "started": started.isoformat(),
        "machine": machine,
        "load_average": {"before": load_before, "after": load_after},
        "versions": _versions(),
        "commit": _commit(),
        "settings": {
            "repetitions": settings.repetitions,
            "sample_ns": settings.sample_ns,
            "thread_ns": settings.thread_ns,
            "growth_size": settings.growth_size,
            "thread_counts": settings.thread_counts,
            "stall_others": settings.stall_others,
            "clock": settings.clock,
        },
        "units": UNITS,
        "results": results,
        "waiting": waiting.record(waiting_settings, holds, waited),
        "checks": {"repetitions": checks_settings.repetitions, "tables": checked},
        **_RAW,
        "goals": [
            {
                "goal": g.text,
                "measured": g.measured,
                "bound": g.bound,
                "at_most": g.at_most,
                "met": g.met,
            }
            for g in [*goals, *waiting_goals]
        ],
    }
    json_path.parent.mkdir(parents=True, exist_ok=True)
    if json_path.is_relative_to(ROOT / ".venv"):
        # As the Makefile does for everything it puts in .venv: keep it out of git.
        (ROOT / ".venv" / ".gitignore").write_text("*\n")
    json_path.write_text(json.dumps(record, indent=1) + "\n")
    try:
        from tests.benchmarks.plot import plot_threads
    except ImportError:
        print(f"\nraw results: {json_path}\nplot: none (matplotlib is not installed)")
        return
    title = f"rpool and peers, {python} ({build}), {machine['cores']} cores, {stamp}"
    plot_threads(results, title, plot_path)
    print(f"\nraw results: {json_path}\nplot: {plot_path}")


if __name__ == "__main__":
    main()
