"""Validation and growth arithmetic of the scale modes."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from rpool import AutoScale, Static
from rpool._scale import MAX_GRANTS

# Typed as Any so that the runtime checks, not mypy, meet these values.
NOT_AN_INT: Any = 2.5
NOT_AN_INT_EITHER: Any = "1"


@pytest.mark.parametrize(
    ("build", "error", "field"),
    [
        (lambda: Static(0), ValueError, "Static.count"),
        (lambda: Static(-1), ValueError, "Static.count"),
        (lambda: Static(True), TypeError, "Static.count"),
        (lambda: Static(NOT_AN_INT), TypeError, "Static.count"),
        (lambda: AutoScale(initial=-1), ValueError, "AutoScale.initial"),
        (lambda: AutoScale(initial=False), TypeError, "AutoScale.initial"),
        (lambda: AutoScale(maximum=0), ValueError, "AutoScale.maximum"),
        (lambda: AutoScale(initial=5, maximum=4), ValueError, "AutoScale.maximum"),
        (lambda: AutoScale(maximum=NOT_AN_INT), TypeError, "AutoScale.maximum"),
        (lambda: AutoScale(maximum=True), TypeError, "AutoScale.maximum"),
        (lambda: AutoScale(chunk_size=-2), ValueError, "AutoScale.chunk_size"),
        (lambda: AutoScale(chunk_size=NOT_AN_INT_EITHER), TypeError, "AutoScale.chunk_size"),
    ],
)
def test_nonsensical_modes_are_refused_naming_the_field(
    build: object, error: type[Exception], field: str
) -> None:
    assert callable(build)
    with pytest.raises(error, match=field.replace(".", r"\.")):
        build()


def test_modes_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Static(1).count = 2  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        AutoScale().maximum = 2  # type: ignore[misc]


def test_defaults_match_the_documented_ones() -> None:
    assert AutoScale() == AutoScale(initial=0, maximum=None, chunk_size=1)


@pytest.mark.parametrize(
    ("mode", "sizes"),
    [
        (AutoScale(initial=0, maximum=10, chunk_size=1), [1] * 10),
        (AutoScale(initial=0, maximum=10, chunk_size=4), [4, 4, 2]),
        (AutoScale(initial=0, maximum=10, chunk_size=0), [1, 1, 2, 4, 2]),
        (AutoScale(initial=3, maximum=3, chunk_size=2), []),
        (AutoScale(initial=0, maximum=None, chunk_size=1), []),
        (AutoScale(initial=0, maximum=128, chunk_size=0), [1, 1, 2, 4, 8, 16, 32, 64]),
    ],
)
def test_grants_follow_the_growth_steps_up_to_maximum(mode: AutoScale, sizes: list[int]) -> None:
    assert list(mode.grants()) == sizes
    assert sum(sizes) == (mode.maximum or mode.initial) - mode.initial


@pytest.mark.parametrize(
    ("mode", "capacity", "step"),
    [
        (AutoScale(chunk_size=3), 0, 3),
        (AutoScale(chunk_size=0), 0, 1),
        (AutoScale(chunk_size=0), 5, 5),
        (AutoScale(maximum=7, chunk_size=0), 5, 2),
        (AutoScale(maximum=7, chunk_size=3), 6, 1),
    ],
)
def test_growth_is_chunk_or_doubling_clamped_to_maximum(
    mode: AutoScale, capacity: int, step: int
) -> None:
    assert mode.growth(capacity) == step


def test_too_many_spare_chunks_is_refused_with_a_way_out() -> None:
    with pytest.raises(ValueError, match="maximum=None"):
        AutoScale(maximum=MAX_GRANTS + 1, chunk_size=1)
    assert AutoScale(maximum=MAX_GRANTS + 1, chunk_size=2).maximum == MAX_GRANTS + 1
    assert AutoScale(maximum=10**18, chunk_size=0).maximum == 10**18
