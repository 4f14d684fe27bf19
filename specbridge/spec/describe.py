"""Plain-words descriptions of argument types, for error messages ("a positive integer or a list of ...")."""

import typing
from typing import Any, Union

import annotated_types

_NAMES = {int: ("an integer", "integers"), float: ("a number", "numbers"), str: ("a string", "strings"),
          bool: ("true or false", "booleans"), type(None): ("null", "nulls")}


def describe(annotation: Any, plural: bool = False) -> str:
    """describe(Union[PositiveInt, list[PositiveInt]]) -> 'a positive integer or a list of positive integers'."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        base, *meta = args
        text = describe(base, plural)
        for m in meta:
            if isinstance(m, annotated_types.Gt) and m.gt == 0:
                return text.replace("an integer", "a positive integer").replace("integers", "positive integers") \
                    .replace("a number", "a positive number").replace("numbers", "positive numbers")
            if isinstance(m, annotated_types.Ge) and m.ge == 0:
                return text.replace("an integer", "a non-negative integer").replace("integers", "non-negative integers") \
                    .replace("a number", "a non-negative number").replace("numbers", "non-negative numbers")
            if isinstance(m, annotated_types.Interval):
                bounds = _bounds(m)
                return f"{text} {bounds}" if bounds else text
            if hasattr(m, "metadata"):
                continue
        return text
    if origin is Union or str(origin) == "types.UnionType":
        parts = [describe(a, plural) for a in args]
        return " or ".join(dict.fromkeys(parts))
    if origin is typing.Literal:
        values = ", ".join(repr(a) for a in args[:12]) + (", ..." if len(args) > 12 else "")
        return f"one of {values}"
    if origin in (list, tuple):
        inner = describe(args[0], plural=True) if args else "values"
        return f"lists of {inner}" if plural else f"a list of {inner}"
    if annotation in _NAMES:
        return _NAMES[annotation][1 if plural else 0]
    name = getattr(annotation, "__name__", str(annotation))
    return name


def _bounds(interval: Any) -> str:
    """'>= 0.0 and <= 1.0': the bounds of an Interval (confloat/conint), so that a bound error says the bound."""
    signs = (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"))
    return " and ".join(f"{sign} {getattr(interval, k)}" for k, sign in signs if getattr(interval, k) is not None)


def describe_field(field_info: Any) -> str:
    """Like describe(), for a pydantic FieldInfo (whose constraints sit in .metadata)."""
    annotation = field_info.annotation
    if field_info.metadata:
        annotation = typing.Annotated[(annotation, *field_info.metadata)]
    return describe(annotation)


def literal_values(annotation: Any) -> list:
    """Every Literal value reachable in an annotation (for "did you mean" on misspelt choices)."""
    if typing.get_origin(annotation) is typing.Literal:
        return list(typing.get_args(annotation))
    out: list = []
    for arg in typing.get_args(annotation):
        out.extend(literal_values(arg))
    return out
