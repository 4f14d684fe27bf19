"""A call's arguments bound to a function's parameters, as Python binds them."""

from __future__ import annotations

from .objects import Frame, Function
from .values import Unknown


def bind(interp, function: Function, frame: Frame, args: list, kwargs: dict) -> None:
    """Python's binding of a call's arguments to the function's parameters (defaults as evaluated at the def)."""
    spec = function.node.args
    params = [*spec.posonlyargs, *spec.args]
    if function.bound_self is not None:
        args = [function.bound_self, *args]
    given = function.defaults if function.defaults is not None else [
        interp.eval(d, function.frame) for d in spec.defaults]
    missing = object()
    defaults = [missing] * (len(params) - len(given)) + list(given)
    for i, param in enumerate(params):
        if i < len(args):
            value = args[i]
        elif param.arg in kwargs:
            value = kwargs[param.arg]
        elif defaults[i] is not missing:
            value = defaults[i]
        else:
            value = Unknown(param.arg)
        frame.vars[param.arg] = value
    kw_given = function.kw_defaults if function.kw_defaults is not None else [
        None if d is None else interp.eval(d, function.frame) for d in spec.kw_defaults]
    for param, default, node in zip(spec.kwonlyargs, kw_given, spec.kw_defaults, strict=False):
        if param.arg in kwargs:
            frame.vars[param.arg] = kwargs[param.arg]
        else:
            frame.vars[param.arg] = default if node is not None else Unknown(param.arg)
    if spec.vararg:
        frame.vars[spec.vararg.arg] = tuple(args[len(params):])
    if spec.kwarg:
        frame.vars[spec.kwarg.arg] = {k: v for k, v in kwargs.items() if k not in {p.arg for p in params}}
