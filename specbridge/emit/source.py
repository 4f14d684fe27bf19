"""Small helpers for writing Python source: literals and argument lists from validated values."""

from __future__ import annotations

import math
from typing import Any

from .names import py_str


class Code(str):
    """Source text an emitter wrote, which `literal` writes as it is: the name of a function the emitted module
    defines. Never made from a spec value."""


def literal(value: Any) -> str:
    """Python source for a spec value (None, bool, int, float, str, or lists/tuples of them), or Code.

    Anything else is refused: a spec value must never become code.
    """
    if isinstance(value, Code):
        return str(value)
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return repr(int(value))
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return f'float("{value}")'
        return repr(float(value))
    if isinstance(value, str):
        return py_str(value)
    if isinstance(value, tuple):
        items = ", ".join(literal(v) for v in value)
        return f"({items},)" if len(value) == 1 else f"({items})"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as a literal")


def call(func: str, *args: str, **kwargs: Any) -> str:
    """`func(arg, ..., key=literal(value), ...)`; positional args are source already."""
    parts = list(args) + [f"{k}={literal(v)}" for k, v in kwargs.items()]
    return f"{func}({', '.join(parts)})"


def compact(values) -> Any:
    """(3, 3) -> 3: the int form when every axis has the same value, as people write it."""
    values = tuple(values)
    return values[0] if len(set(values)) == 1 else values
