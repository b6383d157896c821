"""What the scheduler's seam costs a pool that is not being tested: a timing script.

Usage: python tests/scheduler/seam_cost.py [--rounds N]

The seam is the class attributes `Pool._deque_type` and `Pool._tally_type`,
read only by the constructor. This script builds a second `Pool` class from
the same source with the seam removed (the constructor names `deque` and
`Tally` directly), then times get() + release() round trips on a pool of
each, interleaving the two over many rounds, and prints the median time per
round trip of each and their ratio. A ratio of 1.00 within the rounds'
spread means the seam costs nothing measurable. Figures depend on the
machine; docs/testing.md quotes one run.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import timeit
from pathlib import Path
from typing import Any

import rpool
from rpool import Static


def seamless_pool() -> Any:
    """rpool's Pool, built from its source with the seam replaced by the plain types."""
    source = Path(rpool.__file__).with_name("_pool.py").read_text()
    edits = {
        "tally = self._tally_type\n": "tally = Tally\n",
        "self._orphans: deque[R] = self._deque_type()": "self._orphans: deque[R] = deque()",
        "self._deque_type(Grant(size)": "deque(Grant(size)",
    }
    for old, new in edits.items():
        if source.count(old) != 1:
            raise SystemExit(f"the seam is no longer where this script expects it: {old!r}")
        source = source.replace(old, new)
    spec = importlib.util.spec_from_loader("rpool._pool_seamless", loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "rpool"
    sys.modules[spec.name] = module
    exec(compile(source, "_pool_seamless.py", "exec"), module.__dict__)
    return module.Pool


class Thing:
    @classmethod
    def new(cls, context: None) -> Thing:
        return cls()

    def reset(self) -> bool:
        return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--number", type=int, default=20_000)
    args = parser.parse_args()
    pools = {"with seam (rpool.Pool)": rpool.Pool(Thing, Static(count=4))}
    pools["without seam"] = seamless_pool()(Thing, Static(count=4))
    times: dict[str, list[float]] = {name: [] for name in pools}
    for _ in range(args.rounds):
        for name, pool in pools.items():

            def trip(pool: Any = pool) -> None:
                pool.get().release()

            times[name].append(timeit.timeit(trip, number=args.number) / args.number)
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, median in medians.items():
        spread = statistics.quantiles(times[name], n=4)
        print(
            f"{name:24s} median {median * 1e9:7.1f} ns per get+release "
            f"(quartiles {spread[0] * 1e9:.1f} .. {spread[2] * 1e9:.1f})"
        )
    with_seam, without = medians.values()
    print(f"ratio with/without: {with_seam / without:.3f}")


if __name__ == "__main__":
    main()
