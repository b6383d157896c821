"""MkDocs hook: the site serves its own pinned Mermaid, so its diagrams render offline.

The theme draws ```` ```mermaid ```` blocks in the browser with Mermaid, and
fetches Mermaid from a public CDN unless the page has already loaded it.
This hook takes Mermaid's release tarball from the npm registry once (into
.venv/cache/mermaid, like every other download of `make`), refuses it unless
its SHA-512 is the registry's integrity value pinned here, and adds its
`dist/mermaid.min.js` to the site as a script of every page. Standard
library only; no Node.js is needed.
"""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import urllib.request
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

VERSION = "11.17.2"
"""The theme loads mermaid@11 when none is on the page: the same major version."""
TARBALL = f"https://registry.npmjs.org/mermaid/-/mermaid-{VERSION}.tgz"
INTEGRITY = "sha512-V6K3C8EBdEsPFZXSKMJe6ppQOENxuHARr9GvHX4hh47lAbhMRD9qf4oEK7LoaRQxULMa80/qt5gHO73aCleBBg=="
"""The npm registry's `dist.integrity` of that tarball (SHA-512, base64)."""
SCRIPT = "js/mermaid.min.js"
CACHE = Path(__file__).resolve().parents[2] / ".venv" / "cache" / "mermaid" / f"{VERSION}.min.js"


def mermaid_script() -> Path:
    """The pinned mermaid.min.js, downloaded and checked on first use."""
    if not CACHE.exists():
        try:
            with urllib.request.urlopen(TARBALL, timeout=60) as response:
                tarball = response.read()
        except OSError as error:
            raise PluginError(f"cannot download Mermaid {VERSION} ({TARBALL}): {error}") from error
        digest = "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()
        if digest != INTEGRITY:
            raise PluginError(f"{TARBALL}: SHA-512 {digest}, expected {INTEGRITY}: refused")
        with tarfile.open(fileobj=io.BytesIO(tarball)) as archive:
            member = archive.extractfile("package/dist/mermaid.min.js")
            if member is None:
                raise PluginError(f"{TARBALL} has no package/dist/mermaid.min.js")
            script = member.read()
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        partial = CACHE.with_suffix(".partial")
        partial.write_bytes(script)
        partial.replace(CACHE)
    return CACHE


def on_config(config: Any) -> Any:
    config["extra_javascript"].append(SCRIPT)
    return config


def on_files(files: Files, config: Any) -> Files:
    files.append(File.generated(config, SCRIPT, abs_src_path=str(mermaid_script())))
    return files
