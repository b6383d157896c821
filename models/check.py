#!/usr/bin/env python3
"""Check rpool's TLA+ models with TLC; exit non-zero on any surprise.

    python models/check.py            # the default profile (CI, `make models`)
    python models/check.py --deep     # the deep profile (more clients, bigger pools)
    python models/check.py MCStatic   # only the configurations named
    python models/check.py --workers 1 MCStatic   # TLC on one core (a shared machine)

Steps, in order:

1. Find the TLA+ tools: the jar named by the environment variable
   TLA2TOOLS_JAR (a CommunityModules.jar beside it is put on the class path),
   or else the pinned official build, downloaded once into
   $XDG_CACHE_HOME/rpool (default ~/.cache/rpool) and refused unless its
   SHA-256 is PINNED_SHA256.
2. Translate every PlusCal module (pcal.trans) in a scratch copy and fail if
   the committed translation differs: the TLA+ that TLC checks must be the
   translation of the PlusCal that people read.
3. Run TLC on every configuration of the profile. Each MC*.cfg or Mutant*.cfg
   says in its header what it checks and what must happen:

       \\* Module: MCFreeList
       \\* Profile: default
       \\* Expect: pass                      (TLC exit code 0)
       \\* Expect: Invariant Accounting       (exit code 12, property named)
       \\* Expect: Action property GetAfterCloseRaises   (exit code 13)
       \\* Expect: Temporal properties OthersFinish   (exit code 13)

   A mutant passes the check only if TLC fails with the expected exit code
   AND names the expected property; failing for another reason is a surprise.
   TLC does not name a violated temporal property, so a configuration that
   expects one must check exactly that one (its PROPERTY list is read).
4. Print a table: configuration, states generated/distinct, depth, seconds,
   verdict.

TLC runs in a scratch directory (its states/ go under -metadir there), so the
repository is never written to. The spec rpool ships for users, RPool.tla, is
not copied there: TLC finds it in src/rpool/testing/tla/ on its library path
(-DTLA-Library), as a user's TLC does. Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

MODELS = Path(__file__).resolve().parent

# The spec users INSTANCE (RPool.tla), shipped in the wheel: TLC finds it on its
# library path, as a user's TLC does (rpool.testing.tla_path()), so the
# repository keeps one copy.
LIBRARY = MODELS.parent / "src" / "rpool" / "testing" / "tla"

# The official nightly that tlaplus/vscode-tlaplus ships, at the commit named in
# the toolchain notes (TLC 2.20, rev 97e7dc3, pcal.trans 1.12).
PINNED_URL = (
    "https://raw.githubusercontent.com/tlaplus/vscode-tlaplus/"
    "0145ead50d90add24c3205f91c0ca9f6c14fe2f2/tools/tla2tools.jar"
)
PINNED_SHA256 = "cd5c10f82e8478c1b1c280ec0e99fb8d1f80604d3edf0ece6aeceb049fbf94a2"

# Modules written in PlusCal: their translation is committed and must be current.
PLUSCAL_MODULES = ("FreeList.tla", "TreiberFreeList.tla", "Waiting.tla", "Lifecycle.tla")

# TLC's exit codes (tlc2.output.EC.ExitStatus) for the outcomes we expect.
EXIT_OK = 0
EXIT_INVARIANT = 12
EXIT_PROPERTY = 13
EXPECTED_EXIT = {
    "Invariant": EXIT_INVARIANT,
    "Action property": EXIT_PROPERTY,
    "Temporal properties": EXIT_PROPERTY,
}

PROPERTY_SECTION = re.compile(r"^(PROPERTY|PROPERTIES)\b(.*)$")
SECTION = re.compile(r"^[A-Z_]+\b")
HEADER = re.compile(r"^\\\*\s*(Module|Profile|Expect):\s*(.+?)\s*$")
GENERATED = re.compile(r"^([\d,]+) states generated, ([\d,]+) distinct states found")
DEPTH = re.compile(r"^The depth of the complete state graph search is (\d+)\.")
VIOLATION = re.compile(
    r"^Error: (?:(Invariant|Action property) (\S+) is violated|(Temporal properties) were violated)"
)


class CheckError(Exception):
    """The models cannot be checked (no Java, a bad jar, a bad configuration)."""


@dataclass(frozen=True, slots=True)
class Config:
    """One TLC run: a .cfg file, the module it checks, what must happen."""

    path: Path
    module: str
    profile: str
    expect: str  # "pass", or the violation TLC must report, e.g. "Invariant Accounting"

    @property
    def name(self) -> str:
        return self.path.stem


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one TLC run did."""

    exit_code: int
    generated: int | None
    distinct: int | None
    depth: int | None
    seconds: float
    violation: str | None  # e.g. "Invariant Accounting", "Temporal properties"
    output: str


