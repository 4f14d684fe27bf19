"""Parse YAML/JSON text into plain Python data plus the line and column of every node.

PyYAML's C composer gives node marks quickly (a 10,000-layer spec parses in well under a second);
scalars are resolved with YAML 1.2 core-schema rules so that `1e-3` is a float and `yes` a string,
as in JSON and in ruamel.yaml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional

import yaml

from .limits import ENV_VARS, LARGE_INT_KEYS, MAX_INT, MAX_INT64, InputRefused, Limits, byte_size, check_bytes, resolve

# The C composer is much faster. The *Base* loader skips PyYAML's YAML 1.1 implicit-tag regexes:
# _scalar() resolves plain scalars itself, with YAML 1.2 rules.
try:
    from yaml import CBaseLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import BaseLoader as _Loader

Path = tuple  # of str keys and int indices

_INT = re.compile(r"^[-+]?(0|[1-9][0-9]*)$|^0x[0-9a-fA-F]+$|^0o[0-7]+$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_SPECIAL_FLOAT = {".inf": float("inf"), "+.inf": float("inf"), "-.inf": float("-inf"), ".nan": float("nan")}


class SyntaxProblem(Exception):
    def __init__(self, message: str, line: int, column: int):
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


@dataclass
class SourceMap:
    """Positions (1-based line, column) of values and of mapping keys, by path."""

    # yaml Marks (converted on lookup: most are never asked for, and making tuples up front is costly)
    values: dict[Path, Any] = field(default_factory=dict)
    keys: dict[Path, Any] = field(default_factory=dict)
    # Paths of integers over the bound for their place (limits.MAX_INT, or MAX_INT64 for parameter counts).
    oversized: list[Path] = field(default_factory=list)

    def locate(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """The position of `path`, or of its nearest ancestor that has one."""
        path = tuple(path)
        while True:
            table = self.keys if key and path in self.keys else self.values
            if path in table:
                mark = table[path]
                return (mark.line + 1, mark.column + 1)
            if not path:
                return (1, 1)
            path = path[:-1]


def _scalar(node: yaml.ScalarNode) -> Any:
    text = node.value
    if node.style:  # quoted or block scalar: always a string
        return text
    if node.tag not in ("tag:yaml.org,2002:str", "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool",
                        "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp"):
        return text
    lowered = text.lower()
    if text in ("", "~") or lowered == "null":
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    if _INT.match(text):
        return int(text, 0) if text.startswith(("0x", "0o")) else int(text)
    if _FLOAT.match(text):
        return float(text)
    if lowered in _SPECIAL_FLOAT:
        return _SPECIAL_FLOAT[lowered]
    return text


def _mark(node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def _convert(node, path: Path, smap: SourceMap) -> Any:
    smap.values[path] = node.start_mark
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            if isinstance(key, (list, dict)):
                key = str(key)
            if key in out:
                line, col = _mark(key_node)
                raise SyntaxProblem(f"duplicate key {key!r} in a mapping", line, col)
            smap.keys[path + (key,)] = key_node.start_mark
            out[key] = _convert(value_node, path + (key,), smap)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, path + (i,), smap) for i, item in enumerate(node.value)]
    value = _scalar(node)
    if type(value) is int and not -MAX_INT <= value <= MAX_INT:
        bound = MAX_INT64 if path and path[-1] in LARGE_INT_KEYS else MAX_INT
        if not -bound <= value <= bound:
            smap.oversized.append(path)
    return value


_ACTIVE = (-1, -1)  # a collection being measured: meeting it again below itself is a recursive alias


def _too_big(node, size: int, limits: Limits) -> InputRefused:
    line, col = _mark(node)
    return InputRefused(
        f"the document expands to more than {limits.max_nodes:,} values (at least {size:,} here; YAML aliases "
        "repeat the value they name at every use)", line, col, ENV_VARS["max_nodes"],
    )


def _too_deep(node, limits: Limits) -> InputRefused:
    line, col = _mark(node)
    return InputRefused(f"the document is nested more than {limits.max_depth} levels deep",
                        line, col, ENV_VARS["max_depth"])


def _recursive(node) -> InputRefused:
    line, col = _mark(node)
    return InputRefused("a YAML alias refers to a value that contains it (a recursive alias)", line, col)


def measure(root, limits: Limits) -> tuple[int, int]:
    """(values, depth) of the document as it would be converted, every alias expanded; refuses it over a limit.

    Iterative, with one entry per collection node (aliases share nodes), so an alias bomb costs a few steps per
    distinct node and nesting never reaches Python's recursion limit. Scalars count 1 and are not memoized.
    """
    if isinstance(root, yaml.ScalarNode):
        return 1, 0
    seen: dict[int, tuple[int, int]] = {}
    stack: list = [root]
    while stack:
        node = stack[-1]
        state = seen.get(id(node))
        if state is None:  # first visit: children first
            seen[id(node)] = _ACTIVE
            if _push_children(node, seen, stack):
                continue
        elif state is not _ACTIVE:  # a shared node pushed twice, measured already
            stack.pop()
            continue
        stack.pop()
        size, depth = _size_of(node, seen)
        if size > limits.max_nodes:
            raise _too_big(node, size, limits)
        if depth > limits.max_depth:
            raise _too_deep(node, limits)
        seen[id(node)] = (size, depth)
    return seen[id(root)]


def _children(node) -> list:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return node.value


def _push_children(node, seen: dict, stack: list) -> bool:
    """Push the collections below `node` not measured yet; False when there are none."""
    pushed = False
    for child in _children(node):
        if child.__class__ is _SCALAR:
            continue
        state = seen.get(id(child))
        if state is _ACTIVE:
            raise _recursive(child)
        if state is None:
            stack.append(child)
            pushed = True
    return pushed


def _size_of(node, seen: dict) -> tuple[int, int]:
    size, depth = 1, 0
    for child in _children(node):
        if child.__class__ is _SCALAR:
            size += 1
        else:
            child_size, child_depth = seen[id(child)]
            size += child_size
            if child_depth > depth:
                depth = child_depth
    return size, depth + 1


_SCALAR = yaml.ScalarNode


def parse(text: str, *, syntax: str = "yaml", limits: Optional[Limits] = None) -> tuple[Any, SourceMap]:
    """Parse one YAML (or JSON) document. Raises SyntaxProblem with a position, InputRefused over a limit.

    syntax="json" parses strictly as JSON (json.loads's rules: no trailing commas, no comments, no NaN, no
    duplicate keys); positions of a valid JSON document still come from the YAML composer (JSON is YAML).
    """
    limits = resolve(limits)
    check_bytes(_valid_size(text), limits)
    if syntax == "json":
        from .jsonsource import parse_json

        return parse_json(text, limits)
    return parse_yaml(text, limits)


def _valid_size(text: str) -> int:
    """UTF-8 size of `text`; a lone surrogate (text decoded with errors="surrogateescape") is a SyntaxProblem."""
    try:
        return byte_size(text)
    except UnicodeEncodeError as exc:
        line = text.count("\n", 0, exc.start) + 1
        column = exc.start - (text.rfind("\n", 0, exc.start) + 1) + 1
        raise SyntaxProblem(f"the text is not valid Unicode ({exc.reason}: {text[exc.start]!r})", line, column) from None


def parse_yaml(text: str, limits: Limits) -> tuple[Any, SourceMap]:
    smap = SourceMap()
    root = compose(text)
    if root is None:
        return None, smap
    measure(root, limits)
    try:
        return _convert(root, (), smap), smap
    except RecursionError:  # pragma: no cover - measure() bounds the depth far below the recursion limit
        raise _too_deep(root, limits) from None


def compose(text: str):
    """The YAML node graph of one document (None when empty). Raises SyntaxProblem."""
    try:
        loader = _Loader(text)
        try:
            return loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or str(exc)
        if exc.context:
            problem = f"{exc.context}: {problem}" if "found" in problem else f"{problem} ({exc.context})"
        if "maximum nesting depth" in problem:  # libyaml's own guard, at 1,000 levels
            raise InputRefused("the document is nested too deeply for the YAML parser (over 1,000 levels)",
                               line, col) from None
        raise SyntaxProblem(problem, line, col) from None
    except yaml.YAMLError as exc:  # e.g. more than one document
        raise SyntaxProblem(str(exc).splitlines()[0], 1, 1) from None
