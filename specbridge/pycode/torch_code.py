"""PyTorch model code: torch.nn layers, nn.Sequential / ModuleList containers, and the file's nn.Module classes.

A layer constructed in `__init__` is applied when `forward` calls it; both lines matter: the arguments (where a
wrong in_features is written: diagnostics point there) and the call. Sizes a layer declares (in_channels,
in_features, input_size, num_features) are checked against the tensor it reads, in PyTorch's words.
"""

from __future__ import annotations

import ast
from typing import Any, Optional

from ..diagnostics import codes
from ..diagnostics.model import Location
from ..shapes.errors import ShapeError
from ..shapes.records import Tensor, format_shape
from . import values as V
from .interpret import location
from .models import UNBATCHED
from .objects import FrameworkObject
from .signatures import TORCH_DEFAULTS, TORCH_POSITIONAL
from .torch_layers import TRANSLATORS, Translation, translate
from .torch_params import layer_members, module_method
from .torch_ranks import as_sample, split_sample
from .trace import Node, Sym
from .values import Unknown


class TorchLayer(FrameworkObject):
    def __init__(self, interp, class_name: str, node: ast.Call, args: list, kwargs: dict):
        self.class_name = class_name
        self.location = location(node)
        self.text = interp.source.segment(node, 200)
        self.owner: Any = None
        self.attr: Optional[str] = None
        self.params, self.arguments, self.arg_text = _bind(interp, class_name, node, args, kwargs)
        self.translation: Optional[Translation] = None
        if self.params is not None and _refused(interp, self):
            self.params = None
        if self.params is not None:
            try:
                self.translation = translate(class_name, self.params)
            except (KeyError, TypeError, ValueError, IndexError):
                self.translation = None
        self.param_list, self.buffer_list = layer_members(class_name, self.params)
        if self.params is not None and self.translation is None:
            interp.tracer.not_modelled(f"nn.{class_name}({', '.join(self.arg_text.values())})", self.location,
                                       "specbridge does not model it: shapes after it are not checked")

    @property
    def name(self) -> str:
        if self.attr is None:
            return self.class_name.lower()
        prefix = getattr(self.owner, "path", "")
        return f"{prefix}_{self.attr}" if prefix else self.attr

    def named(self, name: str) -> None:
        if self.attr is None:
            self.attr = name

    def members(self, out, prefix: str) -> None:
        """Its parameters and buffers into `out` (torch_params.Members)."""
        if self.param_list is None:
            out.unknown.append(f"nn.{self.class_name}({', '.join(self.arg_text.values())})")
            return
        for param in self.param_list:
            out.add(prefix, param.name, param)
        for buffer in self.buffer_list:
            out.add(prefix, buffer.name, buffer, buffer=True)

    def attribute(self, interp, name: str, node: ast.AST) -> Any:
        found = [p for p in self.param_list or [] if p.name == name]  # layer.weight.requires_grad = False
        return found[0] if found else super().attribute(interp, name, node)

    def call_method(self, interp, name: str, node: ast.Call, args: list, kwargs: dict) -> Any:
        return module_method(interp, self, name, node, args, kwargs)

    def call(self, interp, node: ast.Call, args: list, kwargs: dict) -> Any:
        x = args[0] if args else kwargs.get("input")
        unbatched = isinstance(x, Sym) and x.known and self.translation is not None and \
            len(x.tensor.shape) + 1 in self.translation.ranks.sample
        out = apply(interp, self, x, location(node))
        if self.class_name in ("LSTM", "GRU", "RNN"):
            state = HiddenState(self, out, unbatched) if isinstance(out, Sym) and out.known else \
                Unknown(f"{self.name}'s state")
            return (out, (state, state) if self.class_name == "LSTM" else state)
        return out

    def declared_hint(self, actual: int) -> str:
        """The constructor as it should read: nn.Linear(256, 120) -> nn.Linear(400, 120)."""
        return self.declared_hint_for(self.translation.declared_name, actual)

    def declared_hint_for(self, name: str, actual: int) -> str:
        written = self.arg_text.get(name)
        if written is None:
            return f"{self.text} with {name}={actual}"
        head, _, tail = self.text.partition("(")
        return head + "(" + tail.replace(written, str(actual), 1)


