"""`tla_path()`: the pool's TLA+ spec ships with rpool, in one copy.

That TLC accepts the spec, and rejects the planted bug of the example built
on it, is checked by `make models` (MCRPool, MCJobRunner,
MutantJobRunnerAudit, MCWaitingRPool and its mutants); these tests check
that users can find it, and that those checks stay in the models' run.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import re
import sys
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest

import rpool.testing
from rpool.testing import tla_path

ROOT = Path(__file__).resolve().parents[2]

# The steps a user's process takes, named as the pool's methods.
OPERATORS = ("get(c)", "acquire(c)", "wait(c)", "leave(c)", "release(c, r)", "close")


def test_tla_path_is_the_directory_of_the_rpool_module() -> None:
    spec = tla_path() / "RPool.tla"
    text = spec.read_text(encoding="utf-8")
    assert re.match(r"-+ MODULE RPool -+\n", text)
    for operator in OPERATORS:
        assert re.search(rf"^{re.escape(operator)} ==$", text, re.MULTILINE), operator
    for constant in ("Clients", "Resources", "Maximum", "Initial", "ResetFails"):
        assert re.search(rf"^    {constant},? +\\\* ", text, re.MULTILINE), constant


def test_every_file_of_the_spec_directory_is_package_data() -> None:
    # What setuptools puts in the wheel besides modules: pyproject.toml's
    # package-data globs, relative to the package's directory.
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["rpool.testing"]
    package = Path(rpool.testing.__file__).parent
    files = [path for path in tla_path().rglob("*") if path.is_file()]
    assert files
    for path in files:
        relative = path.relative_to(package).as_posix()
        assert any(fnmatch.fnmatch(relative, pattern) for pattern in patterns), relative


def load_check(monkeypatch: pytest.MonkeyPatch) -> Any:
    """models/check.py, the models' runner, as a module."""
    loader = importlib.util.spec_from_file_location("models_check", ROOT / "models" / "check.py")
    assert loader is not None and loader.loader is not None
    check = importlib.util.module_from_spec(loader)
    monkeypatch.setitem(sys.modules, "models_check", check)  # for its dataclasses
    loader.loader.exec_module(check)
    return check


def test_the_repository_models_use_the_shipped_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    # models/check.py puts tla_path() on TLC's library path; a second
    # RPool.tla in models/ would shadow it there.
    assert not (ROOT / "models" / "RPool.tla").exists()
    check = load_check(monkeypatch)
    assert check.LIBRARY.resolve() == tla_path().resolve()


def test_the_example_and_its_planted_bug_are_in_the_default_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    check = load_check(monkeypatch)
    expected = {
        "MCRPool": "pass",
        "MCJobRunner": "pass",
        "MutantJobRunnerAudit": "Invariant NoDeadlock",
        "MCWaitingRPool": "pass",
        "MutantWaitLifoUserView": "Action property UserSteps",
        "MutantWaitLateTakesUserView": "Action property UserSteps",
    }
    for name, expect in expected.items():
        config = check.read_config(ROOT / "models" / f"{name}.cfg")
        assert (config.profile, config.expect) == ("default", expect), name


def test_a_spec_that_is_not_on_disk_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # rpool imported from a zip archive: TLC cannot read the spec there.
    archive = tmp_path / "rpool.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("rpool/testing/tla/RPool.tla", "---- MODULE RPool ----\n====\n")
    monkeypatch.setattr(
        "rpool.testing._tla.resources.files",
        lambda package: zipfile.Path(archive, "rpool/testing/"),
    )
    with pytest.raises(FileNotFoundError, match="zip archive"):
        tla_path()


QUOTED = re.compile(r"^<!-- quoted from (?P<path>\S+) -->\n```tla\n(?P<code>.*?)^```$", re.M | re.S)


def test_the_docs_quote_the_example_word_for_word() -> None:
    # docs/testing-your-code.md shows the example spec in pieces; each must
    # still be in the file it names, or the page teaches a spec TLC never saw.
    page = (ROOT / "docs" / "testing-your-code.md").read_text(encoding="utf-8")
    quotes = list(QUOTED.finditer(page))
    assert len(quotes) == page.count("```tla")
    assert quotes
    for quote in quotes:
        source = (ROOT / quote.group("path")).read_text(encoding="utf-8")
        assert quote.group("code") in source, quote.group("code")
