"""MkDocs hook: the build fails unless the API reference documents every public name.

After the site is built, each name in `rpool.__all__` must have its entry in
reference/index.html and each name in `rpool.testing.__all__` in
reference/testing/index.html (an element whose id is the name's full path,
as mkdocstrings writes it). So a name added to `__all__` without an entry, or
an entry that renders nothing, fails `make docs`.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError

PAGES = {"rpool": "reference/index.html", "rpool.testing": "reference/testing/index.html"}
ID = re.compile(r'\bid="(?P<id>[\w.]+)"')


def on_post_build(config: Any) -> None:
    missing = []
    for package, page in PAGES.items():
        ids = set(ID.findall((Path(config["site_dir"]) / page).read_text(encoding="utf-8")))
        names = importlib.import_module(package).__all__
        missing += [
            f"{package}.{name} ({page})" for name in names if f"{package}.{name}" not in ids
        ]
    if missing:
        raise PluginError("the API reference has no entry for: " + ", ".join(missing))