class HiddenState(FrameworkObject):
    """h_n (and c_n) of a recurrent layer: (num_layers * directions, batch, hidden); h_n[-1] is the last layer's.
    Unbatched: (num_layers * directions, hidden)."""

    def __init__(self, layer: TorchLayer, output: Sym, unbatched: bool = False):
        self.layer, self.output, self.unbatched = layer, output, unbatched
        self.stack = int(layer.params.get("num_layers", 1)) * (2 if layer.params.get("bidirectional") else 1)
        self.hidden = int(layer.params["hidden_size"])

    def subscript(self, interp, index: Any, node: ast.AST) -> Any:
        if not isinstance(index, int) or isinstance(index, bool) or not -self.stack <= index < self.stack:
            return Unknown(interp.source.segment(node))
        return self._one(interp, node)

    def call_method(self, interp, name: str, node: ast.Call, args: list, kwargs: dict) -> Any:
        if name == "squeeze" and args in ([0], [-3]) and self.stack == 1:
            return self._one(interp, node)
        return Unknown(interp.source.segment(node))

    def _one(self, interp, node: ast.AST) -> Sym:
        from .torch_views import shape_step

        hidden = Tensor(() if self.unbatched else (self.hidden,), self.output.tensor.dtype)
        state = shape_step(interp, self.output, node, f"{self.layer.name}_state", "a recurrent layer's final state",
                           hidden)
        if self.unbatched and state.known:
            state.batch = self.hidden  # h_n[-1] of one sample is a vector of `hidden` values
        return state


def _bind(interp, class_name: str, node: ast.Call, args: list, kwargs: dict):
    """(params with defaults, argument locations, argument source texts), or None params after an info."""
    order = TORCH_POSITIONAL.get(class_name)
    if order is None or class_name not in TRANSLATORS:
        interp.tracer.not_modelled(f"nn.{class_name}", location(node), "specbridge does not model this layer: "
                                   "shapes after it are not checked")
        return None, {}, {}
    params = dict(TORCH_DEFAULTS.get(class_name, {}))
    where: dict[str, Location] = {}
    texts: dict[str, str] = {}
    for i, (arg, value) in enumerate(zip(node.args, args, strict=False)):
        if i < len(order):
            params[order[i]] = value
            where[order[i]] = location(arg)
            texts[order[i]] = interp.source.segment(arg)
    for keyword in node.keywords:
        if keyword.arg:
            where[keyword.arg] = location(keyword)
            texts[keyword.arg] = interp.source.segment(keyword.value)
    params.update(kwargs)
    for key, value in params.items():
        if not V.plain(value) and key not in ("device", "dtype"):
            text = texts.get(key) or (value.expression if isinstance(value, Unknown) else type(value).__name__)
            interp.tracer.not_evaluated(text, where.get(key, location(node)),
                                        f"nn.{class_name}'s {key}: shapes from here on are not checked")
            return None, where, texts
    return params, where, texts


def _refused(interp, layer: TorchLayer) -> bool:
    """Arguments PyTorch itself refuses (at construction, or on the first forward): SB210 at the argument."""
    p, cls = layer.params, layer.class_name
    message = None
    if cls.startswith("Conv") and p.get("padding") == "same" and any(s != 1 for s in _ints(p.get("stride", 1))):
        message = "PyTorch raises \"padding='same' is not supported for strided convolutions\""
        key = "padding"
    elif cls[:7] in ("MaxPool", "AvgPool") and isinstance(p.get("padding"), (int, tuple, list)):
        kernel, pad = _ints(p.get("kernel_size")), _ints(p.get("padding"))
        dilation = _ints(p.get("dilation", 1)) if cls.startswith("Max") else (1,)
        spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilation * len(kernel) if len(dilation) == 1 else dilation, strict=False)]
        if len(pad) in (1, len(spans)) and any(q > s // 2 for q, s in zip(pad * len(spans) if len(pad) == 1 else pad,
                                                                           spans, strict=False)):
            message = (f"padding {p['padding']} is more than half the window {p['kernel_size']}: PyTorch fails with "
                       "\"pad should be at most half of effective kernel size\"")
            key = "padding"
    if message is None:
        return False
    interp.tracer.report(codes.INVALID_ARGUMENT(f"{layer.text}: {message}", layer=layer.name, file=interp.tracer.file,
                                                location=layer.arguments.get(key, layer.location),
                                                hint="padding='same' needs stride=1 in PyTorch: pad explicitly "
                                                     "(padding=k // 2) for a strided convolution"
                                                if key == "padding" and "same" in message else
                                                "use a padding of at most half the window"))
    return True


def _ints(value: Any) -> tuple:
    if isinstance(value, (list, tuple)):
        return tuple(v for v in value if isinstance(v, int))
    return (value,) if isinstance(value, int) and not isinstance(value, bool) else ()