def read_config(path: Path) -> Config:
    """Parse the `\\* Module:`, `\\* Profile:` and `\\* Expect:` header of a .cfg."""
    fields: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = HEADER.match(line)
        if match:
            fields[match.group(1)] = match.group(2)
    missing = {"Module", "Profile", "Expect"} - fields.keys()
    if missing:
        raise CheckError(f"{path.name}: header lacks {', '.join(sorted(missing))}")
    expect = fields["Expect"]
    if expect != "pass" and not any(expect.startswith(kind) for kind in EXPECTED_EXIT):
        raise CheckError(f"{path.name}: cannot read 'Expect: {expect}'")
    if expect.startswith("Temporal properties"):
        named = expect.removeprefix("Temporal properties").strip()
        checked = properties(path)
        if checked != [named]:
            raise CheckError(
                f"{path.name}: expects temporal property {named!r} to fail, so it must check "
                f"exactly that property, not {checked}"
            )
    return Config(path, fields["Module"], fields["Profile"], expect)


def properties(path: Path) -> list[str]:
    """The names listed under PROPERTY/PROPERTIES in a .cfg (comments skipped)."""
    names: list[str] = []
    inside = False
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("\\*", 1)[0].rstrip()
        if match := PROPERTY_SECTION.match(line):
            inside = True
            names.extend(match.group(2).split())
        elif SECTION.match(line) and not line.startswith((" ", "\t")):
            inside = False
        elif inside:
            names.extend(line.split())
    return names


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rpool"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_pinned(cache: Path) -> Path:
    """The pinned tla2tools.jar in `cache`, downloaded and verified if absent.

    Raises:
        CheckError: the download failed, or its SHA-256 is not PINNED_SHA256
            (the file is then deleted, never used).
    """
    jar = cache / "tla2tools.jar"
    if jar.exists():
        if sha256(jar) == PINNED_SHA256:
            return jar
        jar.unlink()
    cache.mkdir(parents=True, exist_ok=True)
    print(f"models: downloading {PINNED_URL}", file=sys.stderr)
    partial = cache / "tla2tools.jar.part"
    try:
        with urllib.request.urlopen(PINNED_URL, timeout=120) as response, partial.open("wb") as out:
            shutil.copyfileobj(response, out)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise CheckError(f"cannot download the TLA+ tools: {error}") from error
    actual = sha256(partial)
    if actual != PINNED_SHA256:
        partial.unlink()
        raise CheckError(
            f"refusing the downloaded tla2tools.jar: sha256 {actual}, expected {PINNED_SHA256}"
        )
    partial.replace(jar)
    return jar


def find_jar() -> Path:
    """TLA2TOOLS_JAR if set, else the pinned build from the cache."""
    named = os.environ.get("TLA2TOOLS_JAR")
    if named:
        jar = Path(named).expanduser().resolve()
        if not jar.is_file():
            raise CheckError(f"TLA2TOOLS_JAR={named} is not a file")
        return jar
    return download_pinned(cache_dir())


def java_command(jar: Path) -> list[str]:
    java = shutil.which("java")
    if java is None:
        raise CheckError("no java on PATH: TLC needs a Java 11+ runtime")
    classpath = [str(jar)]
    community = jar.with_name("CommunityModules.jar")
    if community.is_file():
        classpath.append(str(community))
    return [
        java,
        "-XX:+UseParallelGC",
        f"-DTLA-Library={LIBRARY}",
        "-cp",
        os.pathsep.join(classpath),
    ]


def check_translations(java: list[str], scratch: Path) -> list[str]:
    """Re-translate each PlusCal module in `scratch`; name those out of date."""
    stale = []
    for module in PLUSCAL_MODULES:
        committed = MODELS / module
        if not committed.exists():
            continue
        work = scratch / "pcal"
        work.mkdir(exist_ok=True)
        copy = work / module
        shutil.copyfile(committed, copy)
        run = subprocess.run(
            [*java, "pcal.trans", "-nocfg", module],
            cwd=work,
            capture_output=True,
            text=True,
            check=False,
        )
        if run.returncode != 0:
            stale.append(f"{module}: pcal.trans failed:\n{run.stdout}{run.stderr}")
        elif copy.read_text(encoding="utf-8") != committed.read_text(encoding="utf-8"):
            stale.append(
                f"{module}: the committed translation is out of date; run "
                f"`java -cp $TLA2TOOLS_JAR pcal.trans -nocfg {module}` in models/ "
                f"(then delete the backup it writes, {Path(module).stem}.old)"
            )
    return stale


