"""Planted bugs must fit the code they plant into, exactly once each."""

from __future__ import annotations

import pytest

from tests.conformance.mutant import CONTRACT_BUGS, MUTANTS, REPO, Mutant, StaleMutantError


@pytest.mark.parametrize("mutant", [*MUTANTS.values(), *CONTRACT_BUGS], ids=lambda m: m.name)
def test_each_planted_bug_changes_its_file(mutant: Mutant) -> None:
    text = (REPO / mutant.path).read_text()
    assert mutant.apply(text) != text


def test_a_mutant_that_no_longer_fits_is_refused() -> None:
    stale = Mutant("Stale", "nothing", "src/rpool/_pool.py", (("no such text\n", "x\n"),))
    with pytest.raises(StaleMutantError, match="occurs 0 times"):
        stale.apply((REPO / stale.path).read_text())
