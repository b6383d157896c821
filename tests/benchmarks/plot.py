"""The plot of the threads scenario: throughput against the number of threads."""

from __future__ import annotations

from pathlib import Path

# matplotlib ships its own types, but only `make bench`'s environment installs
# it: where mypy runs without it, the import is untyped (hence the ignore).
import matplotlib  # type: ignore[import-not-found, unused-ignore]

from .scenarios import Results
from .summary import summarize

__all__ = ["plot_threads"]


def plot_threads(results: Results, title: str, path: Path) -> None:
    """Save a PNG of each subject's round trips per second at 1, 2, 4, ... threads.

    Lines join the medians; the bars span each figure's min – max. Both axes
    are logarithmic: the subjects differ by orders of magnitude.
    """
    matplotlib.use("Agg")  # files only: no display needed
    from matplotlib import pyplot  # type: ignore[import-not-found, unused-ignore]

    keys = [k for k in results if k.startswith("threads=")]
    counts = [int(k.removeprefix("threads=")) for k in keys]
    figure, axes = pyplot.subplots(figsize=(8, 5), dpi=120)
    for name in results[keys[0]]:
        cells = [summarize(results[k][name]) for k in keys]
        medians = [c.median for c in cells]
        spans = [[c.median - c.low for c in cells], [c.high - c.median for c in cells]]
        axes.errorbar(counts, medians, yerr=spans, marker="o", capsize=3, label=name)
    axes.set_xscale("log", base=2)
    axes.set_xticks(counts, [str(c) for c in counts])
    axes.set_yscale("log")
    axes.set_xlabel("threads sharing the pool")
    axes.set_ylabel("round trips per second, all threads (log)")
    axes.set_title(title, fontsize=10)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    pyplot.close(figure)
