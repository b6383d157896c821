"""Running TLC: the model translated in a scratch directory, trace validation, state dumps.

The jar is taken from TLA2TOOLS_JAR (the Makefile sets it); CommunityModules.jar
(Json, IOUtils), if it lies next to it, is put on the class path too.
models/ is copied to a scratch directory and the PlusCal of FreeList.tla,
Waiting.tla and Lifecycle.tla translated there, so the checked-in models are
never rewritten. One runner serves the three trace specs (TraceFreeList,
TraceWaiting, TraceLifecycle): they share the log reading and the verdict
(models/TraceRuns.tla).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "Rejection",
    "TLCError",
    "Validation",
    "classpath",
    "prepare_models",
    "run_tlc",
    "traced_actions",
    "validate",
]

REPO = Path(__file__).resolve().parents[2]
MODELS = REPO / "models"


class TLCError(Exception):
    """TLC could not be run, or ended in a way that is neither acceptance nor rejection."""


def classpath() -> str:
    """The class path for TLC: tla2tools.jar, plus CommunityModules.jar beside it."""
    jar = os.environ.get("TLA2TOOLS_JAR")
    if not jar or not Path(jar).is_file():
        raise TLCError("TLA2TOOLS_JAR must name tla2tools.jar (make sets it from ../shared/tla)")
    community = Path(jar).with_name("CommunityModules.jar")
    return os.pathsep.join([jar, str(community)] if community.is_file() else [jar])


TRANSLATED = ("FreeList.tla", "Waiting.tla", "Lifecycle.tla")
"""The models written in PlusCal, which the trace specs extend."""


def prepare_models(scratch: Path) -> Path:
    """Copy models/ into `scratch`/models and translate the PlusCal models there."""
    target = scratch / "models"
    shutil.copytree(MODELS, target, ignore=shutil.ignore_patterns("states", "*.old"))
    for model in TRANSLATED:
        done = subprocess.run(
            ["java", "-cp", classpath(), "pcal.trans", "-nocfg", model],
            cwd=target,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise TLCError(f"PlusCal translation of {model} failed:\n{done.stdout}{done.stderr}")
    return target


@dataclass(frozen=True, slots=True)
class TLCRun:
    """How one TLC run ended."""

    code: int
    output: str
    seconds: float


def run_tlc(
    models: Path, spec: str, config: str, *options: str, env: dict[str, str] | None = None
) -> TLCRun:
    """Run TLC on `spec` with `config` in the prepared `models` directory (one worker)."""
    command = [
        "java",
        "-XX:+UseParallelGC",
        "-cp",
        classpath(),
        "tlc2.TLC",
        "-workers",
        "1",
        "-noGenerateSpecTE",
        "-nowarning",
        "-metadir",
        str(models / "states" / config),
        "-config",
        config,
        *options,
        spec,
    ]
    start = time.monotonic()
    done = subprocess.run(
        command, cwd=models, capture_output=True, text=True, env={**os.environ, **(env or {})}
    )
    return TLCRun(done.returncode, done.stdout + done.stderr, time.monotonic() - start)


@dataclass(frozen=True, slots=True)
class Rejection:
    """Run `run` of a trace file: line `line` is the first no model action explains."""

    run: int
    line: int
    text: str
    """The line as TLC printed it."""


@dataclass(frozen=True, slots=True)
class Validation:
    """TLC's verdict on a trace file: accepted, or the first bad line of each bad run."""

    rejections: tuple[Rejection, ...]
    seconds: float
    states: int

    @property
    def accepted(self) -> bool:
        return not self.rejections


_FAILED = re.compile(
    r'<<\s*"Failed to match trace",\s*(\d+),\s*"line",\s*(\d+),\s*(\[.*?\])\s*>>', re.S
)
_STATES = re.compile(r"(\d[\d,]*) distinct states found")


def validate(models: Path, config: str, trace: Path, spec: str = "TraceFreeList") -> Validation:
    """Check with TLC that every run in the ndjson file `trace` is a behaviour of the model.

    `spec` is the trace spec (TraceFreeList, TraceWaiting, TraceLifecycle), `config` a
    models/Trace*.cfg of it whose constants match the traced pools. Exit 0
    is acceptance, exit 10 (the postcondition TraceAccepted false)
    rejection; anything else is an error of the spec or the tools.
    """
    done = run_tlc(models, spec, config, env={"TRACE": str(trace.resolve())})
    rejections = tuple(
        Rejection(int(run), int(line), " ".join(text.split()))
        for run, line, text in _FAILED.findall(done.output)
    )
    if (done.code, bool(rejections)) not in ((0, False), (10, True)):
        raise TLCError(f"TLC exited with {done.code} on {trace}:\n{done.output[-3000:]}")
    # The last count is the final one: TLC prints progress lines (the
    # first after about 3 s) with the count so far.
    found = _STATES.findall(done.output)
    states = int(found[-1].replace(",", "")) if found else 0
    return Validation(rejections, done.seconds, states)


def traced_actions(models: Path) -> set[str]:
    """The names models/TraceFreeList.tla uses to match log lines (from `Does` to `TraceInit`).

    Every model action must be among them; other names (constants,
    keywords) do no harm.
    """
    text = (models / "TraceFreeList.tla").read_text()
    table = text[text.index("Does(p, a) ==") : text.index("TraceInit ==")]
    return set(re.findall(r"\b[A-Z]\w*\b", table))
