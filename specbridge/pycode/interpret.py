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
from .binding import bind
from .objects import MISSING, BoundMethod, Frame, FrameworkObject, Function, LocalClass, Ref, Return
from .source import Source
from .trace import Tracer
from .values import Unknown

MAX_DEPTH = 24  # nested inlined calls
UNIT_STEPS = 30_000  # statements and calls per top-level statement (or unexecuted function): more is not a model
MAX_STEPS = 1_000_000  # per file
MAX_LOOP = 10_000  # iterations a loop is unrolled for; a longer loop is undecided


class Budget(Exception):
    """The file needs more steps than a model definition does: stop reading it (what was found is kept)."""


def location(node: ast.AST) -> Location:
    return Location(getattr(node, "lineno", 0), getattr(node, "col_offset", -1) + 1)


class Interpreter:
    def __init__(self, source: Source, tracer: Tracer, frameworks):
        self.source, self.tracer, self.frameworks = source, tracer, frameworks
        self.module = Frame()
        self.module.vars["__name__"] = "__main__"  # the file read as the script it is (its `if __name__ == ...` block)
        self.uncertain = 0
        self.depth = 0
        self.steps = 0
        self.allowance = UNIT_STEPS
        self.instantiating: set[int] = set()  # classes whose __init__ is running (a class that builds itself)
        self.active: dict[int, int] = {}  # functions being inlined (by node id): recursion
        self._stores: dict[int, frozenset] = {}
        self._poisoned: set[int] = set()  # containers made all-unknown
        self._keep: list = []
        self.functions: list[Function] = []
        self.classes: list[LocalClass] = []

    # --- statements
    def run_module(self) -> None:
        for stmt in self.source.tree.body:
            self.run_unit(lambda stmt=stmt: self.block([stmt], self.module), stmt, self.module)

    def run_unit(self, action, stmt: ast.AST, frame: Frame) -> None:
        """One top-level statement (or a function nothing calls), within its own step allowance: a statement that
        needs more is left unevaluated (an info), and the rest of the file is still read."""
        if self.steps > MAX_STEPS:
            return
        self.allowance = min(self.steps + UNIT_STEPS, MAX_STEPS)
        try:
            action()
        except Return:
            pass
        except Budget:
            line = getattr(stmt, "lineno", 0)
            self.tracer.not_evaluated(self.source.lines[line - 1].strip()[:60] if line else "",
                                      location(stmt), "it takes more steps than a model definition: what it "
                                      "computes is not checked")
            if isinstance(stmt, ast.stmt):
                self.forget(stmt, frame)

    def tick(self) -> None:
        self.steps += 1
        if self.steps > self.allowance:
            raise Budget()

    def block(self, body: list[ast.stmt], frame: Frame) -> None:
        for stmt in body:
            self.tick()
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
                self.assign(target, value, frame, stmt.value)
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            self.assign(stmt.target, self.eval(stmt.value, frame), frame, stmt.value)
        elif isinstance(stmt, ast.AugAssign):
            left = self.eval(_load(stmt.target), frame)
            self.assign(stmt.target, self.binary(stmt.op, left, self.eval(stmt.value, frame), stmt), frame)
        elif isinstance(stmt, ast.Expr):
            self.eval(stmt.value, frame)
        elif isinstance(stmt, ast.Raise) and stmt.exc is not None:
            self.eval(stmt.exc, frame)  # `raise SystemExit(main())` runs main
        elif isinstance(stmt, ast.Return):
            raise Return(self.eval(stmt.value, frame) if stmt.value is not None else None)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            function = Function(stmt, frame, defaults=[self.eval(d, frame) for d in stmt.args.defaults],
                                kw_defaults=[None if d is None else self.eval(d, frame) for d in stmt.args.kw_defaults])
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
        elif isinstance(stmt, (ast.Global, ast.Nonlocal)):
            frame.global_names.update(stmt.names if isinstance(stmt, ast.Global) else ())

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
        if items is None or stmt.orelse or len(items) > MAX_LOOP:
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
        if type(value).__name__ == "TensorMethod" and value.name == "shape":  # for s in x.size()
            return list(self.frameworks.unpack(self, value, len(value.tensor.shape) + 1) or []) or None
        if isinstance(value, FrameworkObject) and hasattr(value, "items"):
            return value.items()
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
        self.tracer.muted += 1  # an error on a path that may never run is not reported: precision first
        try:
            for body in (getattr(stmt, "body", []), getattr(stmt, "orelse", [])):
                if isinstance(body, list):
                    try:
                        self.block(body, Frame(frame, frame.owner))
                    except Return:
                        pass
        finally:
            self.uncertain -= 1
            self.tracer.muted -= 1
        self.forget(stmt, frame)

    def _tensors_left_unchecked(self, stmt: ast.stmt, frame: Frame) -> None:
        """An info when the undecided statement changes a tensor whose shape was known: checking stops there."""
        names = self.assigned(stmt)
        if any(isinstance(frame.vars.get(name), _late.Sym) and frame.vars[name].known for name in names):
            head = getattr(stmt, "iter", None) or getattr(stmt, "test", None) or stmt
            self.tracer.not_evaluated(self.source.segment(head), location(head),
                                      "the tensors this block changes are not checked after it")

    def forget(self, stmt: ast.stmt, frame: Frame) -> None:
        for name in self.assigned(stmt):
            frame.vars[name] = Unknown(name)

    def assigned(self, stmt: ast.AST) -> frozenset:
        """The names a statement assigns anywhere inside it (cached: statements run many times)."""
        names = self._stores.get(id(stmt))
        if names is None:
            names = self._stores[id(stmt)] = frozenset(
                n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
        return names

    def assign(self, target: ast.expr, value: Any, frame: Frame, source: Optional[ast.expr] = None) -> None:
        if isinstance(target, ast.Name):
            if isinstance(value, FrameworkObject):
                value.named(target.id)
            scope = self.module if target.id in frame.global_names else frame
            if scope is self.module and isinstance(value, FrameworkObject) and hasattr(value, "variable"):
                value.variable = target.id  # `m = build_model()` at module level names the model `m`
            scope.vars[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            parts = self.frameworks.unpack(self, value, len(target.elts))
            if parts is None and isinstance(value, (tuple, list)) and len(value) == len(target.elts):
                parts = list(value)
            for i, element in enumerate(target.elts):
                self.assign(element, parts[i] if parts is not None else Unknown(self.source.segment(target)), frame)
        elif isinstance(target, ast.Attribute):
            owner = self.eval(target.value, frame)
            if hasattr(owner, "set_attribute"):
                owner.set_attribute(target.attr, Unknown(self.source.segment(target)) if self.uncertain else value)
            _late.attribute_assigned(self, owner, target, value, source)
        elif isinstance(target, ast.Subscript):
            self._assign_item(target, value, frame)

    def _assign_item(self, target: ast.Subscript, value: Any, frame: Frame) -> None:
        """cfg["in"] = 9, sizes[0] = 3: the container changes (to unknown under an undecided branch)."""
        container = self.eval(target.value, frame)
        if not isinstance(container, (dict, list)):
            return
        key = self.eval(target.slice, frame)
        if self.uncertain or not V.is_known(key) or isinstance(key, slice):
            if id(container) in self._poisoned:
                return  # already all unknown (a sieve's list written in an undecided loop: not rewritten each time)
            self._poisoned.add(id(container))
            self._keep.append(container)  # alive for the whole read, so that its id is never another list's
            if isinstance(container, dict):
                for k in list(container):
                    container[k] = Unknown(self.source.segment(target))
            else:
                container[:] = [Unknown(self.source.segment(target))] * len(container)
            return
        try:
            container[key] = value
        except (IndexError, TypeError):
            pass

    # --- expressions
    def eval(self, node: ast.expr, frame: Frame) -> Any:
        return _late.evaluate(self, node, frame)

    def binary(self, op: ast.operator, left: Any, right: Any, node: ast.AST) -> Any:
        if type(left) in _PLAIN and type(right) in _PLAIN:
            return V.binary(op, left, right, self.source.segment(node))
        if isinstance(left, _late.BatchSize) or isinstance(right, _late.BatchSize):
            return _batch_arithmetic(op, left, right)
        if isinstance(left, (FrameworkObject, _late.Sym)) or isinstance(right, (FrameworkObject, _late.Sym)):
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
            if callee.name == "setattr":  # setattr(self, f"fc{i}", nn.Linear(...)) registers a layer
                if len(args) == 3 and hasattr(args[0], "set_attribute"):
                    known = isinstance(args[1], str) and not self.uncertain
                    args[0].set_attribute(args[1] if isinstance(args[1], str) else "(setattr)",
                                          args[2] if known else Unknown("setattr"))
                return None
            if callee.name in ("zip", "enumerate"):
                sequences = [self.iterate(a) for a in args]
                if not sequences or any(seq is None for seq in sequences):
                    return Unknown(self.source.segment(node))
                if callee.name == "zip":
                    return list(zip(*sequences, strict=False))
                return list(enumerate(sequences[0]))
            return V.call_builtin(callee.name, args, self.source.segment(node))
        return Unknown(self.source.segment(node))

    def inline(self, function: Function, args: list, kwargs: dict, node: Optional[ast.AST]) -> Any:
        """Run a function of the file with the given arguments (missing ones: their default, else unknown)."""
        function.calls += 1
        self.tick()
        key = id(function.node)
        if self.depth >= MAX_DEPTH or (self.uncertain and self.active.get(key)):
            return Unknown(function.node.name)  # recursion under an undecided branch: each level would branch again
        frame = Frame(function.frame, function.node.name)
        self.bind(function, frame, args, kwargs)
        self.depth += 1
        self.active[key] = self.active.get(key, 0) + 1
        try:
            self.block(function.node.body, frame)
        except Return as result:
            return result.value
        finally:
            self.depth -= 1
            self.active[key] -= 1
        return None

    def bind(self, function: Function, frame: Frame, args: list, kwargs: dict) -> None:
        bind(self, function, frame, args, kwargs)

    def lookup(self, name: str, frame: Frame, node: ast.AST) -> Any:
        value = frame.lookup(name)
        if value is not MISSING:
            return value
        if name in self.source.imports:
            return Ref(self.source.qualname(ast.Name(name, ast.Load())) or self.source.imports[name])
        if name in V.BUILTINS or name in ("zip", "enumerate", "setattr"):
            return Builtin(name)
        if self.source.stars:
            from .source import star_name

            found = star_name(self.source, name)
            if found is not None:
                return Ref(found)
        return Unknown(name)


_PLAIN = (int, float, str, tuple, list, bool)


class _Late:
    """Modules that import this one, bound on first use (the reader's hot path must not run import statements)."""

    def __getattr__(self, name: str) -> Any:
        from . import expressions, torch_params, torch_views, trace

        self.evaluate, self.BatchSize, self.Sym = expressions.evaluate, torch_views.BatchSize, trace.Sym
        self.attribute_assigned = torch_params.attribute_assigned
        return getattr(self, name)


_late = _Late()


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


def _load(target: ast.expr) -> ast.expr:
    """The target of `x += y` read as a value (same node, Load context)."""
    import copy

    node = copy.copy(target)
    node.ctx = ast.Load()
    return node
