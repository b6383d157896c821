"""The planted bugs: each is a small edit of src/rpool that a careful reviewer could miss.

Each `Mutant` replaces exact snippets of one source file (each must occur
exactly once, so a mutant whose code has changed fails loudly instead of
silently testing nothing) and says which property it breaks.
tests/mutants/run.py applies them to a copy of src/, never to src/ itself.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MUTANTS", "Mutant"]


@dataclass(frozen=True)
class Mutant:
    name: str
    breaks: str
    """The property the bug breaks, as the kill table prints it."""
    file: str
    """Path under src/rpool/."""
    edits: tuple[tuple[str, str], ...]
    """(old, new) pairs; each old text occurs exactly once in the file."""


_TAKE = """\
        try:
            item = free.pop() if free else None
        except IndexError:
            item = None
        if item is None:"""

_RESET = """\
        try:
            valid = resource.reset()  # Model: Reset, a user callback.
"""

MUTANTS = (
    Mutant(
        "look-then-take",
        "capacity bound, no double hand-out (two-step check of spare capacity)",
        "_pool.py",
        (
            (
                _TAKE,
                _TAKE.replace(
                    "item = free.pop() if free else None",
                    "item = free[-1] if free else None  # look...\n"
                    "            if item is not None:\n"
                    "                free.pop()  # ...then take, in a second step",
                ),
            ),
        ),
    ),
    Mutant(
        "counter-capacity-check",
        "capacity bound (grow when the counters say there is room: two steps)",
        "_pool.py",
        (
            (
                "            if self._closed or self._orphans or self._maximum is None:",
                "            if self._closed or self._orphans or self._maximum is None or (\n"
                "                self._capacity() < self._maximum\n"
                "            ):",
            ),
            (
                "            if self._maximum is None:\n                # Unbounded",
                "            if self._maximum is None or (\n"
                "                isinstance(self._mode, AutoScale)\n"
                "                and self._capacity() < self._maximum\n"
                "            ):\n                # Unbounded",
            ),
        ),
    ),
    Mutant(
        "no-grant-after-failed-reset",
        "capacity conservation (a discarded resource's capacity leaks)",
        "_pool.py",
        (
            (
                "            else:\n                self._return_capacity(1)\n",
                "            else:\n                pass\n",
            ),
        ),
    ),
    Mutant(
        "no-grant-after-failed-new",
        "capacity conservation (a failed growth keeps its reservation)",
        "_pool.py",
        (
            (
                "                self._cancel(units - made)\n                raise",
                "                raise",
            ),
            (
                "            self._cancel(1)\n            raise\n        return PoolGuard",
                "            raise\n        return PoolGuard",
            ),
        ),
    ),
    Mutant(
        "idle-before-reset",
        "no hand-out during reset (a released resource is idle before its reset ends)",
        "_pool.py",
        (
            (
                _RESET + "        except BaseException:\n",
                "        self._free.append(resource)  # idle already\n"
                + _RESET
                + "        except BaseException:\n"
                + "            _take_back(self._free, resource)\n",
            ),
            (
                "                self._abandon(resource)\n"
                "            else:\n"
                "                self._free.append(resource)  # Model: PutIdle.\n",
                "                _take_back(self._free, resource)\n"
                "                self._abandon(resource)\n"
                "            else:\n"
                "                pass\n",
            ),
            (
                "        else:\n            self._reject(resource, valid)\n",
                "        else:\n"
                "            _take_back(self._free, resource)\n"
                "            self._reject(resource, valid)\n",
            ),
            (
                "def _raise_all(",
                "def _take_back(free: Any, resource: Any) -> None:\n"
                "    if resource in free:\n"
                "        free.remove(resource)\n\n\n"
                "def _raise_all(",
            ),
        ),
    ),
    Mutant(
        "lock-around-reset",
        "lock-freedom (a release holds a lock while the user's reset runs)",
        "_pool.py",
        (
            (
                "import warnings\n",
                "import threading\nimport warnings\n\n_LOCK = threading.Lock()\n",
            ),
            (
                _RESET,
                "        try:\n            with _LOCK:\n                valid = resource.reset()\n",
            ),
        ),
    ),
    Mutant(
        "no-drain-after-late-release",
        "nothing idle in a closed pool (a release racing close() keeps its resource)",
        "_pool.py",
        (
            (
                "                self._free.append(resource)  # Model: PutIdle.\n"
                "                if self._closed:  # Model: CheckClosed.\n"
                "                    _raise_all(self._drain())\n",
                "                self._free.append(resource)  # Model: PutIdle.\n",
            ),
        ),
    ),
    Mutant(
        "grower-retries",
        "wait-freedom (the crate's grower: push every new resource, then retry the pop)",
        "_pool.py",
        (
            (
                "            self._cancel(1)\n"
                "            raise\n"
                "        return PoolGuard(self, resource)\n",
                "            self._cancel(1)\n"
                "            raise\n"
                "        self._put_idle(resource)\n"
                "        while True:\n"
                "            guard = self.get()\n"
                "            if guard is not None:\n"
                "                return guard\n",
            ),
        ),
    ),
)
