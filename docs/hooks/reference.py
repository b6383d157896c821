"""MkDocs hook: the build fails unless the API reference documents every public name.

After the site is built, each name in the `__all__` of each public module
below must have its entry on that module's reference page: an element whose
id is the name's full path, as mkdocstrings writes it. So a name added to an
`__all__` without an entry, or an entry that renders nothing, fails `make
docs`. `__all__` is read from the source (a literal list), not imported:
rpool.testing's submodules import Hypothesis, which the docs do not install.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError

SRC = Path(__file__).resolve().parents[2] / "src"
# Module: (its source file, the reference page documenting it).
MODULES = {
    "rpool": ("rpool/__init__.py", "reference/index.html"),
    "rpool.testing": ("rpool/testing/__init__.py", "reference/testing/index.html"),
    "rpool.testing.strategies": ("rpool/testing/strategies.py", "reference/testing/index.html"),
    "rpool.testing.contract": ("rpool/testing/contract.py", "reference/testing/index.html"),
}
ID = re.compile(r'\bid="(?P<id>[\w.]+)"')


def public_names(source: Path) -> list[str]:
    """The strings of the module's `__all__ = [...]`."""
    for node in ast.parse(source.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets
        ):
            return [
                str(ast.literal_eval(item))
                for item in ast.walk(node.value)
                if isinstance(item, ast.Constant)
            ]
    raise PluginError(f"{source}: no literal __all__ to check the reference against")


def on_post_build(config: Any) -> None:
    missing = []
    for module, (source, page) in MODULES.items():
        ids = set(ID.findall((Path(config["site_dir"]) / page).read_text(encoding="utf-8")))
        missing += [
            f"{module}.{name} ({page})"
            for name in public_names(SRC / source)
            if f"{module}.{name}" not in ids
        ]
    if missing:
        raise PluginError("the API reference has no entry for: " + ", ".join(missing))