def apply(interp, layer: TorchLayer, x: Any, where: Location) -> Any:
    """Run one layer on a tensor: check what it reads, then infer its steps."""
    graph = getattr(x, "graph", None)
    if not where.line:  # applied by an nn.Sequential the reader runs: the layer's own line
        where = layer.location
    if not isinstance(x, Sym) or layer.translation is None or graph is None:
        return Sym(None, graph=graph)
    tr = layer.translation
    if not x.known:
        if tr.derive is None:
            return x
        name = graph.add_input(f"{layer.name}_input", Tensor(tr.derive[1:]), layer.location)
        x = Sym(graph.inputs[name], name, graph, assumed=True)
    x = _embedding_ids(layer, x)
    rank = len(x.tensor.shape) + 1
    lifted = rank in tr.ranks.sample or tr.ranks.whole
    problem = _rank_problem(layer, x, rank)
    if problem is None and rank in tr.ranks.sample and x.batch is None:
        interp.tracer.not_modelled(f"nn.{layer.class_name} {layer.name!r} reads a {rank}-D tensor, which PyTorch "
                                   "takes as one unbatched sample whose first axis is the batch", where,
                                   "its size is not known statically: shapes after it are not checked",
                                   hint="state the input shape of one sample in full, without the batch axis")
        return Sym(None, graph=graph)
    if problem is None:
        x = _declared_size(layer, as_sample(x) if lifted else x)
        problem = _reads(layer, x)
    if problem is not None:
        if not x.assumed or problem.code is codes.CHANNEL_MISMATCH:
            at = layer.arguments.get(problem.argument, layer.location) if problem.argument else layer.location
            interp.tracer.report(problem.code(problem.message, hint=problem.hint, layer=layer.name, location=at,
                                              file=interp.tracer.file))
        return Sym(None, graph=graph)
    first = len(graph.nodes)
    for i, step in enumerate(tr.steps):
        suffix = "" if len(tr.steps) == 1 or i == len(tr.steps) - 1 else f"_{(step.layer or {}).get('type', 'step').lower()}"
        spec_layer, reason, shape = _at_rank(step, len(x.tensor.shape) + 1, layer.class_name)
        node = Node(graph.unique(layer.name + suffix), spec_layer, [x.producer], layer.location, where,
                    layer.arguments, reason, owner=layer if i == len(tr.steps) - 1 else None)
        x = interp.tracer.apply(graph, node, [x], f"nn.{layer.class_name} {layer.name!r}", _shape_fn(shape))
        if not x.known:
            break
    if lifted and x.known:
        x = split_sample(x, graph.nodes[first:], UNBATCHED if rank in tr.ranks.sample
                         else f"nn.{layer.class_name} over the batch axis")
    return x


def _at_rank(step, rank: int, class_name: str):
    """(spec layer, why not expressible, shape function) of a step on a tensor of `rank`: a spec layer made for
    another rank gives way to PyTorch's arithmetic (nn.Upsample on a 3-D tensor, nn.ZeroPad2d on a 2-D one)."""
    if step.layer is not None and step.rank is not None and rank != step.rank and step.shape is not None:
        return None, f"nn.{class_name} on a {rank}-D tensor", step.shape
    return step.layer, step.not_expressible, step.shape if step.layer is None else None


def _shape_fn(shape):
    if shape is None:
        return None

    def run(tensors: list[Tensor]) -> Tensor:
        try:
            return shape(tensors[0])
        except (ValueError, IndexError, TypeError) as exc:
            raise ShapeError(codes.INVALID_ARGUMENT, str(exc)) from None
    return run


def _declared_size(layer: TorchLayer, x: Sym) -> Sym:
    """An axis of unknown size that the layer declares (nn.Linear(100, 50) after a flatten of unknown size): its
    size is the declared one from here on (assumed: PyTorch fails right there otherwise)."""
    tr, t = layer.translation, x.tensor
    axis = _declared_axis(tr, t)
    if axis is None or t.shape[axis] is not None:
        return x
    shape = list(t.shape)
    shape[axis] = tr.declared
    return Sym(Tensor(tuple(shape), t.dtype), x.producer, x.graph, True, x.batch, x.flat_from, x.dtype_stated,
               x.high, x.fold)


def _declared_axis(tr: Translation, t: Tensor) -> Optional[int]:
    """Where in the per-sample shape the size the layer declares sits (in_channels: 0; in_features: -1), or None."""
    if tr.declared is None or tr.channel_axis is None:
        return None
    axis = tr.channel_axis - 1 if tr.channel_axis > 0 else tr.channel_axis
    return axis if -len(t.shape) <= axis < len(t.shape) else None


def _embedding_ids(layer: TorchLayer, x: Sym) -> Sym:
    """An input stated without a dtype (comment, --input-shape) that goes into nn.Embedding holds token ids."""
    if layer.class_name == "Embedding" and x.graph and x.producer in x.graph.inputs and not x.dtype_stated:
        ids = Tensor(x.tensor.shape, "int64")
        x.graph.inputs[x.producer] = ids
        return Sym(ids, x.producer, x.graph, x.assumed, x.batch, x.flat_from, x.dtype_stated, x.high, x.fold)
    return x


