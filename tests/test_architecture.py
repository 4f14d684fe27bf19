"""The package's shape: data flows one way between subpackages, diagnostics/ is a leaf, modules stay small.

Imports are read with ast, those inside functions included (a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "specbridge"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
# Generated or data-only modules whose length is not written by hand.
EXEMPT_FROM_SIZE = {"spec/layers/index.py"}


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Absolute names of the specbridge modules `path` imports, anywhere in the file."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("specbridge"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("specbridge"):
                found.add(target)
                found.update(f"{target}.{a.name}" for a in node.names)  # `from . import codes` is a module
    return found


def _unit(module: str) -> str:
    """The subpackage a module belongs to (spec, shapes, emit...), or the top-level module itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "specbridge"  # top-level modules (check, stages...) are units too


def _known_units() -> set[str]:
    return {_unit(_module_name(p)) for p in _modules()}


def unit_graph() -> dict[str, set[str]]:
    units = _known_units()
    graph: dict[str, set[str]] = {u: set() for u in units}
    for path in _modules():
        source = _unit(_module_name(path))
        for target in _imports(path):
            dest = _unit(target)
            if dest in units and dest != source:
                graph[source].add(dest)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycles_between_subpackages():
    graph = unit_graph()
    cycle = _cycle({u: d - {"specbridge"} for u, d in graph.items()})
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_check_can_fail():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_diagnostics_is_a_leaf():
    assert unit_graph()["diagnostics"] == set()


def test_the_core_reaches_no_emitter():
    graph = unit_graph()
    for core in ("spec", "shapes", "diagnostics"):
        assert not graph[core] & {"emit", "crosscheck", "cli", "report"}, core


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_and_functions_stay_small(path: Path):
    rel = str(path.relative_to(PACKAGE))
    if rel in EXEMPT_FROM_SIZE:
        return
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MAX_MODULE_LINES, f"{rel} has {len(text.splitlines())} lines"
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(text))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"{rel}: functions over {MAX_FUNCTION_LINES} lines: {', '.join(long)}"
