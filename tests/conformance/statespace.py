"""TLC's reachable state graph, exported with `-dump dot,actionlabels` and parsed.

TLC writes each state as a box whose label lists the variables
(`/\\ free = <<1, 2>>`), and each transition as an edge labelled with the
action and its process (`TakeFree(1)`; the collector's `Orphan` has none).
`parse_value` reads the TLA+ values TLC prints: integers, strings,
booleans, sequences `<<...>>`, sets `{...}` and intervals `a..b`, records
`[f |-> v]` and functions `(k :> v @@ ...)`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .tlc import TLCError, run_tlc

__all__ = ["Edge", "Graph", "State", "export", "parse_dot", "parse_value"]

State = dict[str, object]
"""A state: variable name to value (int, str, bool, tuple, frozenset or dict)."""


@dataclass(frozen=True, slots=True)
class Edge:
    """A transition `source` -> `target` by `action` of `process` (0: the collector)."""

    source: str
    target: str
    action: str
    process: int


@dataclass
class Graph:
    """The reachable states (by TLC's fingerprint) and the transitions between them."""

    states: dict[str, State] = field(default_factory=dict)
    initial: list[str] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    out: dict[str, list[Edge]] = field(default_factory=lambda: defaultdict(list))


_NODE = re.compile(r'^(-?\d+) \[label="((?:[^"\\]|\\.)*)"(.*)$')
_EDGE = re.compile(r'^(-?\d+) -> (-?\d+) \[label="([A-Za-z_]+)(?:\((\d+)\))?"')


def parse_dot(text: str) -> Graph:
    """The graph in TLC's dot dump `text`."""
    graph = Graph()
    for line in text.splitlines():
        edge = _EDGE.match(line)
        if edge is not None:
            source, target, action, process = edge.groups()
            if source == target and action is None:
                continue
            found = Edge(source, target, action, int(process) if process else 0)
            graph.edges.append(found)
            graph.out[source].append(found)
            continue
        node = _NODE.match(line)
        if node is not None:
            name, label, rest = node.groups()
            graph.states[name] = _state(_ESCAPE.sub(_unescape, label))
            if "style = filled" in rest:
                graph.initial.append(name)
    return graph


_ESCAPE = re.compile(r"\\(.)")


def _unescape(found: re.Match[str]) -> str:
    return "\n" if found[1] == "n" else found[1]


def _state(label: str) -> State:
    state: State = {}
    for conjunct in ("\n" + label).split("\n/\\ ")[1:]:
        name, _, value = conjunct.partition(" = ")
        state[name] = parse_value(value)
    return state


_TOKEN = re.compile(r'\s*(<<|>>|\|->|:>|@@|\.\.|"(?:[^"\\]|\\.)*"|-?\d+|[A-Za-z_]\w*|[\[\]{}(),])')


def parse_value(text: str) -> object:
    """The TLA+ value TLC printed as `text`."""
    tokens = _TOKEN.findall(text)
    if "".join(tokens) != "".join(text.split()):
        raise ValueError(f"cannot read TLA+ value {text!r}")
    value, end = _value(tokens, 0)
    if end != len(tokens):
        raise ValueError(f"trailing text in TLA+ value {text!r}")
    return value


def _value(tokens: list[str], i: int) -> tuple[object, int]:
    token = tokens[i]
    if token == "<<":
        items, i = _items(tokens, i + 1, ">>")
        return tuple(items), i
    if token == "{":
        items, i = _items(tokens, i + 1, "}")
        return frozenset(items), i
    if token == "[":
        record: dict[object, object] = {}
        i += 1
        while tokens[i] != "]":
            field_name, arrow = tokens[i], tokens[i + 1]
            if arrow != "|->":
                raise ValueError(f"expected |-> after {field_name}")
            record[field_name], i = _value(tokens, i + 2)
            i += tokens[i] == ","
        return record, i + 1
    if token == "(":
        function: dict[object, object] = {}
        i += 1
        while tokens[i] != ")":
            key, i = _value(tokens, i)
            if tokens[i] != ":>":
                raise ValueError("expected :> in a function")
            function[key], i = _value(tokens, i + 1)
            i += tokens[i] == "@@"
        return function, i + 1
    if token.startswith('"'):
        return token[1:-1].replace('\\"', '"'), i + 1
    if token in ("TRUE", "FALSE"):
        return token == "TRUE", i + 1
    if re.fullmatch(r"-?\d+", token):
        if i + 2 < len(tokens) + 1 and i + 1 < len(tokens) and tokens[i + 1] == "..":
            return frozenset(range(int(token), int(tokens[i + 2]) + 1)), i + 3
        return int(token), i + 1
    raise ValueError(f"unexpected {token!r} in a TLA+ value")


def _items(tokens: list[str], i: int, close: str) -> tuple[list[object], int]:
    items: list[object] = []
    while tokens[i] != close:
        item, i = _value(tokens, i)
        items.append(item)
        i += tokens[i] == ","
    return items, i + 1


def export(models: Path, config: str, out: Path) -> tuple[Graph, float]:
    """Run TLC on FreeList with `config` and parse its state graph; also return TLC's seconds."""
    done = run_tlc(models, "FreeList", config, "-dump", "dot,actionlabels", str(out))
    if done.code != 0:
        raise TLCError(
            f"TLC could not export the state graph ({done.code}):\n{done.output[-3000:]}"
        )
    return parse_dot(out.read_text()), done.seconds
