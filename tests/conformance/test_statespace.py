"""The reader of TLC's state dumps: every value form TLC prints, and the dot layout."""

from __future__ import annotations

import pytest

from tests.conformance.statespace import Edge, parse_dot, parse_value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("42", 42),
        ("-3", -3),
        ("TRUE", True),
        ('"Idle"', "Idle"),
        ("<<>>", ()),
        ("<<1, -2>>", (1, -2)),
        ("{}", frozenset()),
        ("{1, 2}", frozenset({1, 2})),
        ("1..3", frozenset({1, 2, 3})),
        ("<<{}, {1}>>", (frozenset(), frozenset({1}))),
        ('[pc |-> "Reset", back |-> 1]', {"pc": "Reset", "back": 1}),
        ('(0 :> "Orphan" @@ 1 :> "Idle")', {0: "Orphan", 1: "Idle"}),
        (
            '( 0 :> <<>> @@\n  1 :> <<[pc |-> "TakeOrphan_close", procedure |-> "drain"]>> )',
            {0: (), 1: ({"pc": "TakeOrphan_close", "procedure": "drain"},)},
        ),
    ],
)
def test_parse_value_reads_what_tlc_prints(text: str, value: object) -> None:
    assert parse_value(text) == value


@pytest.mark.parametrize("text", ["<<1, 2", "[a |-> 1", "1 2", "<<1>> junk", "?"])
def test_parse_value_refuses_what_it_cannot_read(text: str) -> None:
    with pytest.raises((ValueError, IndexError)):
        parse_value(text)


DOT = r"""strict digraph DiskGraph {
node [shape=box,style=rounded]
subgraph cluster_graph {
11 [label="/\\ free = <<1>>\n/\\ pc = (0 :> \"Orphan\" @@ 1 :> \"Idle\")",style = filled]
11 -> -22 [label="Idle(1)",color="black",fontcolor="black"];
-22 [label="/\\ free = <<1>>\n/\\ pc = (0 :> \"Orphan\" @@ 1 :> \"TakeFree\")",tooltip="x"];
-22 -> 11 [label="Orphan",color="black",fontcolor="black"];
}
}
"""


def test_parse_dot_reads_states_initial_states_and_labelled_transitions() -> None:
    graph = parse_dot(DOT)
    assert graph.initial == ["11"]
    assert graph.states["-22"] == {"free": (1,), "pc": {0: "Orphan", 1: "TakeFree"}}
    assert graph.edges == [Edge("11", "-22", "Idle", 1), Edge("-22", "11", "Orphan", 0)]
    assert graph.out["11"] == [Edge("11", "-22", "Idle", 1)]
