"""Hypothesis profiles for the whole suite.

`default` keeps `make check` within its time budget; `nightly` runs far more
examples and longer state machines. Pick one with HYPOTHESIS_PROFILE, e.g.
`HYPOTHESIS_PROFILE=nightly make test`. Every profile prints the blob that
reproduces a failure (`@reproduce_failure(...)`); see docs/testing.md.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

# Thread start-up and scheduled runs make single examples slow now and then;
# a deadline would turn that into flaky failures, so none is set.
settings.register_profile(
    "default",
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "nightly",
    parent=settings.get_profile("default"),
    max_examples=2000,
    stateful_step_count=100,
)
# tests/mutants/run.py: the same examples on every run (so a kill table is
# reproducible) and no shrinking (a kill only needs the first failure).
settings.register_profile(
    "mutants",
    parent=settings.get_profile("default"),
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    print_blob=False,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
