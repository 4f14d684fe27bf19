"""Parse YAML/JSON text into plain Python data plus the line and column of every node.

PyYAML's C composer gives node marks quickly (a 10,000-layer spec parses in well under a second);
scalars are resolved with YAML 1.2 core-schema rules so that `1e-3` is a float and `yes` a string,
as in JSON and in ruamel.yaml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

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
    return _scalar(node)


def parse(text: str) -> tuple[Any, SourceMap]:
    """Parse one YAML (or JSON) document. Raises SyntaxProblem with a position."""
    smap = SourceMap()
    try:
        loader = _Loader(text)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or str(exc)
        if exc.context:
            problem = f"{exc.context}: {problem}" if "found" in problem else f"{problem} ({exc.context})"
        raise SyntaxProblem(problem, line, col) from None
    except yaml.YAMLError as exc:  # e.g. more than one document
        raise SyntaxProblem(str(exc).splitlines()[0], 1, 1) from None
    if root is None:
        return None, smap
    return _convert(root, (), smap), smap
