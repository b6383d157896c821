"""Planted bugs: copies of the code with one deliberate error, which a checker must catch.

A mutant is a list of exact text replacements in one file of the
repository. Each `old` text must occur exactly once, so a mutant that no
longer fits the code fails loudly instead of silently testing the unchanged
code. `plant_source` copies all of src/ with an implementation mutant
applied (for traces TLC must reject); `plant_file` writes the mutated copy
of one file (for contracts CrossHair must refute).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CONTRACT_BUGS", "MUTANTS", "Mutant", "StaleMutantError", "plant_file", "plant_source"]

REPO = Path(__file__).resolve().parents[2]


class StaleMutantError(Exception):
    """A mutant's text to replace is not in the code exactly once."""


@dataclass(frozen=True, slots=True)
class Mutant:
    """`edits` (old, new) applied to `path` (relative to the repository)."""

    name: str
    why: str
    path: str
    edits: tuple[tuple[str, str], ...]
    function: str = ""
    """The function the bug is in (for a contract bug: what CrossHair checks)."""

    def apply(self, text: str) -> str:
        for old, new in self.edits:
            if text.count(old) != 1:
                raise StaleMutantError(
                    f"mutant {self.name}: {old.strip()!r} occurs {text.count(old)} times "
                    f"in {self.path}, not once"
                )
            text = text.replace(old, new)
        return text


MUTANTS = {
    mutant.name: mutant
    for mutant in (
        Mutant(
            "PutBeforeReset",
            "a released resource becomes idle before its reset() runs, so another "
            "get() can take it mid-reset (the model's Mutant of that name)",
            "src/rpool/_guard.py",
            (
                (
                    "                valid = held[0].reset()  # Model: Reset, a user callback.\n",
                    "                pool._free.append(held[0])\n"
                    "                valid = held[0].reset()\n",
                ),
                (
                    "                if pool._closed:  # Model: CheckClosed.\n"
                    "                    run(pool._abandon(held))\n"
                    "                else:\n",
                    "                if pool._closed:  # Model: CheckClosed.\n"
                    "                    run(pool._abandon(held))\n"
                    "                elif held.pop() or True:  # idle already: no PutIdle\n"
                    "                    pass\n"
                    "                else:\n",
                ),
            ),
        ),
        Mutant(
            "AsyncPutBeforeReset",
            "AsyncPool's inlined release makes the resource idle before it awaits "
            "reset(), so another task's get() can take it mid-reset (PutBeforeReset, in "
            "the async shell)",
            "src/rpool/_async_guard.py",
            (
                (
                    "                valid = await held[0].reset()"
                    "  # Model: Reset, a user callback.\n",
                    "                pool._free.append(held[0])\n"
                    "                valid = await held[0].reset()\n",
                ),
                (
                    "                if pool._closed:  # Model: CheckClosed.\n"
                    "                    await run_async(pool._abandon(held))\n"
                    "                else:\n",
                    "                if pool._closed:  # Model: CheckClosed.\n"
                    "                    await run_async(pool._abandon(held))\n"
                    "                elif held.pop() or True:  # idle already: no PutIdle\n"
                    "                    pass\n"
                    "                else:\n",
                ),
            ),
        ),
        Mutant(
            "LifoWaiters",
            "a waiter enqueues at the front of the queue, so the newest is the head "
            "(models/MutantWaitLifo.cfg is the model's)",
            "src/rpool/_waiters.py",
            (
                (
                    "    waiters.append(waiter)  # Model: Enqueue.\n",
                    "    waiters.appendleft(waiter)\n",
                ),
            ),
        ),
        Mutant(
            "EvictKeepsUnit",
            "an idle eviction discards the resource but does not give its unit back "
            "as spare capacity, so the pool shrinks for good (the model's ShrinkNoReturn)",
            "src/rpool/_lifecycle.py",
            (
                (
                    "            pool._return_capacity(held)  # Model: ReturnGrant.\n",
                    "            held.clear()\n",
                ),
            ),
        ),
        Mutant(
            "ResizeOvershoot",
            "a raise adds its units as spare capacity without first cancelling the debt "
            "of an earlier lowering, so the bound in force overshoots (the model's "
            "ResizeOvershoot)",
            "src/rpool/_resize.py",
            (
                (
                    "            while pool._maximum < bound and debt:\n",
                    "            while False:\n",
                ),
            ),
        ),
    )
}
"""Implementation mutants, whose traces TLC must reject."""

CONTRACT_BUGS = (
    Mutant(
        "GrowthOffByOne",
        "growth() clamps to one more than the maximum allows",
        "src/rpool/_scale.py",
        (
            (
                "            step = min(step, self.maximum - capacity)\n",
                "            step = min(step, self.maximum - capacity + 1)\n",
            ),
        ),
        "growth",
    ),
    Mutant(
        "InUseOffByOne",
        "derive() counts one resource fewer in use",
        "src/rpool/_stats.py",
        (
            (
                "    in_use = created - discarded_early - idle\n",
                "    in_use = created - discarded_early - idle - 1\n",
            ),
        ),
        "derive",
    ),
    Mutant(
        "TakeFreeFromLeft",
        "the spec's TakeFree pops the left end of the free list",
        "tests/conformance/spec_contracts.py",
        (
            (
                "    return model.take_free(state)\n",
                "    if not state.free:\n"
                "        return state, None\n"
                "    return State(state.free[1:], state.orphans, state.closed), state.free[0]\n",
            ),
        ),
        "take_free",
    ),
)
"""Contract bugs, which CrossHair must refute."""


def plant_source(mutant: Mutant, scratch: Path) -> Path:
    """Copy src/ into `scratch` with `mutant` applied; return the copy's src directory."""
    target = scratch / f"src-{mutant.name}"
    shutil.copytree(
        REPO / "src", target, ignore=shutil.ignore_patterns("*.egg-info", "__pycache__")
    )
    module = target / Path(mutant.path).relative_to("src")
    module.write_text(mutant.apply(module.read_text()))
    return target


def plant_file(mutant: Mutant, scratch: Path) -> Path:
    """Write the file `mutant` changes, mutated, into its own directory under `scratch`."""
    target = scratch / f"file-{mutant.name}" / Path(mutant.path).name
    target.parent.mkdir(parents=True)
    target.write_text(mutant.apply((REPO / mutant.path).read_text()))
    return target
