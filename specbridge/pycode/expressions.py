"""Expressions, evaluated statically (see values.py for plain values, objects.py for the rest)."""

from __future__ import annotations

import ast
from typing import Any, Optional

from . import values as V
from .dispatch import TensorMethod
from .objects import Frame, FrameworkObject, Ref
from .trace import Sym
from .values import Unknown


def evaluate(interp, node: ast.expr, frame: Frame) -> Any:
    method = _EVALUATORS.get(type(node))
    if method is None:
        return Unknown(interp.source.segment(node))
    return method(interp, node, frame)


def _constant(interp, node: ast.Constant, frame: Frame) -> Any:
    return node.value


def _name(interp, node: ast.Name, frame: Frame) -> Any:
    return interp.lookup(node.id, frame, node)


def _elements(interp, nodes: list[ast.expr], frame: Frame) -> Optional[list]:
    """The values of a list display's elements or a call's positional arguments, `*xs` expanded (None when a
    starred value is not a known sequence)."""
    items: list = []
    for element in nodes:
        if isinstance(element, ast.Starred):
            inner = evaluate(interp, element.value, frame)
            if not isinstance(inner, (list, tuple)):
                return None
            items.extend(inner)
        else:
            items.append(evaluate(interp, element, frame))
    return items


def _sequence(interp, node, frame: Frame) -> Any:
    items = _elements(interp, node.elts, frame)
    if items is None:
        return Unknown(interp.source.segment(node))
    return tuple(items) if isinstance(node, ast.Tuple) else items


def _dict(interp, node: ast.Dict, frame: Frame) -> Any:
    out = {}
    for key, value in zip(node.keys, node.values, strict=False):
        if key is None:
            return Unknown(interp.source.segment(node))
        k = evaluate(interp, key, frame)
        if not V.is_known(k) or not isinstance(k, (str, int, float, bool, tuple)):
            return Unknown(interp.source.segment(node))
        out[k] = evaluate(interp, value, frame)
    return out


def _binop(interp, node: ast.BinOp, frame: Frame) -> Any:
    return interp.binary(node.op, evaluate(interp, node.left, frame), evaluate(interp, node.right, frame), node)


def _unary(interp, node: ast.UnaryOp, frame: Frame) -> Any:
    return V.unary(node.op, evaluate(interp, node.operand, frame), interp.source.segment(node))


def _compare(interp, node: ast.Compare, frame: Frame) -> Any:
    operands = [evaluate(interp, node.left, frame)] + [evaluate(interp, c, frame) for c in node.comparators]
    if all(isinstance(op, (ast.Is, ast.IsNot)) for op in node.ops) and len(operands) == 2:
        left, right = operands
        if right is None and not isinstance(left, Unknown):  # `self.downsample is not None`
            same = left is None
            return same if isinstance(node.ops[0], ast.Is) else not same
    return V.compare(node.ops, operands, interp.source.segment(node))


def _boolop(interp, node: ast.BoolOp, frame: Frame) -> Any:
    result: Any = None
    for operand in node.values:
        result = evaluate(interp, operand, frame)
        truth = interp.truth(result)
        if truth is None:
            return Unknown(interp.source.segment(node))
        if isinstance(node.op, ast.And) and not truth or isinstance(node.op, ast.Or) and truth:
            return result
    return result


def _ifexp(interp, node: ast.IfExp, frame: Frame) -> Any:
    truth = interp.truth(evaluate(interp, node.test, frame))
    if truth is None:
        return Unknown(interp.source.segment(node))
    return evaluate(interp, node.body if truth else node.orelse, frame)


def _subscript(interp, node: ast.Subscript, frame: Frame) -> Any:
    container = evaluate(interp, node.value, frame)
    index = evaluate(interp, node.slice, frame)
    if isinstance(container, FrameworkObject) and hasattr(container, "subscript"):
        return container.subscript(interp, index, node)
    if isinstance(container, (Sym, TensorMethod)):
        return interp.frameworks.tensor_subscript(interp, container, index, node)
    return V.subscript(container, index, interp.source.segment(node))


def _slice(interp, node: ast.Slice, frame: Frame) -> Any:
    parts = [evaluate(interp, p, frame) if p is not None else None for p in (node.lower, node.upper, node.step)]
    if not all(p is None or (isinstance(p, int) and not isinstance(p, bool)) for p in parts):
        return Unknown(interp.source.segment(node))
    return slice(*parts)


