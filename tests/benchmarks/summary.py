"""Medians, ranges and same-repetition ratios of raw results."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Summary", "difference", "ratio", "summarize"]


@dataclass(frozen=True, slots=True)
class Summary:
    """The median and the range of one figure's samples."""

    median: float
    low: float
    high: float


def summarize(samples: Sequence[float]) -> Summary:
    return Summary(statistics.median(samples), min(samples), max(samples))


def ratio(numerators: Sequence[float], denominators: Sequence[float]) -> float:
    """The median over repetitions of `numerators[i] / denominators[i]`.

    Both figures of a pair were taken in the same repetition, moments apart,
    so each quotient is free of the drift between repetitions.
    """
    return statistics.median(a / b for a, b in zip(numerators, denominators, strict=True))


def difference(minuends: Sequence[float], subtrahends: Sequence[float]) -> float:
    """The median over repetitions of `minuends[i] - subtrahends[i]` (see `ratio`)."""
    return statistics.median(a - b for a, b in zip(minuends, subtrahends, strict=True))
