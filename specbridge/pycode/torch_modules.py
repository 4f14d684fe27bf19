"""PyTorch containers and the file's own nn.Module classes, as the reader runs them.

An instance of a class defined in the file runs its `__init__` (layers assigned to self are named after the
attribute), and calling it runs its `forward` with symbolic tensors. A model is a top-level module (one that is
not a child of another): it is run on the input the code states (a `# specbridge: input (...)` comment,
--input-shape, or a literal torch.randn(...) that the file passes to it), else on what its first layer declares.
"""

from __future__ import annotations

import ast
from typing import Any, Optional

from ..diagnostics.model import Location
from ..shapes.records import Tensor
from . import values as V
from .interpret import location
from .objects import BoundMethod, FrameworkObject, Function, LocalClass
from .torch_code import TorchLayer
from .torch_params import MODULE_ITSELF, Param, module_method, registered
from .trace import Graph, Sym
from .values import Unknown

# nn.Module's own methods the reader follows on a module of the file (when the class does not define them).
NN_MODULE_METHODS = frozenset(MODULE_ITSELF + ("add_module", "register_module", "register_parameter", "register_buffer",
                                               "requires_grad_", "parameters", "named_parameters", "buffers",
                                               "named_buffers", "forward"))


class Module(FrameworkObject):
    """What containers and instances share: a place in the module tree (for names) and model bookkeeping."""

    framework = "torch"

    def __init__(self, node: ast.AST, default_name: str):
        self.node = node
        self.location = location(node)
        self.owner: Any = None
        self.attr: Optional[str] = None
        self.default_name = default_name
        self.variable: Optional[str] = None
        self.runs: list = []  # (graph, inputs, outputs) of each forward the reader ran as a model
        self.stated_input: Optional[tuple] = None

    def node_for_budget(self) -> ast.AST:
        return self.node

    @property
    def path(self) -> str:
        if self.owner is None:
            return ""
        prefix = getattr(self.owner, "path", "")
        return f"{prefix}_{self.attr}" if prefix else (self.attr or "")

    @property
    def name(self) -> str:
        return self.variable or self.default_name

    def named(self, name: str) -> None:
        if self.variable is None:
            self.variable = name

    def adopt(self, child: Any, attr: str) -> None:
        if isinstance(child, (TorchLayer, Module)) and child.owner is None:
            child.owner, child.attr = self, attr

    def call_method(self, interp, name: str, node: ast.Call, args: list, kwargs: dict) -> Any:
        if name == "forward":
            return self.call(interp, node, args, kwargs)
        return module_method(interp, self, name, node, args, kwargs)

    def call(self, interp, node: ast.Call, args: list, kwargs: dict) -> Any:
        if args and isinstance(args[0], Sym) and args[0].graph is None and self.owner is None:
            return interp.torch.run_model(interp, self, list(args), location(node))  # model(torch.randn(...))
        return self.forward(interp, node, args, kwargs)

    def forward(self, interp, node: ast.Call, args: list, kwargs: dict) -> Any:
        raise NotImplementedError