def _attribute(interp, node: ast.Attribute, frame: Frame) -> Any:
    owner = evaluate(interp, node.value, frame)
    if isinstance(owner, Ref):
        return Ref(_canonical(owner.qualname + "." + node.attr))
    if isinstance(owner, FrameworkObject):
        return owner.attribute(interp, node.attr, node)
    if isinstance(owner, Sym):
        return interp.frameworks.tensor_attribute(interp, owner, node.attr, node)
    if hasattr(owner, "get_attribute"):
        return owner.get_attribute(interp, node.attr, node)
    if isinstance(owner, (list, dict)) and node.attr in CONTAINER_METHODS:
        return ContainerMethod(owner, node.attr)
    if isinstance(owner, str) and node.attr in STR_METHODS:  # name.startswith("fc") in a named_parameters() loop
        return ContainerMethod(owner, node.attr)
    if node.attr == "requires_grad_" and isinstance(owner, Unknown):  # on what the reader does not know
        interp.tracer.grad_note = (f"requires_grad_ is called on {interp.source.segment(node.value)} at line "
                                   f"{node.lineno}, which the reader does not follow")
    return Unknown(interp.source.segment(node))


# Methods that change a list or dict in place: followed, so that `layers.append(nn.ReLU())` is not lost.
CONTAINER_METHODS = ("append", "extend", "insert", "pop", "clear", "update", "setdefault", "reverse", "remove")


STR_METHODS = ("startswith", "endswith", "lower", "upper", "strip", "split", "replace")


class ContainerMethod:
    def __init__(self, owner, name: str):
        self.owner, self.name = owner, name

    def call(self, interp, args: list, kwargs: dict):
        owner, name = self.owner, self.name
        if isinstance(owner, str):  # a pure method of a known string, with known arguments
            if not all(V.is_known(a) and not isinstance(a, (list, dict)) for a in [*args, *kwargs.values()]):
                return Unknown(name)
            try:
                return getattr(owner, name)(*args, **kwargs)
            except (TypeError, ValueError):
                return Unknown(name)
        if interp.uncertain:  # a change under a condition the reader cannot decide: what it holds is unknown
            unknown = Unknown(f"{name} under a condition")
            if isinstance(owner, list):
                owner[:] = [unknown] * len(owner) + [unknown]
            else:
                owner.update({key: unknown for key in owner})
            return unknown
        try:
            return getattr(owner, name)(*args, **kwargs)
        except Exception:
            if isinstance(owner, list):
                owner.append(Unknown(name))
            return Unknown(name)


def _canonical(name: str) -> str:
    from .source import canonical

    return canonical(name)


def _call(interp, node: ast.Call, frame: Frame) -> Any:
    callee = evaluate(interp, node.func, frame)
    args = _elements(interp, node.args, frame)
    if args is None:
        return Unknown(interp.source.segment(node))
    kwargs: dict = {}
    for keyword in node.keywords:
        value = evaluate(interp, keyword.value, frame)
        if keyword.arg is None:
            if not isinstance(value, dict):
                return Unknown(interp.source.segment(node))
            kwargs.update(value)
        else:
            kwargs[keyword.arg] = value
    return interp.call(callee, node, args, kwargs, frame)


def _listcomp(interp, node: ast.ListComp, frame: Frame) -> Any:
    """[Layer(n) for n in (32, 64)]: one generator over a known sequence, no conditions."""
    if len(node.generators) != 1 or node.generators[0].ifs or node.generators[0].is_async:
        return Unknown(interp.source.segment(node))
    gen = node.generators[0]
    items = interp.iterate(evaluate(interp, gen.iter, frame))
    if items is None:
        return Unknown(interp.source.segment(node))
    inner = Frame(frame, frame.owner)
    out = []
    for item in items:
        interp.assign(gen.target, item, inner)
        out.append(evaluate(interp, node.elt, inner))
    return out


def _joined(interp, node: ast.JoinedStr, frame: Frame) -> Any:
    parts = []
    for value in node.values:
        if isinstance(value, ast.Constant):
            parts.append(str(value.value))
        elif isinstance(value, ast.FormattedValue) and value.format_spec is None and value.conversion == -1:
            inner = evaluate(interp, value.value, frame)
            if not isinstance(inner, (str, int)) or isinstance(inner, bool):
                return Unknown(interp.source.segment(node))
            parts.append(str(inner))
        else:
            return Unknown(interp.source.segment(node))
    return "".join(parts)


_EVALUATORS = {
    ast.Constant: _constant, ast.Name: _name, ast.Tuple: _sequence, ast.List: _sequence, ast.Dict: _dict,
    ast.BinOp: _binop, ast.UnaryOp: _unary, ast.Compare: _compare, ast.BoolOp: _boolop, ast.IfExp: _ifexp,
    ast.Subscript: _subscript, ast.Slice: _slice, ast.Attribute: _attribute, ast.Call: _call,
    ast.ListComp: _listcomp, ast.JoinedStr: _joined,
}
