"""What a Python expression is worth when the code is read, not run.

Literals, tuples and lists, names bound to such values, arithmetic, comparisons, subscripts and a few pure
builtins (len, min, max, int, tuple, range...) are evaluated. Anything else is Unknown, carrying the source of
the expression, so that a diagnostic can say "not evaluated: <expression>" instead of guessing.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Optional

MAX_SEQUENCE = 100_000  # a range or repetition longer than this is not materialized (it is Unknown)


@dataclass(frozen=True)
class Unknown:
    """A value that is not known statically; `expression` is its source text (for the info diagnostic)."""

    expression: str = ""

    def __bool__(self) -> bool:  # never used as a truth value by mistake: callers test is_known() first
        raise TypeError("the truth of an unknown value")


def is_known(value: Any) -> bool:
    """A plain value all the way down (nested tuples and lists of numbers, strings...)."""
    if isinstance(value, Unknown):
        return False
    if isinstance(value, (tuple, list)):
        return all(is_known(v) for v in value)
    if isinstance(value, dict):
        return all(is_known(v) for v in value.values())
    return True


def plain(value: Any) -> bool:
    """A JSON-able literal (what a layer argument can be)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (tuple, list)):
        return all(plain(v) for v in value)
    return False


_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
}
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
    ast.GtE: operator.ge, ast.Is: operator.is_, ast.IsNot: operator.is_not, ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


def binary(op: ast.operator, left: Any, right: Any, source: str) -> Any:
    fn = _BINARY.get(type(op))
    if fn is None or not (_arithmetic(left) and _arithmetic(right)):
        return Unknown(source)
    if isinstance(op, ast.Pow) and isinstance(right, (int, float)) and abs(right) > 64:
        return Unknown(source)
    if isinstance(op, (ast.Mult, ast.Add)) and _too_long(left, right):
        return Unknown(source)
    try:
        result = fn(left, right)
    except (ArithmeticError, TypeError, ValueError):
        return Unknown(source)
    return result if _bounded(result) else Unknown(source)


def _bounded(value: Any) -> bool:
    """Sizes beyond int64, or sequences longer than MAX_SEQUENCE, are no model's: not carried further."""
    if isinstance(value, int):
        return abs(value) <= 2**63
    if isinstance(value, (str, tuple, list)):
        return len(value) <= MAX_SEQUENCE
    return True


def _arithmetic(value: Any) -> bool:
    return isinstance(value, (int, float, str, tuple, list)) and is_known(value)


def _too_long(left: Any, right: Any) -> bool:
    """(0,) * n, [x] * n, a + a: only small sequences are built."""
    if isinstance(left, (tuple, list, str)) and isinstance(right, (tuple, list, str)):
        return len(left) + len(right) > MAX_SEQUENCE
    for seq, count in ((left, right), (right, left)):
        if isinstance(seq, (tuple, list, str)) and isinstance(count, int) and len(seq) * count > MAX_SEQUENCE:
            return True
    return False


def compare(ops: list[ast.cmpop], values: list[Any], source: str) -> Any:
    if not all(is_known(v) for v in values):
        return Unknown(source)
    for op, left, right in zip(ops, values, values[1:], strict=False):
        try:
            if not _COMPARE[type(op)](left, right):
                return False
        except (TypeError, KeyError):
            return Unknown(source)
    return True


def unary(op: ast.unaryop, value: Any, source: str) -> Any:
    if not is_known(value):
        return Unknown(source)
    try:
        if isinstance(op, ast.USub):
            return -value
        if isinstance(op, ast.UAdd):
            return +value
        if isinstance(op, ast.Not):
            return not value
    except TypeError:
        pass
    return Unknown(source)


def subscript(container: Any, index: Any, source: str) -> Any:
    if not is_known(index) or not isinstance(container, (tuple, list, str, dict)):
        return Unknown(source)
    try:
        if isinstance(index, slice) or isinstance(container, dict):
            return container[index]
        if isinstance(index, int) and not isinstance(index, bool):
            return container[index]
    except (IndexError, KeyError, TypeError):
        pass
    return Unknown(source)


def _range(*args: Any) -> Any:
    if not all(isinstance(a, int) and not isinstance(a, bool) for a in args) or not 1 <= len(args) <= 3:
        return None
    r = range(*args)
    return list(r) if len(r) <= MAX_SEQUENCE else None


# Builtins evaluated when every argument is known: name -> function of the positional arguments.
BUILTINS: dict[str, Callable[..., Any]] = {
    "len": len, "min": min, "max": max, "abs": abs, "int": int, "float": float, "round": round, "sum": sum,
    "tuple": tuple, "list": list, "range": _range, "str": str, "bool": bool,
}


def call_builtin(name: str, args: list[Any], source: str) -> Any:
    fn = BUILTINS.get(name)
    if fn is None or not all(is_known(a) for a in args):
        return Unknown(source)
    try:
        result = fn(*args)
    except (TypeError, ValueError, ArithmeticError):
        return Unknown(source)
    return Unknown(source) if result is None else result


def literal_shape(value: Any) -> Optional[tuple]:
    """A shape written in code: a tuple/list of ints or None (an int alone is a one-axis shape)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,)
    if isinstance(value, (tuple, list)) and all(
        v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in value
    ):
        return tuple(value)
    return None