class Sequential(Module):
    def __init__(self, interp, node: ast.Call, args: list, kwargs: dict):
        super().__init__(node, "sequential")
        self.children: list[Any] = []
        self.child_names: list[str] = []  # what PyTorch registers each child as ("0", or an OrderedDict key)
        self.complete = True
        names = None
        if len(args) == 1 and isinstance(args[0], dict):  # nn.Sequential(OrderedDict([...]))
            names = [str(k) for k in args[0]]
            args = list(args[0].values())
        for i, child in enumerate(args):
            self.add_child(child, names[i] if names else str(i))

    def add_child(self, child: Any, name: str) -> None:
        self.children.append(child)
        self.child_names.append(name)
        self.adopt(child, name)

    def members(self, out, prefix: str) -> None:
        if not self.complete:
            out.unknown.append(f"what {self.default_name} {self.name!r} holds")
        for name, child in zip(self.child_names, self.children, strict=True):
            out.module(f"{prefix}{name}.", child, f"{self.name}[{name}]")

    def items(self) -> list:
        return list(self.children)

    def subscript(self, interp, index: Any, node: ast.AST) -> Any:
        if isinstance(index, int) and -len(self.children) <= index < len(self.children):
            return self.children[index]
        if isinstance(index, slice) and self.complete:
            return list(self.children[index])
        return Unknown(interp.source.segment(node))

    def call_method(self, interp, name: str, node: ast.Call, args: list, kwargs: dict) -> Any:
        if name in ("append", "add_module") and args:
            child = args[-1]
            if interp.uncertain:
                self.complete = False
            else:
                self.add_child(child, str(args[0]) if name == "add_module" else str(len(self.children)))
            return None if name == "add_module" else self
        if name == "extend" and args and isinstance(args[0], (list, tuple)):
            for child in args[0]:
                self.call_method(interp, "append", node, [child], {})
            return self
        return super().call_method(interp, name, node, args, kwargs)

    def forward(self, interp, node: ast.Call, args: list, kwargs: dict) -> Any:
        x = args[0] if args else Unknown("no input")
        if not self.complete:
            return Sym(None, graph=getattr(x, "graph", None))
        for child in self.children:
            if not isinstance(child, (TorchLayer, Module)):
                if isinstance(x, Sym) and x.known:
                    what = child.expression if isinstance(child, Unknown) else type(child).__name__
                    interp.tracer.not_modelled(f"nn.Sequential {self.name!r} holds {what}", self.location,
                                               "specbridge does not model it: shapes after it are not checked")
                return Sym(None, graph=getattr(x, "graph", None))
            x = interp.call(child, node, [x], {}, interp.module)
            if isinstance(x, tuple) and child.__class__.__name__ == "TorchLayer":
                x = x[0]
        return x


class ModuleList(Sequential):
    def __init__(self, interp, node: ast.Call, args: list, kwargs: dict):
        items = args[0] if args else kwargs.get("modules", [])
        super().__init__(interp, node, list(items) if isinstance(items, (list, tuple)) else [], {})
        if not isinstance(items, (list, tuple)):
            self.complete = False
        self.default_name = "module_list"

    def forward(self, interp, node: ast.Call, args: list, kwargs: dict) -> Any:
        return Unknown("calling an nn.ModuleList")


class Instance(Module):
    """An object of an nn.Module subclass the file defines."""

    def __init__(self, interp, cls: LocalClass, node: Optional[ast.Call], args: list, kwargs: dict):
        super().__init__(node if node is not None else cls.node, cls.node.name)
        self.cls = cls
        self.attributes: dict[str, Any] = {}
        self.buffers: dict[str, Any] = {}  # register_buffer
        self.not_modules: set[str] = set()  # unknown attributes that cannot be modules (self.device = torch.device(...))
        self.class_location = location(cls.node)
        found = cls.method("__init__")
        if found is not None:
            interp.inline(Function(found[0], found[1].frame, bound_self=self), args, kwargs, node)

    def set_attribute(self, name: str, value: Any) -> None:
        self.attributes[name] = value
        self.not_modules.discard(name)
        self.adopt(value, name)

    def call_method(self, interp, name: str, node: ast.Call, args: list, kwargs: dict) -> Any:
        if name in ("add_module", "register_module", "register_parameter", "register_buffer") and len(args) >= 2 \
                and isinstance(args[0], str):
            value = Unknown(args[0]) if interp.uncertain else args[1]
            if name == "register_buffer":
                self.buffers[args[0]] = registered(value, args[0], buffer=True)
            else:
                self.set_attribute(args[0], registered(value, args[0], False) if name == "register_parameter"
                                   else value)
            return None
        return super().call_method(interp, name, node, args, kwargs)

    def members(self, out, prefix: str) -> None:
        for name, value in self.attributes.items():
            if isinstance(value, (TorchLayer, Module, Param)) or (isinstance(value, Unknown) and
                                                                  name not in self.not_modules):
                out.module(f"{prefix}{name}.", value, f"self.{name} of {self.cls.node.name}")
        for name, buffer in self.buffers.items():
            out.add(prefix, name, buffer, buffer=True)

    def get_attribute(self, interp, name: str, node: ast.AST) -> Any:
        if name in self.attributes:
            return self.attributes[name]
        found = self.cls.method(name)
        if found is not None:
            return Function(found[0], found[1].frame, bound_self=self)
        if name in NN_MODULE_METHODS:  # self.register_buffer(...), net.requires_grad_(False), net.eval()
            return BoundMethod(self, name)
        return Unknown(interp.source.segment(node))

    def attribute(self, interp, name: str, node: ast.AST) -> Any:
        return self.get_attribute(interp, name, node)

    def forward(self, interp, node: ast.Call, args: list, kwargs: dict) -> Any:
        found = self.cls.method("forward")
        if found is None:
            return Unknown(f"{self.cls.node.name}.forward")
        return interp.inline(Function(found[0], found[1].frame, bound_self=self), args, kwargs, node)


