"""Strict JSON for `*.json` specs: json.loads decides what is valid, the YAML composer gives the positions.

JSON is (nearly) a subset of YAML, so a lenient YAML parse accepts things JSON forbids: a trailing comma, comments,
single quotes, NaN. A .json spec is therefore first parsed by json.loads (errors keep its line and column); a valid
document is then composed as YAML for the source positions, and when the YAML reading differs from the JSON one
(a case the two grammars treat differently), the JSON data is used, without positions.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from .limits import ENV_VARS, LARGE_INT_KEYS, MAX_INT, MAX_INT64, InputRefused, Limits
from .source import SourceMap, SyntaxProblem, parse_yaml

_CONSTANT = re.compile(r"-?(?:NaN|Infinity)\b")


class _Duplicate(Exception):
    def __init__(self, key: str):
        self.key = key


def _pairs(pairs: list) -> dict:
    out = {}
    for key, value in pairs:
        if key in out:
            raise _Duplicate(key)
        out[key] = value
    return out


def _constant(name: str):
    raise ValueError(name)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _constant_position(text: str, name: str) -> tuple[int, int]:
    """Where NaN/Infinity (or an overflowing number) first appears outside a string (JSON strings never span lines)."""
    for number, line in enumerate(text.splitlines(), 1):
        for match in (_CONSTANT.finditer(line) if name in ("NaN", "Infinity", "-Infinity") else
                      re.finditer(re.escape(name), line)):
            before = line[: match.start()].replace("\\\\", "").replace('\\"', "")
            if before.count('"') % 2 == 0:
                return number, match.start() + 1
    return 1, 1


def strict_load(text: str) -> Any:
    """json.loads with every problem a located SyntaxProblem (duplicate keys: SyntaxProblem at 1:1, see parse_json)."""
    try:
        return json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant, parse_float=_float)
    except json.JSONDecodeError as exc:
        message = f"invalid JSON: {exc.msg}"
        before = exc.doc[: exc.pos].rstrip()
        if before.endswith(",") and exc.msg.startswith(("Expecting value", "Expecting property name")):
            message += " (JSON allows no trailing comma)"
        raise SyntaxProblem(message, exc.lineno, exc.colno) from None
    except _Duplicate as exc:
        raise SyntaxProblem(f"duplicate key {exc.key!r} in an object", 1, 1) from None
    except ValueError as exc:  # NaN, Infinity, or a number too large for a float
        name = str(exc)
        line, col = _constant_position(text, name)
        raise SyntaxProblem(f"invalid JSON: {name} is not a JSON number (JSON has no NaN or infinity)",
                            line, col) from None
    except RecursionError:
        raise InputRefused("the document is nested too deeply for the JSON parser", 1, 1) from None


def parse_json(text: str, limits: Limits) -> tuple[Any, SourceMap]:
    try:
        data = strict_load(text)
    except SyntaxProblem as exc:
        if exc.message.startswith("duplicate key"):
            _raise_located_duplicate(text, limits)
        raise
    try:
        positioned, smap = parse_yaml(text, limits)
    except InputRefused:
        raise
    except SyntaxProblem:
        positioned, smap = None, None
    if smap is not None and positioned == data:
        return positioned, smap
    smap = SourceMap()
    scan_plain(data, limits, smap)
    return data, smap


def _raise_located_duplicate(text: str, limits: Limits) -> None:
    try:
        parse_yaml(text, limits)
    except SyntaxProblem as located:
        if located.message.startswith("duplicate key"):
            raise located from None


def scan_plain(data: Any, limits: Limits, smap: SourceMap) -> None:
    """The limits and the integer bounds on plain data (a JSON document read without positions)."""
    count = 0
    stack: list = [(data, (), 0)]
    while stack:
        value, path, depth = stack.pop()
        count += 1
        if count > limits.max_nodes:
            raise InputRefused(f"the document has more than {limits.max_nodes:,} values", 1, 1, ENV_VARS["max_nodes"])
        if depth > limits.max_depth:
            raise InputRefused(f"the document is nested more than {limits.max_depth} levels deep", 1, 1,
                               ENV_VARS["max_depth"])
        if isinstance(value, dict):
            stack.extend((v, path + (k,), depth + 1) for k, v in value.items())
            count += len(value)  # the keys
        elif isinstance(value, list):
            stack.extend((v, path + (i,), depth + 1) for i, v in enumerate(value))
        elif type(value) is int and not -MAX_INT <= value <= MAX_INT:
            bound = MAX_INT64 if path and path[-1] in LARGE_INT_KEYS else MAX_INT
            if not -bound <= value <= bound:
                smap.oversized.append(path)
