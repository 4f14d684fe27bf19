"""PyTorch's own parameter counts of the models the reader built, for `summary`: what PyTorch users compare against.

`sum(p.numel() for p in model.parameters())` counts each parameter once (a layer used twice, or assigned to two
attributes, once), over every module the model registers, used by forward() or not; trainable is what
`requires_grad` says (`requires_grad_(False)`, `p.requires_grad = False` in a loop over `parameters()`); buffers
(BatchNorm's running_mean, running_var, num_batches_tracked; `register_buffer`) are not parameters, and are shown
apart, as torchinfo does. Keras counts BatchNorm's statistics as non-trainable parameters: that is the spec's count,
not this one. A count that depends on something the reader does not know is unknown, never guessed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Optional

from .objects import FrameworkObject
from .values import Unknown

PARAM_BYTES = 4  # float32, PyTorch's default dtype
INDEX_BYTES = 8  # num_batches_tracked is an int64
GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}


class Param(FrameworkObject):
    """One parameter (or buffer): its size, and whether it requires a gradient (True, False, or Unknown)."""

    def __init__(self, name: str, numel: Optional[int], itemsize: int = PARAM_BYTES, requires_grad: Any = True):
        self.name, self.numel, self.itemsize, self.requires_grad = name, numel, itemsize, requires_grad

    def set_attribute(self, name: str, value: Any) -> None:
        if name == "requires_grad":
            self.requires_grad = value if isinstance(value, bool) else Unknown("requires_grad")

    def call_method(self, interp, name: str, node, args: list, kwargs: dict) -> Any:
        if name == "requires_grad_":
            self.set_attribute("requires_grad", grad_flag(interp, args, kwargs))
            return self
        if name == "numel" and self.numel is not None:
            return self.numel
        return Unknown(interp.source.segment(node))


def grad_flag(interp, args: list, kwargs: dict) -> Any:
    """The value of requires_grad_(...) (True when none is given), Unknown under an undecided branch."""
    value = args[0] if args else kwargs.get("requires_grad", True)
    return Unknown("requires_grad") if interp.uncertain or not isinstance(value, bool) else value


def _size(shape: tuple) -> int:
    return math.prod(shape)


def parameters_of(cls: str, p: dict) -> Optional[list[tuple[str, int]]]:
    """(name, numel) of each parameter, in PyTorch's order (named_parameters), of the torch.nn layer `cls`."""
    if cls.startswith(("Conv", "ConvTranspose")):
        k = math.prod(p["kernel_size"]) if isinstance(p["kernel_size"], (tuple, list)) else \
            p["kernel_size"] ** _rank(cls)
        cin, cout, groups = p["in_channels"], p["out_channels"], p.get("groups", 1)
        weight = cin * (cout // groups) * k if cls.startswith("ConvTranspose") else cout * (cin // groups) * k
        return [("weight", weight)] + ([("bias", cout)] if p.get("bias", True) else [])
    if cls == "Linear":
        return [("weight", p["out_features"] * p["in_features"])] + (
            [("bias", p["out_features"])] if p.get("bias", True) else [])
    if cls.startswith("BatchNorm") or cls == "GroupNorm":
        channels = p["num_features"] if cls.startswith("BatchNorm") else p["num_channels"]
        if not p.get("affine", True):
            return []
        return [("weight", channels)] + ([("bias", channels)] if p.get("bias", True) else [])
    if cls == "LayerNorm":
        shape = p["normalized_shape"]
        size = _size(tuple(shape)) if isinstance(shape, (tuple, list)) else shape
        if not p.get("elementwise_affine", True):
            return []
        return [("weight", size)] + ([("bias", size)] if p.get("bias", True) else [])
    if cls == "RMSNorm":
        shape = p["normalized_shape"]
        size = _size(tuple(shape)) if isinstance(shape, (tuple, list)) else shape
        return [("weight", size)] if p.get("elementwise_affine", True) else []
    if cls in GATES:
        return _recurrent(cls, p)
    if cls == "Embedding":
        return [("weight", p["num_embeddings"] * p["embedding_dim"])]
    return []  # pooling, activations, dropout, reshaping, padding, upsampling: no parameters


def _rank(cls: str) -> int:
    return int(cls[-2]) if cls[-2:-1].isdigit() else 1


def _recurrent(cls: str, p: dict) -> list[tuple[str, int]]:
    hidden, proj = p["hidden_size"], p.get("proj_size", 0) or 0
    gates = GATES[cls] * hidden
    directions = 2 if p.get("bidirectional") else 1
    out = []
    for layer in range(int(p.get("num_layers", 1))):
        inputs = p["input_size"] if layer == 0 else (proj or hidden) * directions
        for suffix in ("", "_reverse")[:directions]:
            tag = f"_l{layer}{suffix}"
            out += [(f"weight_ih{tag}", gates * inputs), (f"weight_hh{tag}", gates * (proj or hidden))]
            if p.get("bias", True):
                out += [(f"bias_ih{tag}", gates), (f"bias_hh{tag}", gates)]
            if proj:
                out.append((f"weight_hr{tag}", proj * hidden))
    return out


def buffers_of(cls: str, p: dict) -> list[tuple[str, int, int]]:
    """(name, numel, bytes per value) of each buffer: BatchNorm's running statistics."""
    if cls.startswith("BatchNorm") and p.get("track_running_stats", True):
        c = p["num_features"]
        return [("running_mean", c, PARAM_BYTES), ("running_var", c, PARAM_BYTES),
                ("num_batches_tracked", 1, INDEX_BYTES)]
    return []


def layer_members(cls: str, p: Optional[dict]) -> tuple[Optional[list[Param]], Optional[list[Param]]]:
    """A layer's Param objects and buffers (None, None when its arguments are not known)."""
    if p is None:
        return None, None
    try:
        params = [Param(name, numel) for name, numel in parameters_of(cls, p) or []]
        buffers = [Param(name, numel, size, requires_grad=False) for name, numel, size in buffers_of(cls, p)]
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None, None
    if any(not isinstance(m.numel, int) or isinstance(m.numel, bool) for m in params + buffers):
        return None, None
    return params, buffers


def tensor_parameter(interp, node, args: list, kwargs: dict) -> Any:
    """nn.Parameter(torch.randn(5)) / nn.Parameter(torch.zeros(1, 8), requires_grad=False)."""
    from .trace import Sym

    data = args[0] if args else kwargs.get("data")
    flag = args[1] if len(args) > 1 else kwargs.get("requires_grad", True)
    numel = _numel(data) if isinstance(data, Sym) else None
    return Param("", numel, requires_grad=flag if isinstance(flag, bool) else Unknown("requires_grad"))


def _numel(sym) -> Optional[int]:
    """The size of a literal tensor (torch.zeros(3, 4)): its first axis times the rest, when all are known."""
    if not sym.known or sym.batch is None or None in sym.tensor.shape:
        return None
    return sym.batch * _size(tuple(sym.tensor.shape))


def registered(sym: Any, name: str, buffer: bool) -> Param:
    """self.register_buffer(name, tensor) / self.register_parameter(name, nn.Parameter(...))."""
    if isinstance(sym, Param):
        return sym
    from .trace import Sym

    return Param(name, _numel(sym) if isinstance(sym, Sym) else None, requires_grad=not buffer)


@dataclass
class Members:
    """The parameters and buffers a module registers, each once, and why the list may be incomplete."""

    params: list[tuple[str, Param]] = field(default_factory=list)
    buffers: list[tuple[str, Param]] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    _seen: set = field(default_factory=set)

    def add(self, prefix: str, name: str, member: Param, buffer: bool = False) -> None:
        if id(member) in self._seen:
            return
        self._seen.add(id(member))
        (self.buffers if buffer else self.params).append((prefix + (name or member.name), member))
        if member.numel is None:
            self.unknown.append(f"the size of {prefix + (name or member.name)}")

    def module(self, prefix: str, value: Any, what: str) -> None:
        """A registered child (a layer, a container, a module of the file), or something that may be one."""
        if hasattr(value, "members"):
            value.members(self, prefix)
        elif isinstance(value, Param):
            self.add(prefix[:-1], "", value)
        else:
            self.unknown.append(what)


@dataclass
class TorchCounts:
    """A PyTorch model's totals (None: not known statically, `unknown` says why) and each node's share."""

    total: Optional[int]
    trainable: Optional[int]
    buffers: Optional[int]
    buffer_bytes: Optional[int]
    unknown: Optional[str] = None
    trainable_unknown: Optional[str] = None
    layers: dict = field(default_factory=dict)  # node name -> (params, trainable or None)
    shared: frozenset = frozenset()  # nodes of a layer counted at an earlier node


def model_counts(module: Any, nodes: list, grad_note: Optional[str]) -> TorchCounts:
    """The counts of the model `module` (its whole module tree), shared out over the nodes of its graph."""
    members = Members()
    module.members(members, "")
    layers, shared, seen = {}, set(), set()
    for node in nodes:
        owner = getattr(node, "owner", None)
        if owner is None:
            continue
        if id(owner) in seen:
            shared.add(node.name)
            continue
        seen.add(id(owner))
        params = getattr(owner, "param_list", None) or []
        layers[node.name] = (sum(p.numel for p in params), None if grad_note else _trainable(params))
    unknown = ", ".join(members.unknown[:3]) + (", ..." if len(members.unknown) > 3 else "") or None
    params = [p for _, p in members.params]
    trainable = _trainable(params)
    grad_unknown = grad_note or (None if trainable is not None else
                                 "requires_grad is changed where the reader cannot decide")
    return TorchCounts(
        None if unknown else sum(p.numel for p in params),
        None if unknown or grad_unknown else trainable,
        None if unknown else sum(b.numel for _, b in members.buffers),
        None if unknown else sum(b.numel * b.itemsize for _, b in members.buffers),
        unknown=f"not known statically: {unknown}" if unknown else None,
        trainable_unknown=f"not known statically: {grad_unknown}" if grad_unknown else None, layers=layers,
        shared=frozenset(shared))


def _trainable(params: list) -> Optional[int]:
    if any(not isinstance(p.requires_grad, bool) or p.numel is None for p in params):
        return None
    return sum(p.numel for p in params if p.requires_grad)


MODULE_ITSELF = ("to", "eval", "train", "cuda", "cpu", "double", "float", "half", "share_memory")


def module_method(interp, module: Any, name: str, node, args: list, kwargs: dict) -> Any:
    """What a layer or module's methods return: itself (`.to(device)`, `.eval()`), its parameters, and
    `requires_grad_(False)`, which freezes every parameter under it."""
    if name in MODULE_ITSELF:
        return module
    if name not in ("requires_grad_", "parameters", "named_parameters", "buffers", "named_buffers") or \
            kwargs.get("recurse", True) is not True:
        return Unknown(interp.source.segment(node))
    members = Members()
    module.members(members, "")
    if name == "requires_grad_":
        flag = grad_flag(interp, args, kwargs)
        for _, param in members.params:
            param.requires_grad = flag
        return module
    if members.unknown:
        return Unknown(interp.source.segment(node))
    items = members.buffers if name.endswith("buffers") else members.params
    return [pair for pair in items] if name.startswith("named") else [member for _, member in items]


# Calls whose value is never a module: an unknown attribute set from them (self.device = torch.device(...)) does not
# leave the parameter count unknown.
NOT_MODULES = ("math.", "numpy.", "torch.nn.functional.", "torch.nn.init.", "torch.device", "torch.tensor",
               "torch.as_tensor", "torch.zeros", "torch.ones", "torch.full", "torch.empty", "torch.arange",
               "torch.linspace", "torch.rand", "torch.eye", "torch.finfo", "torch.iinfo", "torch.float", "torch.int",
               "torch.long", "torch.double", "torch.bool", "torch.sqrt", "torch.exp", "torch.log")


def attribute_assigned(interp, owner: Any, target, value: Any, source) -> None:
    """`owner.attr = value` seen by the reader: requires_grad set on something it does not model leaves trainable
    counts unknown; an unknown value that cannot be a module does not make a module's count unknown."""
    from .trace import Sym

    if target.attr == "requires_grad" and not isinstance(owner, (Param, Sym)):  # a tensor is no parameter
        interp.tracer.grad_note = (f"requires_grad is set on {interp.source.segment(target.value)} at line "
                                   f"{target.lineno}, which the reader does not follow")
    if isinstance(value, Unknown) and source is not None and hasattr(owner, "not_modules") and \
            not interp.uncertain and not _maybe_module(interp, source):
        owner.not_modules.add(target.attr)


def _maybe_module(interp, node) -> bool:
    import ast

    if isinstance(node, (ast.Constant, ast.BinOp, ast.UnaryOp, ast.Compare, ast.BoolOp, ast.JoinedStr)):
        return False
    if isinstance(node, (ast.Tuple, ast.List)):
        return False  # a plain list of layers is not registered (PyTorch counts only nn.ModuleList's)
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name) and node.func.id in ("int", "float", "str", "bool", "len", "tuple",
                                                                 "list", "dict", "min", "max", "sum", "round"):
            return False
        qualname = interp.source.qualname(node.func) or ""
        return not qualname.startswith(NOT_MODULES)
    return True
