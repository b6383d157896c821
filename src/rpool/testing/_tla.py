"""Where rpool's TLA+ spec is installed, for users who model their own system in TLA+.

The spec, `RPool.tla`, ships in the wheel as package data beside this module
(in `tla/`). It is the one copy: the repository's own models find it on
TLC's library path too (models/check.py).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

SPEC = "RPool.tla"


def tla_path() -> Path:
    """The directory that holds `RPool.tla`, rpool's pool as a TLA+ spec.

    Put it on TLC's library path, `java -DTLA-Library=<this directory> -cp
    tla2tools.jar tlc2.TLC ...`, or copy `RPool.tla` beside your spec; your
    module then says `INSTANCE RPool WITH Clients <- ..., Resources <- ...,
    Maximum <- ..., Initial <- ..., ResetFails <- ...`. See "Modelling your
    own system in TLA+" in docs/testing-your-code.md.

    Raises:
        FileNotFoundError: the spec is not a file on disk, as when rpool is
            imported from a zip archive: extract rpool to a directory.
    """
    directory = resources.files("rpool.testing").joinpath("tla")
    if not isinstance(directory, Path) or not (directory / SPEC).is_file():
        raise FileNotFoundError(
            f"rpool's TLA+ spec {SPEC} is not a file on disk at {directory}; "
            "is rpool imported from a zip archive?"
        )
    return directory
