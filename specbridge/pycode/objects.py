"""The values the reader gives to names besides plain literals: imported names, local functions and classes,
and the protocol framework objects (layers, models, tensors) follow."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any, Optional

from .values import Unknown


@dataclass(frozen=True)
class Ref:
    """A name that comes from an import: a module or an object in it, by its canonical dotted name."""

    qualname: str


class Frame:
    """A scope: the module, or one call of a function."""

    def __init__(self, parent: Optional[Frame] = None, owner: Optional[str] = None):
        self.vars: dict[str, Any] = {}
        self.parent = parent
        self.owner = owner  # the function's name (models built in it are named after it when unnamed)
        self.global_names: set[str] = set()  # `global N`: assignments go to the module

    def lookup(self, name: str) -> Any:
        frame: Optional[Frame] = self
        while frame is not None:
            if name in frame.vars:
                return frame.vars[name]
            frame = frame.parent
        return _MISSING

    def module(self) -> Frame:
        frame = self
        while frame.parent is not None:
            frame = frame.parent
        return frame


_MISSING = object()
MISSING = _MISSING


@dataclass(eq=False)
class Function:
    node: ast.FunctionDef
    frame: Frame  # where it was defined
    calls: int = 0
    bound_self: Any = None
    defaults: Optional[list] = None  # the parameters' defaults, evaluated where the function is defined (as Python)
    kw_defaults: Optional[list] = None


@dataclass(eq=False)
class LocalClass:
    node: ast.ClassDef
    frame: Frame
    bases: list[Any]
    methods: dict[str, ast.FunctionDef] = field(default_factory=dict)
    instances: int = 0

    def is_torch_module(self) -> bool:
        for base in self.bases:
            if isinstance(base, Ref) and base.qualname == "torch.nn.Module":
                return True
            if isinstance(base, LocalClass) and base.is_torch_module():
                return True
        return False

    def method(self, name: str) -> Optional[tuple[ast.FunctionDef, LocalClass]]:
        if name in self.methods:
            return self.methods[name], self
        for base in self.bases:
            if isinstance(base, LocalClass):
                found = base.method(name)
                if found is not None:
                    return found
        return None


class FrameworkObject:
    """A framework value the reader models. Subclasses override what they support; the rest is Unknown."""

    def call(self, interp, node: ast.Call, args: list, kwargs: dict) -> Any:
        return Unknown(interp.source.segment(node))

    def call_method(self, interp, name: str, node: ast.Call, args: list, kwargs: dict) -> Any:
        return Unknown(interp.source.segment(node))

    def attribute(self, interp, name: str, node: ast.AST) -> Any:
        return BoundMethod(self, name)

    def named(self, name: str) -> None:
        """The variable (or attribute) the value is assigned to."""


@dataclass(eq=False)
class BoundMethod:
    owner: Any
    name: str


class Return(Exception):
    def __init__(self, value: Any):
        super().__init__()
        self.value = value