def literal_input(interp, qualname: str, node: ast.Call, args: list, kwargs: dict) -> Any:
    """torch.randn(2, 1, 28, 28) / torch.zeros((2, 3)) / torch.randint(0, 10, (2, 40)): a tensor of known shape,
    not yet in any model (the model it is passed to takes it as its input)."""
    function = qualname.rsplit(".", 1)[-1]
    dtype, stated, high = "float32", False, None
    if function == "randint":  # randint(high, size) or randint(low, high, size)
        size = args[2] if len(args) > 2 else (args[1] if len(args) == 2 and isinstance(args[1], (tuple, list))
                                              else kwargs.get("size"))
        dtype, stated = "int64", True
        high = args[1] if len(args) > 2 else (args[0] if len(args) == 2 else kwargs.get("high"))
    else:
        size = args[0] if len(args) == 1 and isinstance(args[0], (tuple, list)) else (
            tuple(args) if args else kwargs.get("size"))
    if isinstance(kwargs.get("dtype"), object) and "dtype" in kwargs:
        from .objects import Ref

        kind = kwargs["dtype"].qualname.rsplit(".", 1)[-1] if isinstance(kwargs["dtype"], Ref) else None
        dtype, stated = ({"long": "int64", "int64": "int64", "int": "int32", "int32": "int32", "float64": "float64",
                          "double": "float64"}.get(kind or "", "float32"), True)
    shape = V.literal_shape(size) if size is not None else None
    if shape is None or len(shape) < 1 or None in shape:
        return Unknown(interp.source.segment(node))
    return Sym(Tensor(tuple(shape[1:]), dtype), None, None, batch=shape[0], dtype_stated=stated,
               high=high if isinstance(high, int) and not isinstance(high, bool) else None)


class TorchState:
    """Per file: the module objects made, and the models the reader ran."""

    def __init__(self) -> None:
        self.modules: list[Module] = []
        self.matched_inputs: set[str] = set()  # the model names of --input-shape NAME=... that a model has

    def run_model(self, interp, module: Module, inputs: list[Sym], where: Location) -> Any:
        graph = Graph("torch", "channels_first")
        syms = []
        for i, given in enumerate(inputs):
            name = graph.add_input("input_layer" if len(inputs) == 1 else f"input_{i}", given.tensor, where)
            syms.append(Sym(given.tensor, name, graph, batch=given.batch, dtype_stated=given.dtype_stated,
                            high=given.high))
        output = module.forward(interp, None, syms, {})
        module.runs.append((graph, [s.producer for s in syms], output))
        return output

    def run_unstated(self, interp, module: Module) -> None:
        """A model no line runs: from its stated shape, else from what its first layer declares."""
        graph = Graph("torch", "channels_first")
        stated = module.stated_input or []
        syms = []
        for i, given in enumerate(stated):  # Input objects (inputs.py): shape and dtype
            tensor = Tensor(tuple(given.shape), given.dtype)
            name = graph.add_input("input_layer" if len(stated) == 1 else f"input_{i}", tensor, module.location)
            syms.append(Sym(tensor, name, graph, dtype_stated=given.dtype_stated))
        if stated:
            _check_arity(interp, module, len(stated))
        output = module.forward(interp, None, syms or [Sym(None, graph=graph)], {})
        module.runs.append((graph, [s.producer for s in syms], output))


def _check_arity(interp, module: Module, count: int) -> None:
    """An info when the stated inputs do not fit forward()'s parameters (PyTorch would raise a TypeError)."""
    if not isinstance(module, Instance) or module.cls.method("forward") is None:
        return
    spec = module.cls.method("forward")[0].args
    positional = len(spec.posonlyargs) + len(spec.args) - 1  # without self
    required = positional - len(spec.defaults)
    if spec.vararg is None and count > positional or count < required:
        takes = f"{required}" if required == positional else f"{required} to {positional}"
        interp.tracer.not_evaluated(f"{count} stated input{'s' if count != 1 else ''} for "
                                    f"{module.cls.node.name}.forward, which takes {takes}", module.class_location,
                                    "PyTorch would raise a TypeError: state one shape per input of forward")