def _rank_problem(layer: TorchLayer, x: Sym, rank: int) -> Optional[ShapeError]:
    """PyTorch's error for a tensor of a rank the layer does not take (torch_ranks.py), or None."""
    ranks = layer.translation.ranks
    if ranks.accepts(rank):
        return None
    return ShapeError(codes.NDIM_MISMATCH, f"nn.{layer.class_name} {layer.name!r} expects a {ranks.words()} input, "
                      f"got {rank}-D {_full(x)}", hint=_rank_hint(layer, rank))


def _reads(layer: TorchLayer, x: Sym) -> Any:
    """What PyTorch raises for this input (a ShapeError), or None."""
    tr, t = layer.translation, x.tensor
    axis = _declared_axis(tr, t)
    if axis is not None:
        actual = t.shape[axis]
        if actual is not None and actual != tr.declared:
            return ShapeError(codes.CHANNEL_MISMATCH, _mismatch(layer, x, actual), hint=_fix(layer, x, actual),
                              argument=tr.declared_name)
    if layer.class_name == "Embedding" and x.high is not None and x.high > layer.params["num_embeddings"]:
        return ShapeError(codes.INVALID_ARGUMENT, f"{layer.text} has {layer.params['num_embeddings']} rows, but the "
                          f"token ids the file feeds it go up to {x.high - 1} (torch.randint(..., {x.high}, ...)): "
                          "PyTorch fails with \"IndexError: index out of range in self\"",
                          hint=f"num_embeddings must exceed the largest id: {layer.declared_hint_for('num_embeddings', x.high)}",
                          argument="num_embeddings")
    if tr.trailing is not None:
        tail = tuple(t.shape[-len(tr.trailing):]) if len(tr.trailing) <= len(t.shape) else None
        if tail is not None and None not in tail and tail != tuple(tr.trailing):
            return ShapeError(codes.CHANNEL_MISMATCH, f"nn.{layer.class_name} normalized_shape={list(tr.trailing)} but the "
                              f"input ends in {list(tail)}: {_full(x)}", hint=f"normalized_shape={list(tail)}",
                              argument="normalized_shape")
    return None


def _full(x: Sym) -> str:
    return format_shape(x.tensor.shape) if x.batch is None else "(" + ", ".join(
        str(d) for d in (x.batch, *x.tensor.shape)) + ")"


def _rank_hint(layer: TorchLayer, rank: int) -> str:
    if layer.class_name.startswith(("LSTM", "GRU", "RNN")):
        return "recurrent layers read (batch, time, features) with batch_first=True: add the time axis"
    return "check the layer before it (a missing flatten, or a flatten too early)"


def _mismatch(layer: TorchLayer, x: Sym, actual: int) -> str:
    tr, cls = layer.translation, layer.class_name
    batch = x.batch if x.batch is not None else "B"
    if cls == "Linear":
        out = layer.params["out_features"]
        return (f"{layer.text} expects {tr.declared} input features, but its input has {actual}: PyTorch fails with "
                f"\"mat1 and mat2 shapes cannot be multiplied ({batch}x{actual} and {tr.declared}x{out})\"")
    if cls.startswith(("LSTM", "GRU", "RNN")):
        return (f"{layer.text} expects input_size {tr.declared}, but its input has {actual} features per step: "
                f"PyTorch fails with \"input.size(-1) must be equal to input_size. Expected {tr.declared}, got {actual}\"")
    if cls == "GroupNorm":
        shape = ", ".join(str(d) for d in (x.batch if x.batch is not None else "N", *x.tensor.shape))
        return (f"{layer.text} normalizes {tr.declared} channels on axis 1, but its input has {actual} there: PyTorch "
                f"fails with \"Expected weight to be a vector of size equal to the number of channels in input, but "
                f"got weight of shape [{tr.declared}] and input of shape [{shape}]\"")
    if cls.startswith("BatchNorm"):
        return (f"{layer.text} normalizes {tr.declared} channels, but its input has {actual}: PyTorch fails with "
                f"\"running_mean should contain {actual} elements not {tr.declared}\"")
    shape = "" if x.assumed else f" {_full(x)}"
    return (f"{layer.text} expects {tr.declared} input channels, but its input{shape} has {actual}: PyTorch "
            f"fails with \"expected input to have {tr.declared} channels, but got {actual} channels instead\"")


def _fix(layer: TorchLayer, x: Sym, actual: int) -> str:
    where = ""
    if layer.class_name == "Linear" and x.flat_from:
        dims = [d for d in x.flat_from]
        where = f": the flattened input has {'*'.join(str(d) for d in dims)} = {actual} features"
    elif layer.class_name == "Linear":
        where = f": the input's last axis has {actual} features"
    else:
        noun = "feature" if layer.class_name.startswith(("LSTM", "GRU", "RNN")) else "channel"
        where = f": the input has {actual} {noun}{'' if actual == 1 else 's'}"
    return f"write {layer.declared_hint(actual)}{where}"
