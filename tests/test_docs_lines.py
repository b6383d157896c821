"""docs/models.md's line references name the code they quote.

The label-to-code tables cite code as ``l.N `fragment` `` after naming a file
(``_core.py``) or a function (``Pool.get``, ``_get_slow``).  A reference is
checked when its file is unambiguous: the nearest file name or function name
before it in the same table row, a function resolving to the one module of
src/rpool that defines it (``Class.method`` by its class; a bare name that
several modules define is ``Core``'s, as the docs say, if ``_core.py`` is one).  The fragment must
appear, stripped, on line N (or on one of lines N-M, or across them); ``...``
in a fragment stands for elided code.  Every mismatch is reported at once.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "rpool"
DOCS = [ROOT / "docs" / "models.md", ROOT / "docs" / "design.md"]

# Fewer checked references than this means the parser has stopped finding them.
FLOOR = 60

TOKEN = re.compile(
    r"`(?P<code>[^`]+)`"
    r"|\bl\.(?P<first>\d+)(?:-(?P<last>\d+))?(?P<frag>\s+`[^`]+`)?"
)
NAME = re.compile(r"(?P<name>[A-Za-z_][\w.]*)(?:\(.*\))?")


def definitions() -> tuple[dict[str, set[str]], dict[str, str]]:
    """Function name -> modules defining it; class name -> its module."""
    functions: dict[str, set[str]] = defaultdict(set)
    classes: dict[str, str] = {}
    for path in SRC.glob("*.py"):
        if path.name == "_poolable.py":
            continue  # the user's protocols: `new()`, `reset()` name user code
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                functions[node.name].add(path.name)
            elif isinstance(node, ast.ClassDef):
                classes[node.name] = path.name
    return functions, classes


def resolve(code: str, functions: dict[str, set[str]], classes: dict[str, str]) -> str | None:
    """The module a backticked file or function name names, if exactly one."""
    if re.fullmatch(r"_?\w+\.py", code) and (SRC / code).exists():
        return code
    match = NAME.fullmatch(code)
    if match is None:
        return None
    name = match["name"]
    if name.count(".") == 1:
        owner, method = name.split(".")
        if owner in classes and method in functions:
            # The class's module, or the one mixin module that defines the method.
            if classes[owner] in functions[method]:
                return classes[owner]
            if len(functions[method]) == 1:
                return next(iter(functions[method]))
        return None
    modules = functions.get(name, set()) if "." not in name else set()
    if len(modules) == 1:
        return next(iter(modules))
    if "_core.py" in modules:
        return "_core.py"  # the docs' convention: a bare method name is Core's
    return None


def references() -> list[tuple[str, int, str, int, int, str]]:
    """(doc, doc line, module, first, last, fragment) for every checkable reference."""
    functions, classes = definitions()
    found = []
    for doc in DOCS:
        for number, row in enumerate(doc.read_text().splitlines(), 1):
            if not row.startswith("|"):
                continue
            module = None
            for token in TOKEN.finditer(row):
                if token["code"] is not None:
                    module = resolve(token["code"], functions, classes) or module
                elif token["frag"] is not None and module is not None:
                    first = int(token["first"])
                    last = int(token["last"] or first)
                    fragment = token["frag"].strip()[1:-1]
                    found.append((doc.name, number, module, first, last, fragment))
    return found


def quoted(fragment: str, lines: list[str]) -> bool:
    """Whether the fragment's pieces appear, in order, on the lines (or joined)."""
    texts = [line.strip() for line in lines]
    texts += [" ".join(texts), "".join(texts)]
    pieces = [piece.strip() for piece in fragment.split("...") if piece.strip()]
    for text in texts:
        at = 0
        for piece in pieces:
            at = text.find(piece, at)
            if at < 0:
                break
            at += len(piece)
        else:
            return True
    return False


def mismatches(found: list[tuple[str, int, str, int, int, str]]) -> list[str]:
    """The references whose fragment is not on their lines, described."""
    sources = {path.name: path.read_text().splitlines() for path in SRC.glob("*.py")}
    stale = []
    for doc, number, module, first, last, fragment in found:
        lines = sources[module][first - 1 : last] if first > 0 else []
        if not lines or not quoted(fragment, lines):
            shown = " | ".join(line.strip() for line in lines) or "(past the end)"
            stale.append(f"{doc}:{number}: {module} l.{first}: `{fragment}` is not on it: {shown}")
    return stale


def test_line_references_quote_their_lines() -> None:
    found = references()
    stale = mismatches(found)
    assert not stale, f"{len(stale)} of {len(found)} references stale:\n" + "\n".join(stale)
    assert len(found) >= FLOOR, f"only {len(found)} references checked"


def test_a_reference_one_line_off_is_stale() -> None:
    # The check itself: every reference moved a line down (as an inserted
    # line above it would move the code) must be reported, but for a
    # fragment that also stands on the next line.
    found = references()
    moved = [(d, n, m, first + 1, last + 1, f) for d, n, m, first, last, f in found]
    assert len(mismatches(moved)) >= 0.9 * len(found)
