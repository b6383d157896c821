"""The scheduler's choosers, shipped in rpool.testing._choosers; the tests import them here."""

from rpool.testing._choosers import PCTChooser as PCTChooser
from rpool.testing._choosers import RandomChooser as RandomChooser
from rpool.testing._choosers import ReplayChooser as ReplayChooser
from rpool.testing._choosers import ReplayDivergedError as ReplayDivergedError
from rpool.testing._choosers import ScriptChooser as ScriptChooser

__all__ = ["PCTChooser", "RandomChooser", "ReplayChooser", "ReplayDivergedError", "ScriptChooser"]
