"""Implementation mutants: a copy of src/ with one planted bug, for traces TLC must reject.

A mutant is a list of exact text replacements in one module of src/rpool.
Each `old` text must occur exactly once, so a mutant that no longer fits the
code fails loudly instead of silently testing the unchanged code.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MUTANTS", "Mutant", "StaleMutantError", "plant"]

SRC = Path(__file__).resolve().parents[2] / "src"


class StaleMutantError(Exception):
    """A mutant's text to replace is not in the code exactly once."""


@dataclass(frozen=True, slots=True)
class Mutant:
    """`edits` (old, new) applied to src/rpool/`module`."""

    name: str
    why: str
    module: str
    edits: tuple[tuple[str, str], ...]


MUTANTS = {
    mutant.name: mutant
    for mutant in (
        Mutant(
            "PutBeforeReset",
            "release() makes the resource idle before its reset() runs, so another "
            "get() can take it while it is being reset (the model's Mutant of that name)",
            "_pool.py",
            (
                (
                    "            valid = resource.reset()  # Model: Reset, a user callback.\n",
                    "            self._free.append(resource)\n"
                    "            valid = resource.reset()\n",
                ),
                (
                    "            self._free.append(resource)  # Model: PutIdle.\n",
                    "            pass\n",
                ),
            ),
        ),
    )
}


def plant(mutant: Mutant, scratch: Path) -> Path:
    """Copy src/ into `scratch` with `mutant` applied; return the copy's src directory."""
    target = scratch / f"src-{mutant.name}"
    shutil.copytree(SRC, target, ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
    module = target / "rpool" / mutant.module
    text = module.read_text()
    for old, new in mutant.edits:
        if text.count(old) != 1:
            raise StaleMutantError(
                f"mutant {mutant.name}: {old.strip()!r} occurs {text.count(old)} times "
                f"in src/rpool/{mutant.module}, not once"
            )
        text = text.replace(old, new)
    module.write_text(text)
    return target
