"""Run every planted bug (tests/mutants/catalog.py) against the layers of the verification suite.

Usage (from the repository root):

    python tests/mutants/run.py [MUTANT ...]           # `make mutants`: until each is killed
    python tests/mutants/run.py --table [MUTANT ...]   # `make mutants-table`: every layer

By default each mutant runs through the deterministic layers one at a time,
the one its catalog entry names first (`Mutant.first`, a layer known to kill
it), then the others, fastest first (by the baseline's times), and stops at
its first kill:
that is what CI needs to know, and it is a fraction of the full table's
time. `--table` runs every mutant through every layer, the real-thread one
included, and prints which layers catch which mutants (docs/testing.md).

For each mutant, src/rpool is copied to a temporary directory, the mutant's
edits are applied to the copy (src/ itself is never touched), and each layer
of the suite runs in its own pytest process with the copy first on
PYTHONPATH and the `mutants` Hypothesis profile (derandomized, no shrinking:
the same examples every time, and a kill is reported as soon as it happens).
The unmutated copy runs first through every layer: a layer that fails
without any mutant proves nothing.

Prints, for each mutant, the layer and test that killed it (and with
`--table`, every layer's verdict: "killed" or "survived"). Exits 1 if any
mutant survives every deterministic layer (the real-thread layer is not
relied on: its interleavings are the interpreter's), 2 if the baseline
fails or a mutant's edits no longer apply.

A layer that has not finished after MUTANTS_TIMEOUT seconds (default 240)
is stopped and shown as "timeout": a mutant that livelocks a thread (the
grower that retries its pop, under a scheduler that keeps running the
spinning thread) would otherwise hang the whole run while its history grows
without bound. A timeout is not a kill.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.mutants.catalog import MUTANTS, Mutant  # noqa: E402

LAYERS: dict[str, list[str]] = {
    "stateful": ["tests/test_stateful.py"],
    "scheduled": ["tests/test_parallel.py", "-k", "not threaded"],
    "lock-free": ["tests/test_lockfree.py"],
    "wait-free": ["tests/test_waitfree.py"],
    "interrupts": ["tests/test_interrupts.py", "tests/test_exception_safety.py"],
    "waiting": ["tests/test_waiting_schedules.py"],
    "lifecycle": [
        "tests/test_lifecycle.py",
        "tests/test_lifecycle_interrupts.py",
        "tests/test_lifecycle_parallel.py",
    ],
    "fork-leaks": ["tests/test_fork.py", "tests/test_leaks.py"],
    "threads": ["tests/test_parallel.py", "-k", "threaded"],
}
DETERMINISTIC = (
    "stateful",
    "scheduled",
    "lock-free",
    "wait-free",
    "interrupts",
    "waiting",
    "lifecycle",
    "fork-leaks",
)
TIMEOUT = float(os.environ.get("MUTANTS_TIMEOUT", "240"))


@dataclass(frozen=True)
class Result:
    mutant: str
    layer: str
    status: str  # "killed", "survived", "timeout" or "error"
    detail: str
    seconds: float


def prepare(mutant: Mutant | None, base: Path) -> Path:
    """A copy of src/ with `mutant` applied; raises ValueError if an edit does not apply."""
    target = base / (mutant.name if mutant else "baseline")
    shutil.copytree(ROOT / "src" / "rpool", target / "rpool")
    if mutant is not None:
        path = target / "rpool" / mutant.file
        text = path.read_text()
        for old, new in mutant.edits:
            if text.count(old) != 1:
                raise ValueError(
                    f"mutant {mutant.name}: {old!r} occurs {text.count(old)} times in {mutant.file}"
                )
            text = text.replace(old, new)
        path.write_text(text)
    return target


def environment(copy: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(copy), str(ROOT)])
    env["HYPOTHESIS_PROFILE"] = "mutants"
    return env


def imported_from(copy: Path) -> Path:
    out = subprocess.run(
        [sys.executable, "-c", "import rpool; print(rpool.__file__)"],
        env=environment(copy),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(out.stdout.strip()).resolve()


def run_layer(name: str, layer: str, copy: Path) -> Result:
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-x", "-q", "-rf"]
    command += ["--no-header", *LAYERS[layer]]
    began = time.perf_counter()
    try:
        out = subprocess.run(
            command,
            env=environment(copy),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:  # the child has been killed
        return Result(name, layer, "timeout", f"not done in {TIMEOUT:.0f} s", TIMEOUT)
    seconds = time.perf_counter() - began
    failed = [line for line in out.stdout.splitlines() if line.startswith("FAILED ")]
    if out.returncode == 0:
        return Result(name, layer, "survived", "", seconds)
    if out.returncode == 1 and failed:
        test = failed[0].removeprefix("FAILED ").split(" - ")[0]
        return Result(name, layer, "killed", test, seconds)
    tail = "\n".join((out.stdout + out.stderr).splitlines()[-15:])
    return Result(name, layer, "error", f"pytest exited {out.returncode}:\n{tail}", seconds)


def first_kill(name: str, copy: Path, order: list[str]) -> list[Result]:
    """Run `order`'s layers on `copy` one at a time until one kills the mutant."""
    results = []
    for layer in order:
        results.append(run_layer(name, layer, copy))
        if results[-1].status == "killed":
            break
    return results


