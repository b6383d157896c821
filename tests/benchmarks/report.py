"""The run's report: Markdown tables of medians, ranges and ratios, and the goals."""

from __future__ import annotations

from collections.abc import Sequence

from .goals import FLOOR, RPOOL, Goal
from .scenarios import Results
from .summary import difference, ratio, summarize

__all__ = [
    "format_rate",
    "format_time",
    "format_times",
    "goals_table",
    "markdown_table",
    "render",
]

_TITLES = {
    "round trip": "Round trip, `get()` + `release()`, one thread (ns per round trip)",
    "with": "Round trip with the `with` statement, one thread (ns per round trip; "
    "÷ floor is against the floor's round trip)",
    "exhausted": "Exhausted pool: a `get()` that finds nothing (ns per call; "
    "÷ floor is against the floor's round trip)",
    "growth": "Growth from empty to N resources (ns per resource; "
    "the floor creates each resource and appends it to a deque)",
}


def format_time(ns: float) -> str:
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def format_rate(per_second: float) -> str:
    if per_second >= 1e6:
        return f"{per_second / 1e6:.2f} M/s"
    return f"{per_second / 1e3:.1f} k/s"


def format_times(x: float) -> str:
    return f"{x:.2f}×" if x < 10 else f"{x:.1f}×"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def _per_op(results: Results, key: str) -> list[str]:
    figures = results[key]
    # Where the floor has no figure of its own (with, exhausted), the floor's
    # round trip is the reference.
    floor = figures.get(FLOOR, results["round trip"][FLOOR])
    rows = []
    for name, samples in figures.items():
        s = summarize(samples)
        rows.append(
            [
                name,
                format_time(s.median),
                f"{format_time(s.low)} – {format_time(s.high)}",
                format_times(ratio(samples, floor)),
                format_times(ratio(samples, figures[RPOOL])),
            ]
        )
    header = ["subject", "median", "min – max", "÷ floor", "÷ rpool"]
    return [f"### {_TITLES[key]}", "", *markdown_table(header, rows)]


def _breakdown(results: Results) -> list[str]:
    rungs = results["breakdown"]
    names = list(rungs)
    floor = rungs[names[1]]
    rows = []
    for previous, name in zip([None, *names], names, strict=False):
        s = summarize(rungs[name])
        step = "" if previous is None else format_time(difference(rungs[name], rungs[previous]))
        rows.append(
            [
                name,
                format_time(s.median),
                f"{format_time(s.low)} – {format_time(s.high)}",
                format_times(ratio(rungs[name], floor)),
                step,
            ]
        )
    return [
        "### Where the time of a round trip goes (tests/benchmarks/breakdown.py)",
        "",
        "Each rung adds one thing to the one above; the last is rpool itself.",
        "",
        *markdown_table(["rung", "median", "min – max", "÷ floor", "added"], rows),
    ]


def _threads(results: Results) -> list[str]:
    keys = [k for k in results if k.startswith("threads=")]
    counts = [k.removeprefix("threads=") for k in keys]
    names = list(results[keys[0]])
    rates, scaling, versus = [], [], []
    for name in names:
        cells = [summarize(results[k][name]) for k in keys]
        rates.append(
            [
                name,
                *(
                    f"{format_rate(c.median)} ({format_rate(c.low)} – {format_rate(c.high)})"
                    for c in cells
                ),
            ]
        )
        one = results[keys[0]][name]
        scaling.append([name, *(format_times(ratio(results[k][name], one)) for k in keys)])
        versus.append(
            [name, *(format_times(ratio(results[k][RPOOL], results[k][name])) for k in keys)]
        )
    header = ["subject", *(f"{c} thread{'s' if c != '1' else ''}" for c in counts)]
    return [
        "### Threads sharing one pool: round trips per second, all threads together",
        "",
        "Median (min – max).",
        "",
        *markdown_table(header, rates),
        "Each subject's throughput ÷ its own with 1 thread:",
        "",
        *markdown_table(header, scaling),
        "rpool's throughput ÷ each subject's, at the same thread count:",
        "",
        *markdown_table(header, versus),
    ]


def _stall(results: Results, others: int) -> list[str]:
    free, stuck = results["stall: none"], results["stall: one stuck"]
    rows = []
    for name in free:
        a, b = summarize(free[name]), summarize(stuck[name])
        rows.append(
            [
                name,
                f"{format_rate(a.median)} ({format_rate(a.low)} – {format_rate(a.high)})",
                f"{format_rate(b.median)} ({format_rate(b.low)} – {format_rate(b.high)})",
                format_times(ratio(stuck[name], free[name])),
            ]
        )
    header = ["subject", "alone", "beside a stuck thread", "beside ÷ alone"]
    return [
        f"### {others} threads' round trips per second, alone and beside a thread stuck "
        "in a 1 ms reset",
        "",
        *markdown_table(header, rows),
    ]


def goals_table(
    goals: Sequence[Goal], title: str = "Goals (ratios of medians of same-repetition pairs)"
) -> list[str]:
    """The goals, one line each, met or NOT met, under a `### title`."""
    rows = [
        [
            g.text,
            f"{g.measured:.2f}",
            ("≤ " if g.at_most else "≥ ") + f"{g.bound:g}",
            "met" if g.met else "NOT met",
        ]
        for g in goals
    ]
    return [f"### {title}", "", *markdown_table(["goal", "measured", "bound", ""], rows)]


def render(results: Results, goals: Sequence[Goal], stall_others: int) -> str:
    """The whole report as Markdown."""
    lines: list[str] = []
    for key in _TITLES:
        lines += _per_op(results, key)
    lines += _breakdown(results)
    lines += _threads(results)
    lines += _stall(results, stall_others)
    lines += goals_table(goals)
    return "\n".join(lines)
