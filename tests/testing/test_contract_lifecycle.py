"""With lifecycle options on, the contract kit catches what only they reach.

The planted bugs are in a user's connection class: a `check()` that says
True for a connection the server dropped, one that returns what `ping()`
returns (None) instead of a bool, a `close()` that raises on a dropped
connection, a `new()` that hands back an object it made before, and one that
copies state a user left in a class attribute. The same class with each bug
fixed passes. The machine's pool expires and evicts resources on a fake
clock it advances, and checks what it hands out.
"""

from __future__ import annotations

from typing import ClassVar, Self

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from rpool.testing.contract import ContractViolation, contract_machine

# A run that finds its bug stops there, so a high bound costs little; a run
# that must pass sets its own, lower one.
RUN = settings(
    max_examples=400,
    stateful_step_count=15,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    database=None,
    deadline=None,
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow],
)


class Link:
    """A connection: a transaction flag to reset, and a server that may drop it."""

    bug: ClassVar[str] = ""
    made: ClassVar[list[Link]] = []

    def __init__(self) -> None:
        self.in_transaction = False
        self.alive = True  # False once the server dropped the connection
        self.closed = False

    @classmethod
    def new(cls, context: str) -> Self:
        if cls.bug == "new reuses":
            # Hands back the first connection it made (of this pool's class).
            for link in cls.made:
                if type(link) is cls:
                    return link
        link = cls()
        cls.made.append(link)
        return link

    def reset(self) -> bool:
        self.in_transaction = False  # rollback
        return True

    def ping(self) -> None:
        if not self.alive:
            raise ConnectionError("server closed the connection")

    def check(self) -> bool:
        if self.bug == "check lies":
            return True  # as if the last answer from the server still held
        if self.bug == "check returns ping":
            return self.ping()  # type: ignore[func-returns-value,return-value]
        return self.alive

    def close(self) -> None:
        if self.bug == "close needs the server" and not self.alive:
            raise BrokenPipeError("cannot say goodbye to a server that is gone")
        self.closed = True


def begin(link: Link) -> None:
    link.in_transaction = True


def server_drops(link: Link) -> None:
    link.alive = False


def observe(link: Link) -> object:
    return link.in_transaction


def run(bug: str, *, lifecycle: bool = True, spoil: bool = True, examples: int = 400) -> None:
    """Run the machine on `Link` with `bug`; a run that must pass may use fewer examples."""
    cls = type("Link", (Link,), {"bug": bug, "made": []})
    machine = contract_machine(
        cls,
        "db",
        observe,
        use=[begin],
        faults=False,
        lifecycle=lifecycle,
        spoil=server_drops if spoil else None,
    )
    run_state_machine_as_test(machine, settings=settings(RUN, max_examples=examples))


@pytest.mark.parametrize(
    ("bug", "message"),
    [
        ("check lies", "check\\(\\) returned True for a resource spoil\\(\\) broke"),
        ("close needs the server", "close\\(\\) raised BrokenPipeError.* on a resource spoil"),
        ("new reuses", "new\\(\\) returned a resource it made before"),
    ],
)
def test_each_planted_bug_is_caught_with_lifecycle_options_on(bug: str, message: str) -> None:
    with pytest.raises(ContractViolation, match=message):
        run(bug)


def test_a_check_that_returns_none_is_caught_when_the_pool_checks() -> None:
    with pytest.raises(ContractViolation, match="check\\(\\) returned None, not a bool"):
        run("check returns ping", spoil=False)


def test_the_fixed_class_passes_with_every_option() -> None:
    run("", examples=60)
    run("", spoil=False, examples=60)


def test_without_lifecycle_options_the_lying_check_goes_unseen() -> None:
    # The pool never calls check() and nothing spoils: the options are what
    # reach the bug (a tool that would fail anyway proves nothing).
    run("check lies", lifecycle=False, spoil=False, examples=40)
    run("check returns ping", lifecycle=False, spoil=False, examples=40)


class Inheriting:
    """A session whose new() starts from a class-level default that users may change."""

    default_path: ClassVar[str] = "public"

    def __init__(self, path: str) -> None:
        self.search_path = path

    @classmethod
    def new(cls, context: str) -> Self:
        return cls(cls.default_path)

    def reset(self) -> bool:
        self.search_path = "public"
        return True


def set_default_path(session: Inheriting) -> None:
    # The bug: a setting meant for this session, written on the class.
    type(session).default_path = "tenant_a"
    session.search_path = "tenant_a"


def test_a_new_resource_that_inherits_a_user_s_state_is_caught() -> None:
    cls = type("Inheriting", (Inheriting,), {})
    machine = contract_machine(
        cls, "db", lambda s: s.search_path, use=[set_default_path], lifecycle=True
    )
    with pytest.raises(ContractViolation, match="new\\(\\) made a resource that is not as fresh"):
        run_state_machine_as_test(machine, settings=RUN)


def test_spoil_needs_a_check_method_and_lifecycle() -> None:
    with pytest.raises(TypeError, match="check\\(\\) method"):
        contract_machine(
            Inheriting,
            "db",
            lambda s: s.search_path,
            use=[set_default_path],
            lifecycle=True,
            spoil=print,
        )
    with pytest.raises(ValueError, match="lifecycle=True"):
        contract_machine(Link, "db", observe, use=[begin], spoil=server_drops)
    with pytest.raises(TypeError, match="spoil must be callable"):
        contract_machine(Link, "db", observe, use=[begin], lifecycle=True, spoil=1)  # type: ignore[arg-type]
