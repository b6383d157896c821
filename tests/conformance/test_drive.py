"""The model-based driver follows a path the code can take, and reports one it cannot."""

from __future__ import annotations

import pytest

from rpool import AutoScale
from tests.conformance.drive import DivergedError, Driver
from tests.conformance.statespace import Edge, Graph, State


def _state(closed: bool, op: str, pc: str) -> State:
    return {
        "free": (),
        "orphans": (),
        "closed": closed,
        "held": (frozenset(),),
        "live": frozenset(),
        "raised": (False,),
        "op": (op,),
        "pc": {0: "Orphan", 1: pc},
    }


def _graph(closed_after_close: bool) -> Graph:
    graph = Graph()
    graph.states = {
        "a": _state(False, "none", "Idle"),
        "b": _state(False, "close", "SetClosed"),
        "c": _state(closed_after_close, "close", "DrainFree"),
    }
    graph.initial = ["a"]
    for edge in (Edge("a", "b", "Idle", 1), Edge("b", "c", "SetClosed", 1)):
        graph.edges.append(edge)
        graph.out[edge.source].append(edge)
    return graph


# An empty unbounded pool: close() has nothing to drain, so the path does not
# depend on how the drain goes.


def test_driver_follows_the_start_of_close() -> None:
    graph = _graph(closed_after_close=True)
    assert Driver(graph, AutoScale(initial=0)).drive(graph.edges) == graph.edges


def test_driver_reports_a_transition_the_code_does_not_take() -> None:
    graph = _graph(closed_after_close=False)  # a SetClosed that leaves the pool open
    with pytest.raises(DivergedError, match="SetClosed"):
        Driver(graph, AutoScale(initial=0)).drive(graph.edges)