def parse_count(text: str) -> int:
    return int(text.replace(",", ""))


def run_tlc(java: list[str], scratch: Path, config: Config, workers: str = "auto") -> Outcome:
    """Run TLC on one configuration in `scratch` (a copy of models/) with `workers` threads."""
    meta = scratch / "meta" / config.name
    command = [
        *java,
        "tlc2.TLC",
        "-workers",
        workers,
        "-deadlock",  # the clients loop forever; no state is a deadlock
        "-noGenerateSpecTE",
        "-metadir",
        str(meta),
        "-config",
        config.path.name,
        config.module,
    ]
    start = time.monotonic()
    run = subprocess.run(command, cwd=scratch, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - start
    generated = distinct = depth = None
    violation = None
    for line in run.stdout.splitlines():
        if match := GENERATED.match(line):
            generated, distinct = parse_count(match.group(1)), parse_count(match.group(2))
        elif match := DEPTH.match(line):
            depth = int(match.group(1))
        elif (match := VIOLATION.match(line)) and violation is None:
            violation = match.group(3) or f"{match.group(1)} {match.group(2)}"
    if violation == "Temporal properties":
        # TLC does not say which; read_config made sure only one is checked.
        violation = " ".join(["Temporal properties", *properties(config.path)])
    return Outcome(
        run.returncode, generated, distinct, depth, seconds, violation, run.stdout + run.stderr
    )


def judge(config: Config, outcome: Outcome) -> tuple[bool, str]:
    """Whether `outcome` is what `config` expects, and the verdict to print."""
    if config.expect == "pass":
        if outcome.exit_code == EXIT_OK:
            return True, "pass"
        return False, f"FAILED: {outcome.violation or f'exit code {outcome.exit_code}'}"
    kind = next(kind for kind in EXPECTED_EXIT if config.expect.startswith(kind))
    if outcome.exit_code == EXPECTED_EXIT[kind] and outcome.violation == config.expect:
        return True, f"rejected: {outcome.violation}"
    if outcome.exit_code == EXIT_OK:
        return False, f"NOT REJECTED (expected {config.expect})"
    found = outcome.violation or f"exit code {outcome.exit_code}"
    return False, f"WRONG FAILURE: {found} (expected {config.expect})"


def show(count: int | None) -> str:
    return "-" if count is None else f"{count:,}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deep", action="store_true", help="run the deep profile instead")
    parser.add_argument("names", nargs="*", help="only these configurations (file stems)")
    parser.add_argument("--verbose", action="store_true", help="print TLC's output of surprises")
    parser.add_argument(
        "--workers", default="auto", help="TLC worker threads (default: auto, one per core)"
    )
    args = parser.parse_args(argv)
    # On SIGTERM, unwind like Ctrl-C: subprocess.run then kills TLC and the
    # scratch directory is removed.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    profile = "deep" if args.deep else "default"
    try:
        paths = sorted([*MODELS.glob("MC*.cfg"), *MODELS.glob("Mutant*.cfg")])
        configs = [read_config(path) for path in paths]
        selected = [
            config
            for config in configs
            if (config.name in args.names if args.names else config.profile == profile)
        ]
        unknown = set(args.names) - {config.name for config in configs}
        if unknown:
            raise CheckError(f"no such configuration: {', '.join(sorted(unknown))}")
        java = java_command(find_jar())
    except CheckError as error:
        print(f"models: {error}", file=sys.stderr)
        return 2

    surprises = 0
    with tempfile.TemporaryDirectory(prefix="rpool-models-") as temp:
        scratch = Path(temp)
        for path in MODELS.iterdir():
            if path.suffix in {".tla", ".cfg"}:
                shutil.copyfile(path, scratch / path.name)
        for problem in check_translations(java, scratch):
            print(f"models: {problem}", file=sys.stderr)
            surprises += 1
        rows = [("configuration", "generated", "distinct", "depth", "seconds", "verdict")]
        print("  ".join(rows[0]), flush=True)
        for config in selected:
            outcome = run_tlc(java, scratch, config, args.workers)
            ok, verdict = judge(config, outcome)
            row = (
                config.name,
                show(outcome.generated),
                show(outcome.distinct),
                show(outcome.depth),
                f"{outcome.seconds:.1f}",
                verdict,
            )
            rows.append(row)
            print("  ".join(row), flush=True)
            if not ok:
                surprises += 1
                if args.verbose:
                    print(outcome.output, file=sys.stderr)
                else:
                    print("\n".join(outcome.output.splitlines()[-40:]), file=sys.stderr)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    print()
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip())
    print(f"\nmodels: {len(rows) - 1} configurations, {surprises} surprise(s)")
    return 1 if surprises else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
