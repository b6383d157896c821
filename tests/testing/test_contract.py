"""The contract kit fails a resource class for each rule it breaks, and passes a correct one.

Each planted bug is one a user writes: a reset() that forgets part of the
state, a reset() that returns a truthy non-bool, a close() that assumes the
reset succeeded.
"""

from __future__ import annotations

from typing import Self

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from rpool.testing.contract import ContractViolation, contract_machine

# Shrinking is left out here: the worked example (tests/testing/test_repository.py)
# shows the minimal case Hypothesis prints.
RUN = settings(
    max_examples=60,
    stateful_step_count=12,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    database=None,
    deadline=None,
    # One bug can fail several ways (a close() that raises after a failed
    # reset, or on a dropped guard's resource): report the first.
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow],
)


class Session:
    """A user's session: a search path and an open transaction to reset."""

    bug = ""

    def __init__(self) -> None:
        self.search_path = "public"
        self.in_transaction = False
        self.open = True

    @classmethod
    def new(cls, context: str) -> Self:
        return cls()

    def reset(self) -> bool:
        if self.in_transaction:
            self.in_transaction = False  # rollback
        if self.bug != "keeps search_path":
            self.search_path = "public"
        if self.bug == "truthy reset":
            return 1  # type: ignore[return-value]
        return True

    def close(self) -> None:
        if self.bug == "close needs a clean session" and self.in_transaction:
            raise RuntimeError("cannot close inside a transaction")
        self.open = False


def begin(session: Session) -> None:
    session.in_transaction = True


def set_path(session: Session) -> None:
    session.search_path = "audit"


def observe(session: Session) -> object:
    return (session.search_path, session.in_transaction, session.open)


# A failing run stops at its first failure, so a bug test may ask for many
# examples at little cost. With 60, each planted bug was found in at least
# 197 of 200 runs (docs/testing-your-code.md, "How sure"); with 200, in all.
FIND = settings(RUN, max_examples=200)


def run(bug: str, find: bool = False) -> None:
    cls = type(f"Session_{bug.replace(' ', '_') or 'ok'}", (Session,), {"bug": bug})
    machine = contract_machine(cls, "dsn", observe, use=[begin, set_path])
    run_state_machine_as_test(machine, settings=FIND if find else RUN)


def test_a_correct_resource_passes() -> None:
    run("")


@pytest.mark.parametrize(
    ("bug", "message"),
    [
        (
            "keeps search_path",
            r"not as fresh after reset\(\) returned True: observe\(\) gives \('audit'",
        ),
        ("truthy reset", r"reset\(\) returned 1, not a bool"),
        ("close needs a clean session", r"close\(\) raised RuntimeError\('cannot close inside"),
    ],
)
def test_each_broken_rule_is_caught(bug: str, message: str) -> None:
    with pytest.raises(ContractViolation, match=message):
        run(bug, find=True)


def test_the_kit_refuses_what_it_cannot_check() -> None:
    with pytest.raises(ValueError, match="at least one action"):
        contract_machine(Session, "dsn", observe, use=[])
    with pytest.raises(TypeError, match="new\\(\\) and reset\\(\\)"):
        contract_machine(object, "dsn", repr, use=[repr])
    with pytest.raises(TypeError, match="observe must be callable"):
        contract_machine(Session, "dsn", None, use=[begin])  # type: ignore[arg-type]
