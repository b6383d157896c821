"""The Python examples of README.md and docs/: found, and checked with mypy.

A page's examples are its ```python blocks; in order, they are one program,
which tests/test_docs_examples.py runs and `main()` below type-checks. The
program keeps each line of code at its line number in the page (the lines
between blocks are blank), so a traceback or a mypy error names the page's
own line. A block that cannot run on its own carries a marker, with the reason,
on the line before its fence:

    <!-- not-run: a fragment of the pool's own handlers -->

It is parsed (tests/test_docs_examples.py) but neither run nor type-checked.
A block that needs a service says which, the same way; the test provides it:

    <!-- needs: postgres -->

(`postgres`: a throw-away server, tests/postgres.py, its connection string
in the environment variable DATABASE_URL.)

Usage: python tests/docs_examples.py --mypy   (`make typecheck`; mypy must be importable)
"""

from __future__ import annotations

import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
MARKER = re.compile(r"^\s*<!--\s*(?P<kind>not-run|needs):(?P<text>.*?)-->\s*$")
PYTHON = {"python", "py", "python3"}
# mypy's cache for these programs: apart from the project's (another configuration).
CACHE = ROOT / ".venv" / "cache" / "mypy-docs"
# The docs' Python scripts, type-checked with the pages' programs (mypy.ini's
# files are src and tests only).
SCRIPTS = [ROOT / "docs" / "demo.py"]


@dataclass(frozen=True, slots=True)
class Block:
    """One fenced Python block of a page."""

    page: Path
    line: int
    """The line number, in the page, of the block's first line of code."""
    code: str
    not_run: str | None
    """The marker's reason (possibly empty) if the block is marked not-run, else None."""
    needs: str | None
    """The service a `needs:` marker names, else None."""


def pages() -> list[Path]:
    """README.md and every Markdown page under docs/, in a stable order."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def name(page: Path) -> str:
    """The page's path from the repository root, as the tests and errors show it."""
    return page.relative_to(ROOT).as_posix()


def blocks(page: Path) -> list[Block]:
    """The page's Python blocks, in order; fences inside other fences are not blocks."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        fence, indent = opening.group("fence"), len(opening.group("indent"))
        language = (opening.group("info").split() or [""])[0].lower()
        end = index + 1
        while end < len(lines) and not _closes(lines[end], fence):
            end += 1
        if language in PYTHON:
            margin = " " * indent  # a fence indented in a list item: its code is too
            body = [text.removeprefix(margin) for text in lines[index + 1 : end]]
            kind, text = _marker(lines, index)
            found.append(
                Block(
                    page,
                    index + 2,
                    "\n".join(body),
                    not_run=text if kind == "not-run" else None,
                    needs=text if kind == "needs" else None,
                )
            )
        index = end + 1
    return found


def _closes(text: str, fence: str) -> bool:
    """Whether `text` closes a block opened by `fence` (same character, at least as long)."""
    stripped = text.strip()
    return stripped.startswith(fence) and set(stripped) == {fence[0]}


def _marker(lines: list[str], fence_index: int) -> tuple[str | None, str]:
    """The kind and text of a marker on the nearest non-blank line above the fence."""
    above = fence_index - 1
    while above >= 0 and not lines[above].strip():
        above -= 1
    marker = MARKER.match(lines[above]) if above >= 0 else None
    return (marker.group("kind"), marker.group("text").strip()) if marker else (None, "")


def needs(page: Path) -> set[str]:
    """The services the page's runnable blocks need."""
    return {block.needs for block in blocks(page) if block.needs and block.not_run is None}


def program(page: Path) -> str | None:
    """The page's runnable blocks as one program, each line at its page line; None if none."""
    runnable = [block for block in blocks(page) if block.not_run is None]
    if not runnable:
        return None
    lines: list[str] = []
    for block in runnable:
        lines.extend([""] * (block.line - 1 - len(lines)))
        lines.extend(block.code.splitlines())
    return "\n".join(lines) + "\n"


def main() -> int:
    """Type-check every page's program and SCRIPTS with mypy --strict; errors name page lines."""
    from mypy import api

    with tempfile.TemporaryDirectory() as scratch:
        files: dict[str, str] = {}
        for page in pages():
            source = program(page)
            if source is None:
                continue
            module = "docs_example_" + re.sub(r"\W", "_", name(page).removesuffix(".md"))
            path = Path(scratch) / f"{module}.py"
            path.write_text(source, encoding="utf-8")
            files[str(path)] = name(page)
        files.update({str(script): name(script) for script in SCRIPTS})
        stdout, stderr, status = api.run(
            ["--strict", "--warn-unreachable", "--config-file=", f"--cache-dir={CACHE}", *files]
        )
    for text in (stdout + stderr).splitlines():
        for written, shown in files.items():
            text = text.replace(written, shown)
        print(text)
    print(f"docs examples: mypy --strict on {', '.join(files.values())}")
    return status


if __name__ == "__main__":
    if sys.argv[1:] != ["--mypy"]:
        sys.exit(f"usage: {sys.argv[0]} --mypy")
    sys.exit(main())