def main(argv: list[str]) -> int:
    table = "--table" in argv
    selected = [arg for arg in argv if arg != "--table"]
    unknown = set(selected) - {m.name for m in MUTANTS}
    if unknown:
        print(f"error: no such mutant: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    mutants = [m for m in MUTANTS if not selected or m.name in selected]
    unknown_layers = {m.first for m in mutants} - set(DETERMINISTIC)
    if unknown_layers:
        print(
            f"error: no such deterministic layer: {', '.join(sorted(unknown_layers))}",
            file=sys.stderr,
        )
        return 2
    with tempfile.TemporaryDirectory(prefix="rpool-mutants-") as tmp:
        base = Path(tmp)
        copies: dict[str, Path] = {"baseline": prepare(None, base)}
        try:
            for mutant in mutants:
                copies[mutant.name] = prepare(mutant, base)
        except ValueError as stale:
            print(f"error: {stale}", file=sys.stderr)
            return 2
        for name, copy in copies.items():
            if not imported_from(copy).is_relative_to(copy):
                print(f"error: {name}: rpool is not imported from {copy}", file=sys.stderr)
                return 2
        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            if table:
                jobs = [(name, layer) for name in copies for layer in LAYERS]
                results = list(
                    pool.map(lambda job: run_layer(job[0], job[1], copies[job[0]]), jobs)
                )
            else:
                results = list(
                    pool.map(lambda layer: run_layer("baseline", layer, copies["baseline"]), LAYERS)
                )
                seconds = {r.layer: r.seconds for r in results}
                order = sorted(DETERMINISTIC, key=seconds.__getitem__)
                # Its own first layer first: a mutant that still dies there
                # costs one pytest run instead of every quicker layer before it.
                chains = pool.map(
                    lambda m: first_kill(
                        m.name, copies[m.name], [m.first] + [x for x in order if x != m.first]
                    ),
                    mutants,
                )
                results += [r for chain in chains for r in chain]
        elapsed = time.perf_counter() - began
    by = {(r.mutant, r.layer): r for r in results}

    baseline_bad = [r for r in results if r.mutant == "baseline" and r.status != "survived"]
    for r in baseline_bad:
        print(f"error: the {r.layer} layer fails without any mutant: {r.detail}", file=sys.stderr)
    errors = [r for r in results if r.status == "error" and r.mutant != "baseline"]
    for r in errors:
        print(f"error: {r.mutant} / {r.layer}: {r.detail}", file=sys.stderr)

    width = max(len(m.name) for m in mutants)
    if table:
        print(f"{'mutant':{width}}  " + "  ".join(f"{layer:10}" for layer in LAYERS) + "  breaks")
        for mutant in mutants:
            cells = [by[(mutant.name, layer)].status for layer in LAYERS]
            print(f"{mutant.name:{width}}  " + "  ".join(f"{c:10}" for c in cells), mutant.breaks)
    else:
        print(
            "baseline: " + ", ".join(f"{r.layer} {r.seconds:.0f} s" for r in results[: len(LAYERS)])
        )
        print("layers tried until a kill: the mutant's own first, then " + ", ".join(order))
    survivors = [
        mutant.name
        for mutant in mutants
        if not any(
            by.get((mutant.name, layer)) and by[(mutant.name, layer)].status == "killed"
            for layer in DETERMINISTIC
        )
    ]
    print("\nfirst failing test per kill:")
    for r in results:
        if r.status == "killed":
            print(f"  {r.mutant:{width}}  {r.layer:10}  {r.detail}  ({r.seconds:.1f} s)")
    runs = len(results)
    print(f"\n{len(mutants)} mutants, {runs} pytest runs, {elapsed:.0f} s")
    if baseline_bad or errors:
        return 2
    if survivors:
        print(f"SURVIVED: {', '.join(survivors)}", file=sys.stderr)
        return 1
    print("every mutant was killed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
