"""Remove the Transpose pairs that cancel between layers: each channels-first op transposes in and out, so a
stack of them (Conv -> BatchNormalization -> MaxPool, channels_last) would otherwise go back and forth."""

from __future__ import annotations

from .graph import GraphBuilder


def fold_transposes(g: GraphBuilder, keep: set[str]) -> int:
    """Bypass Transpose(p2)(Transpose(p1)(x)) when p2 undoes p1 and the middle value is read by that node only and
    is not in `keep` (a graph output). Returns how many pairs were removed."""
    removed = 0
    changed = True
    while changed:
        changed = False
        producer = {out: node for node in g.nodes for out in node.output}
        readers: dict[str, int] = {}
        for node in g.nodes:
            for name in node.input:
                readers[name] = readers.get(name, 0) + 1
        for node in list(g.nodes):
            if node.op_type != "Transpose":
                continue
            first = producer.get(node.input[0])
            if first is None or first.op_type != "Transpose" or readers.get(first.output[0], 0) != 1:
                continue
            if first.output[0] in keep or not _cancels(_perm(first), _perm(node)):
                continue
            _bypass(g, node, first.input[0], keep)
            g.nodes.remove(first)
            removed += 1
            changed = True
            break
    return removed


def _perm(node) -> list[int]:
    return next(list(a.ints) for a in node.attribute if a.name == "perm")


def _cancels(p1: list[int], p2: list[int]) -> bool:
    return len(p1) == len(p2) and [p1[i] for i in p2] == list(range(len(p1)))


def _bypass(g: GraphBuilder, node, source: str, keep: set[str]) -> None:
    """Drop `node`, whose output equals `source`: its readers read `source` instead (an output keeps its name
    through an Identity)."""
    out = node.output[0]
    if out in keep:
        node.op_type = "Identity"
        del node.attribute[:]
        node.input[0] = source
        return
    g.nodes.remove(node)
    for other in g.nodes:
        for i, name in enumerate(other.input):
            if name == out:
                other.input[i] = source
