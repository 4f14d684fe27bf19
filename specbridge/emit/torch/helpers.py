"""The helper classes of runtime.py (and runtime_recurrent.py, runtime_preprocessing.py, runtime_normalization.py,
runtime_attention.py, runtime_activations.py, runtime_merging.py, runtime_einsum.py) as source text, for copying
into emitted files.

The runtime modules are read as text and parsed, never imported (that would import torch). Each top-level class is
one helper; the helpers a class needs are the other helper names its body (or its base classes) refers to.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

RUNTIME = Path(__file__).with_name("runtime.py")
# Further files only to keep modules small: their classes follow runtime.py's, in one table of helpers.
RUNTIME_RECURRENT = Path(__file__).with_name("runtime_recurrent.py")
RUNTIME_PREPROCESSING = Path(__file__).with_name("runtime_preprocessing.py")
RUNTIME_NORMALIZATION = Path(__file__).with_name("runtime_normalization.py")
RUNTIME_ATTENTION = Path(__file__).with_name("runtime_attention.py")
RUNTIME_ACTIVATIONS = Path(__file__).with_name("runtime_activations.py")
RUNTIME_MERGING = Path(__file__).with_name("runtime_merging.py")
RUNTIME_EINSUM = Path(__file__).with_name("runtime_einsum.py")


@dataclass(frozen=True)
class Helper:
    name: str
    source: str  # the class's own text, ending with one newline
    requires: frozenset[str]  # other helpers its body refers to


@cache
def helpers() -> dict[str, Helper]:
    """Every helper class of the runtime modules, in file order."""
    classes = []  # (class node, the lines of its file)
    for path in (RUNTIME, RUNTIME_RECURRENT, RUNTIME_PREPROCESSING, RUNTIME_NORMALIZATION, RUNTIME_ATTENTION,
                 RUNTIME_ACTIVATIONS, RUNTIME_MERGING, RUNTIME_EINSUM):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines(keepends=True)
        classes += [(node, lines) for node in ast.parse(text).body if isinstance(node, ast.ClassDef)]
    names = {node.name for node, _ in classes}
    out = {}
    for node, lines in classes:
        start = min([node.lineno] + [d.lineno for d in node.decorator_list])
        source = "".join(lines[start - 1:node.end_lineno]).rstrip() + "\n"
        used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        out[node.name] = Helper(node.name, source, frozenset(used & names - {node.name}))
    return out


def helper_names() -> frozenset[str]:
    return frozenset(helpers())


def helper_sources(used: set[str]) -> list[str]:
    """The sources of the `used` helpers and of every helper they need, in the runtime modules' order."""
    table = helpers()
    needed: set[str] = set()
    stack = list(used)
    while stack:
        name = stack.pop()
        if name not in needed:
            needed.add(name)
            stack.extend(table[name].requires)
    return [h.source for name, h in table.items() if name in needed]
