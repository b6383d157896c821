"""Test resources: a `Poolable` whose `new`, `reset` and `close` can be told to fail."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Self


class Boom(Exception):
    """Raised by a test resource's callback when told to."""


@dataclass
class Script:
    """What the next callbacks do; shared by the pool's context and its resources.

    Each list is consumed from the front: `new_plan[0]` decides the next new(),
    and so on; an empty plan means "succeed". Everything done is recorded.
    """

    new_plan: list[str] = field(default_factory=list)  # "ok" | "raise"
    reset_plan: list[str] = field(default_factory=list)  # "ok" | "false" | "raise" | "none"
    close_plan: list[str] = field(default_factory=list)  # "ok" | "raise" | "interrupt"
    made: list[Res] = field(default_factory=list)
    closed: list[Res] = field(default_factory=list)
    resets: list[Res] = field(default_factory=list)
    ids: itertools.count[int] = field(default_factory=itertools.count)

    @staticmethod
    def _next(plan: list[str]) -> str:
        return plan.pop(0) if plan else "ok"


class Res:
    """A pooled test resource, numbered in creation order."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.id = next(script.ids)
        self.closed = False

    @classmethod
    def new(cls, context: Script) -> Self:
        if Script._next(context.new_plan) == "raise":
            raise Boom("new")
        resource = cls(context)
        context.made.append(resource)
        return resource

    def reset(self) -> bool:
        self.script.resets.append(self)
        step = Script._next(self.script.reset_plan)
        if step == "raise":
            raise Boom("reset")
        if step == "none":
            return None  # type: ignore[return-value]  # a buggy reset, on purpose
        return step != "false"

    def close(self) -> None:
        assert not self.closed, "a resource must be closed at most once"
        self.closed = True
        self.script.closed.append(self)
        step = Script._next(self.script.close_plan)
        if step == "raise":
            raise Boom("close")
        if step == "interrupt":
            raise KeyboardInterrupt("close")

    def __repr__(self) -> str:
        return f"Res({self.id})"


class Plain:
    """A resource with no context and no close(): the smallest Poolable."""

    @classmethod
    def new(cls, context: None) -> Plain:
        return cls()

    def reset(self) -> bool:
        return True
