"""The command line of a benchmark run alone that takes timed samples.

`--quick`, `--repetitions`, `--seconds` and `--json`, as the waiting and
PostgreSQL benchmarks take them when run as scripts (run.py has a command
line of its own, for every benchmark at once).
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

__all__ = ["parse"]


class Sampling(Protocol):
    """A benchmark's settings: a frozen dataclass with at least these two fields."""

    __dataclass_fields__: ClassVar[dict[str, Any]]

    @property
    def repetitions(self) -> int: ...

    @property
    def seconds(self) -> float:
        """Length of one sample."""
        ...


S = TypeVar("S", bound=Sampling)


def parse(
    doc: str | None, full: S, quick: S, argv: list[str] | None = None
) -> tuple[S, Path | None]:
    """The settings `argv` asks for (`full`, or `quick`, then the figures given), and the JSON path.

    `doc` is the benchmark's docstring: its first line describes the command.

    Raises:
        SystemExit: the arguments are not understood (argparse's message), or --help.
    """
    parser = argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{quick.repetitions} repetitions of {quick.seconds:g} s samples",
    )
    parser.add_argument(
        "--repetitions", type=int, help=f"samples per figure (default {full.repetitions})"
    )
    parser.add_argument(
        "--seconds", type=float, help=f"length of one sample (default {full.seconds:g})"
    )
    parser.add_argument("--json", type=Path, help="where to write the raw results")
    args = parser.parse_args(argv)
    settings = quick if args.quick else full
    if args.repetitions is not None:
        settings = dataclasses.replace(settings, repetitions=args.repetitions)
    if args.seconds is not None:
        settings = dataclasses.replace(settings, seconds=args.seconds)
    json_path: Path | None = args.json
    return settings, json_path
