"""Every Python example in README.md and docs/ runs.

Each page's ```python blocks run in order as one program, in one namespace, in
a temporary directory (tests/docs_examples.py puts them together; `make
typecheck` checks the same programs with mypy --strict). A block marked
`<!-- not-run: reason -->` must still parse and give its reason, and if the
reason is "quoted from PATH", be in that file word for word; each is reported
as skipped, with the reason, so the count of examples not run shows in every
test run. A page whose blocks say `<!-- needs: postgres -->` runs with
DATABASE_URL set to a throw-away server's (tests/postgres.py). How the docs are
built and checked: docs/site.md.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

from tests.docs_examples import ROOT, SCRIPTS, Block, blocks, name, needs, pages, program
from tests.postgres import postgres_dsn

__all__ = ["postgres_dsn"]  # the fixture, asked for by name below

# A not-run block whose reason starts "quoted from PATH" must be in that file,
# verbatim at some indentation: the quote cannot drift from the tested code.
QUOTED = re.compile(r"^quoted from (?P<path>[^\s,;]+)")
RUNNABLE = [page for page in pages() if program(page) is not None]
NOT_RUN = [block for page in pages() for block in blocks(page) if block.not_run is not None]


def test_the_readme_and_the_tutorial_have_examples_to_run() -> None:
    # The collector must keep finding them: a parser that found nothing
    # would make every test below pass vacuously.
    found = {name(page) for page in RUNNABLE}
    assert {
        "README.md",
        "docs/getting-started.md",
        "docs/how-to/sqlite3.md",
        "docs/how-to/postgresql.md",
    } <= found


@pytest.mark.parametrize("page", RUNNABLE, ids=name)
def test_examples_run(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    source = program(page)
    assert source is not None
    for service in needs(page):
        assert service == "postgres", f"{name(page)}: no test provides '{service}'"
        monkeypatch.setenv("DATABASE_URL", request.getfixturevalue("postgres_dsn"))
    monkeypatch.chdir(tmp_path)
    # A real module, so that what the examples define (dataclasses, classes
    # pickled or inspected by name) finds its module in sys.modules.
    module = types.ModuleType("docs_example")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    exec(compile(source, name(page), "exec"), module.__dict__)


@pytest.mark.parametrize(
    "block", NOT_RUN, ids=[f"{name(block.page)}:{block.line}" for block in NOT_RUN]
)
def test_examples_not_run_parse_and_say_why(block: Block) -> None:
    where = f"{name(block.page)}:{block.line}"
    assert block.not_run, f"{where}: a not-run marker must give its reason"
    try:
        ast.parse(block.code, filename=name(block.page))
    except SyntaxError as error:
        pytest.fail(f"{where}: the block does not parse: {error}")
    quoted = QUOTED.match(block.not_run)
    if quoted:
        source = (ROOT / quoted.group("path")).read_text(encoding="utf-8")
        indented = (textwrap.indent(block.code, " " * width) for width in range(0, 17, 4))
        assert any(text in source for text in indented), (
            f"{where}: the block is no longer in {quoted.group('path')}, which it quotes"
        )
    # Justified: the block parsed (and a quote matched its source) above; the
    # skip is how the run lists each block it did not execute, with the reason.
    pytest.skip(f"{where}: example not run: {block.not_run}")


@pytest.mark.parametrize("script", SCRIPTS, ids=name)
def test_scripts_run(script: Path, tmp_path: Path) -> None:
    # In a child process, as `make demo` runs it; it checks its own figures.
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
