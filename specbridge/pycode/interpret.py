"""Walk a module's statements with static values: the part of Python that model definitions use.

Assignments, tuple unpacking, `for` loops over known sequences (unrolled), `if` on known conditions, calls of
the file's own functions (inlined) and classes. What cannot be decided statically makes the names it touches
Unknown, and a framework object changed under an undecided branch or loop is marked uncertain (its mutators
check `interp.uncertain`): nothing is guessed. The code is never executed.
"""

from __future__ import annotations

import ast
from typing import Any, Optional

from ..diagnostics.model import Location
from . import values as V
from .objects import MISSING, BoundMethod, Frame, FrameworkObject, Function, LocalClass, Ref, Return
from .source import Source
from .trace import Tracer
from .values import Unknown

MAX_DEPTH = 24  # nested inlined calls
MAX_STEPS = 200_000  # statements executed per file: a loop this long is not a model definition


class Budget(Exception):
    """The file needs more steps than a model definition does: stop reading it (what was found is kept)."""


def location(node: ast.AST) -> Location:
    return Location(getattr(node, "lineno", 0), getattr(node, "col_offset", -1) + 1)


class Interpreter:
    def __init__(self, source: Source, tracer: Tracer, frameworks):
        self.source, self.tracer, self.frameworks = source, tracer, frameworks
        self.module = Frame()
        self.uncertain = 0
        self.depth = 0
        self.steps = 0
        self.functions: list[Function] = []
        self.classes: list[LocalClass] = []
        self.options: dict[str, Any] = {}

    # --- statements
    def run_module(self) -> None:
        try:
            self.block(self.source.tree.body, self.module)
        except (Budget, Return):
            pass

    def block(self, body: list[ast.stmt], frame: Frame) -> None:
        for stmt in body:
            self.steps += 1
            if self.steps > MAX_STEPS:
                raise Budget()
            try:
                self.statement(stmt, frame)
            except (Return, Budget):
                raise
            except RecursionError:
                raise Budget() from None
            except Exception:  # a construct the reader does not follow: what it assigns becomes unknown
                self.forget(stmt, frame)

    def statement(self, stmt: ast.stmt, frame: Frame) -> None:
        if isinstance(stmt, ast.Assign):
            value = self.eval(stmt.value, frame)
            for target in stmt.targets:
                self.assign(target, value, frame)
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            self.assign(stmt.target, self.eval(stmt.value, frame), frame)
        elif isinstance(stmt, ast.AugAssign):
            left = self.eval(_load(stmt.target), frame)
            self.assign(stmt.target, self.binary(stmt.op, left, self.eval(stmt.value, frame), stmt), frame)
        elif isinstance(stmt, ast.Expr):
            self.eval(stmt.value, frame)
        elif isinstance(stmt, ast.Return):
            raise Return(self.eval(stmt.value, frame) if stmt.value is not None else None)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            function = Function(stmt, frame)
            frame.vars[stmt.name] = function
            if frame is self.module:
                self.functions.append(function)
        elif isinstance(stmt, ast.ClassDef):
            self.define_class(stmt, frame)
        elif isinstance(stmt, ast.For):
            self.loop(stmt, frame)
        elif isinstance(stmt, ast.If):
            self.branch(stmt, frame)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            self.block(stmt.body, frame)
        elif isinstance(stmt, ast.Try):
            self.block(stmt.body, frame)
            self.block(stmt.orelse, frame)
            self.block(stmt.finalbody, frame)
        elif isinstance(stmt, (ast.While, ast.Delete, ast.Match)):
            self.undecided(stmt, frame)

    def define_class(self, stmt: ast.ClassDef, frame: Frame) -> None:
        bases = [self.eval(b, frame) for b in stmt.bases]
        cls = LocalClass(stmt, frame, bases)
        for item in stmt.body:
            if isinstance(item, ast.FunctionDef):
                cls.methods[item.name] = item
        frame.vars[stmt.name] = cls
        if frame is self.module:
            self.classes.append(cls)

    def loop(self, stmt: ast.For, frame: Frame) -> None:
        items = self.iterate(self.eval(stmt.iter, frame))
        if items is None or stmt.orelse:
            self.undecided(stmt, frame)
            return
        for item in items:
            self.assign(stmt.target, item, frame)
            self.block(stmt.body, frame)

    def iterate(self, value: Any) -> Optional[list]:
        if isinstance(value, (list, tuple, str)) and len(value) <= V.MAX_SEQUENCE:
            return list(value)
        if isinstance(value, dict):
            return list(value)
        if isinstance(value, FrameworkObject) and hasattr(value, "items"):
            return value.items()
        if isinstance(value, ZipLike):
            return value.values
        return None

    def branch(self, stmt: ast.If, frame: Frame) -> None:
        test = self.eval(stmt.test, frame)
        truth = self.truth(test)
        if truth is True:
            self.block(stmt.body, frame)
        elif truth is False:
            self.block(stmt.orelse, frame)
        else:
            self.undecided(stmt, frame)

    def truth(self, value: Any) -> Optional[bool]:
        if isinstance(value, Unknown) or (isinstance(value, (list, tuple)) and not V.is_known(value)):
            return None
        if isinstance(value, FrameworkObject):
            return True  # a module, a layer: `if self.downsample:` / `if self.downsample is not None`
        try:
            return bool(value)
        except Exception:
            return None

    def undecided(self, stmt: ast.stmt, frame: Frame) -> None:
        """A loop or branch the reader cannot decide: framework objects it changes become uncertain, names it
        assigns unknown."""
        self._tensors_left_unchecked(stmt, frame)
        self.uncertain += 1
        try:
            for body in (getattr(stmt, "body", []), getattr(stmt, "orelse", [])):
                if isinstance(body, list):
                    try:
                        self.block(body, Frame(frame, frame.owner))
                    except Return:
                        pass
        finally:
            self.uncertain -= 1
        self.forget(stmt, frame)

    def _tensors_left_unchecked(self, stmt: ast.stmt, frame: Frame) -> None:
        """An info when the undecided statement changes a tensor whose shape was known: checking stops there."""
        from .trace import Sym

        names = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        if any(isinstance(frame.vars.get(name), Sym) and frame.vars[name].known for name in names):
            head = getattr(stmt, "iter", None) or getattr(stmt, "test", None) or stmt
            self.tracer.not_evaluated(self.source.segment(head), location(head),
                                      "the tensors this block changes are not checked after it")

    def forget(self, stmt: ast.stmt, frame: Frame) -> None:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                frame.vars[node.id] = Unknown(node.id)

    def assign(self, target: ast.expr, value: Any, frame: Frame) -> None:
        if isinstance(target, ast.Name):
            if isinstance(value, FrameworkObject):
                value.named(target.id)
            frame.vars[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            parts = self.frameworks.unpack(self, value, len(target.elts))
            if parts is None and isinstance(value, (tuple, list)) and len(value) == len(target.elts):
                parts = list(value)
            for i, element in enumerate(target.elts):
                self.assign(element, parts[i] if parts is not None else Unknown(self.source.segment(target)), frame)
        elif isinstance(target, ast.Attribute):
            owner = self.eval(target.value, frame)
            if hasattr(owner, "set_attribute"):
                owner.set_attribute(target.attr, value)

    # --- expressions
    def eval(self, node: ast.expr, frame: Frame) -> Any:
        from .expressions import evaluate

        return evaluate(self, node, frame)

    def binary(self, op: ast.operator, left: Any, right: Any, node: ast.AST) -> Any:
        from .torch_views import BatchSize
        from .trace import Sym

        if isinstance(left, BatchSize) or isinstance(right, BatchSize):
            return _batch_arithmetic(op, left, right)
        if isinstance(left, (FrameworkObject, Sym)) or isinstance(right, (FrameworkObject, Sym)):
            return self.frameworks.binary(self, op, left, right, node)
        return V.binary(op, left, right, self.source.segment(node))

    # --- calls
    def call(self, callee: Any, node: ast.Call, args: list, kwargs: dict, frame: Frame) -> Any:
        if isinstance(callee, Ref):
            return self.frameworks.call(self, callee.qualname, node, args, kwargs)
        if isinstance(callee, BoundMethod):
            return callee.owner.call_method(self, callee.name, node, args, kwargs)
        if isinstance(callee, FrameworkObject):
            return callee.call(self, node, args, kwargs)
        if isinstance(callee, Function):
            return self.inline(callee, args, kwargs, node)
        if type(callee).__name__ == "ContainerMethod":
            return callee.call(self, args, kwargs)
        if type(callee).__name__ == "TensorMethod":
            return self.frameworks.tensor_call(self, callee, node, args, kwargs)
        if isinstance(callee, LocalClass):
            return self.frameworks.instantiate(self, callee, node, args, kwargs)
        if isinstance(callee, Builtin):
            if callee.name == "zip":
                return ZipLike(list(zip(*args, strict=False)) if all(isinstance(a, (list, tuple)) for a in args) else None)
            if callee.name == "enumerate" and args and isinstance(args[0], (list, tuple)):
                return list(enumerate(args[0]))
            return V.call_builtin(callee.name, args, self.source.segment(node))
        return Unknown(self.source.segment(node))

    def inline(self, function: Function, args: list, kwargs: dict, node: Optional[ast.AST]) -> Any:
        """Run a function of the file with the given arguments (missing ones: their default, else unknown)."""
        function.calls += 1
        if self.depth >= MAX_DEPTH:
            return Unknown(function.node.name)
        frame = Frame(function.frame, function.node.name)
        self.bind(function, frame, args, kwargs)
        self.depth += 1
        try:
            self.block(function.node.body, frame)
        except Return as result:
            return result.value
        finally:
            self.depth -= 1
        return None

    def bind(self, function: Function, frame: Frame, args: list, kwargs: dict) -> None:
        spec = function.node.args
        params = [*spec.posonlyargs, *spec.args]
        if function.bound_self is not None:
            args = [function.bound_self, *args]
        defaults = [None] * (len(params) - len(spec.defaults)) + list(spec.defaults)
        for i, param in enumerate(params):
            if i < len(args):
                value = args[i]
            elif param.arg in kwargs:
                value = kwargs[param.arg]
            elif defaults[i] is not None:
                value = self.eval(defaults[i], function.frame)
            else:
                value = Unknown(param.arg)
            frame.vars[param.arg] = value
        for param, default in zip(spec.kwonlyargs, spec.kw_defaults, strict=False):
            if param.arg in kwargs:
                frame.vars[param.arg] = kwargs[param.arg]
            else:
                frame.vars[param.arg] = self.eval(default, function.frame) if default is not None else Unknown(param.arg)
        if spec.vararg:
            frame.vars[spec.vararg.arg] = tuple(args[len(params):])
        if spec.kwarg:
            frame.vars[spec.kwarg.arg] = {k: v for k, v in kwargs.items() if k not in {p.arg for p in params}}

    def lookup(self, name: str, frame: Frame, node: ast.AST) -> Any:
        value = frame.lookup(name)
        if value is not MISSING:
            return value
        if name in self.source.imports:
            return Ref(self.source.qualname(ast.Name(name, ast.Load())) or self.source.imports[name])
        if name in V.BUILTINS or name in ("zip", "enumerate"):
            return Builtin(name)
        return Unknown(name)


def _batch_arithmetic(op: ast.operator, left: Any, right: Any) -> Any:
    """b * t, t * b, b // 2 with b the (symbolic) batch size."""
    from .torch_views import BatchSize

    if isinstance(op, ast.Mult):
        return left.times(right) if isinstance(left, BatchSize) else right.times(left)
    if isinstance(op, ast.FloorDiv) and isinstance(left, BatchSize):
        return left.divided(right)
    return Unknown("arithmetic on the batch size")


class Builtin:
    def __init__(self, name: str):
        self.name = name


class ZipLike:
    def __init__(self, values: Optional[list]):
        self.values = values


def _load(target: ast.expr) -> ast.expr:
    copy = ast.parse(ast.unparse(target), mode="eval").body
    return ast.copy_location(copy, target)
