"""Which framework object a call makes: the table from canonical names (source.canonical) to constructors."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from . import torch_ops, torch_views
from .interpret import location
from .keras_code import KerasLayer, input_tensor, merge_function
from .keras_models import KerasFunctional, KerasSequential, KerasState
from .objects import LocalClass
from .signatures import KERAS_FUNCTIONS
from .torch_code import TorchLayer
from .torch_modules import Instance, ModuleList, Sequential, TorchState, literal_input
from .torch_params import tensor_parameter
from .trace import Sym
from .values import Unknown

KERAS_MODELS = {"keras.Sequential": KerasSequential, "keras.Model": KerasFunctional,
                "keras.Functional": KerasFunctional}  # keras.src.models.Functional: how keras.applications build
KERAS_INPUTS = ("keras.Input", "keras.layers.Input", "keras.layers.InputLayer")
TORCH_CONTAINERS = {"torch.nn.Sequential": Sequential, "torch.nn.ModuleList": ModuleList}
TORCH_LITERALS = ("torch.randn", "torch.rand", "torch.zeros", "torch.ones", "torch.randint", "torch.empty")


@dataclass(eq=False)
class TensorMethod:
    tensor: Sym
    name: str


class Frameworks:
    def __init__(self) -> None:
        self.keras = KerasState()
        self.torch = TorchState()

    def call(self, interp, qualname: str, node: ast.Call, args: list, kwargs: dict) -> Any:
        if qualname in KERAS_MODELS:
            return KERAS_MODELS[qualname](interp, node, args, kwargs)
        if qualname in KERAS_INPUTS:
            if qualname.endswith("InputLayer"):
                kwargs = {"shape": kwargs.get("input_shape", kwargs.get("shape")), **kwargs}
            return input_tensor(interp, node, args, kwargs)
        if qualname.startswith("keras.layers."):
            name = qualname.rsplit(".", 1)[-1]
            if name in KERAS_FUNCTIONS:
                return merge_function(interp, name, node, args, kwargs)
            return KerasLayer(interp, name, node, args, kwargs)
        if qualname in TORCH_CONTAINERS:
            module = TORCH_CONTAINERS[qualname](interp, node, args, kwargs)
            self.torch.modules.append(module)
            return module
        if qualname == "torch.nn.Parameter":
            return tensor_parameter(interp, node, args, kwargs)
        if qualname.startswith("torch.nn.") and qualname.count(".") == 2 and qualname[9:10].isupper():
            return TorchLayer(interp, qualname[9:], node, args, kwargs)
        if qualname in ("collections.OrderedDict", "dict") and len(args) <= 1 and not kwargs:
            pairs = args[0] if args else []
            if isinstance(pairs, (list, tuple)) and all(isinstance(p, (list, tuple)) and len(p) == 2 for p in pairs):
                return dict(pairs)
            return Unknown(interp.source.segment(node))
        if qualname in TORCH_LITERALS:
            return literal_input(interp, qualname, node, args, kwargs)
        if qualname.startswith(("torch.nn.functional.", "torch.")):
            return torch_ops.function(interp, qualname, node, args, kwargs)
        return Unknown(interp.source.segment(node))

    def instantiate(self, interp, cls: LocalClass, node: ast.Call, args: list, kwargs: dict) -> Any:
        if not cls.is_torch_module() or id(cls) in interp.instantiating:
            return Unknown(interp.source.segment(node) if node is not None else cls.node.name)
        cls.instances += 1
        interp.instantiating.add(id(cls))
        try:
            instance = Instance(interp, cls, node, args, kwargs)
        finally:
            interp.instantiating.discard(id(cls))
        self.torch.modules.append(instance)
        return instance

    def binary(self, interp, op: ast.operator, left: Any, right: Any, node: ast.AST) -> Any:
        return torch_ops.binary(interp, op, left, right, node)

    def unpack(self, interp, value: Any, count: int):
        """b, c, h, w = x.size() (or x.shape)."""
        if isinstance(value, TensorMethod) and value.name == "shape":
            found = torch_views.sizes(value.tensor)
            return found if len(found) == count else None
        return None

    def tensor_attribute(self, interp, tensor: Sym, name: str, node: ast.AST) -> Any:
        if name == "shape":
            return TensorMethod(tensor, "shape")
        if name in ("T", "data"):
            return tensor
        return TensorMethod(tensor, name)

    def tensor_call(self, interp, method: TensorMethod, node: ast.Call, args: list, kwargs: dict) -> Any:
        x = method.tensor
        if method.name == "size":
            if not args and "dim" not in kwargs:
                return TensorMethod(x, "shape")
            return torch_views.size_of(x, args[0] if args else kwargs["dim"])
        if method.name == "dim":
            return len(x.tensor.shape) + 1 if x.known else Unknown(interp.source.segment(node))
        if x.graph is None:
            return Unknown(interp.source.segment(node))
        return torch_ops.tensor_op(interp, x, method.name, node, dict(kwargs), list(args))

    def tensor_subscript(self, interp, owner: Any, index: Any, node: ast.AST) -> Any:
        if isinstance(owner, TensorMethod) and owner.name == "shape" and isinstance(index, int):
            return torch_views.size_of(owner.tensor, index)
        if isinstance(owner, TensorMethod) and owner.name == "shape" and isinstance(index, slice):
            return torch_views.sizes(owner.tensor)[index]  # x.size()[1:]: the sizes, batch aside
        if isinstance(owner, Sym) and owner.graph is not None and owner.known:
            return torch_views.index(interp, owner, index, node)
        if isinstance(owner, Sym) and owner.graph is not None:
            interp.tracer.not_modelled(interp.source.segment(node), location(node),
                                       "indexing a tensor is not modelled: shapes after it are not checked")
            return Sym(None, graph=owner.graph)
        return Unknown(interp.source.segment(node))

