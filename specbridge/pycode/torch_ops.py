"""The functions and tensor methods a forward() calls: F.relu, torch.flatten, x.view(x.size(0), -1), torch.cat...

Each becomes a spec layer when one expresses it (Flatten, Concatenate, Add, an activation...), else a shape-only
step with PyTorch's size arithmetic. An operation the reader does not know makes the tensor unknown (with an
info diagnostic): nothing after it is checked, nothing is guessed.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any, Optional

from ..diagnostics import codes
from ..shapes.records import Tensor
from .interpret import location
from .signatures import TORCH_FUNCTIONS
from .torch_layers import translate
from .trace import Node, Sym
from .values import Unknown, plain

ELEMENTWISE = {"relu": "relu", "relu6": "relu6", "gelu": "gelu", "silu": "silu", "sigmoid": "sigmoid",
               "tanh": "tanh", "elu": "elu", "selu": "selu", "mish": "mish", "softplus": "softplus",
               "hardswish": "hard_swish"}
IDENTITY = {"dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "contiguous", "float", "detach",
            "clone", "to", "cpu", "cuda", "type_as", "relu_"}




def function(interp, qualname: str, node: ast.Call, args: list, kwargs: dict) -> Any:
    """torch.nn.functional.* and torch.* applied to a symbolic tensor (the first argument, or a list for cat)."""
    name = qualname.rsplit(".", 1)[-1]
    params = _bind(TORCH_FUNCTIONS.get(qualname, ()), args, kwargs)
    if name in ("cat", "concat", "concatenate"):
        return _concat(interp, node, params.get("tensors", args[0] if args else None), params.get("dim", 0))
    x = params.get("input", args[0] if args else None)
    if not isinstance(x, Sym):
        return Unknown(interp.source.segment(node))
    return tensor_op(interp, x, name, node, params, args[1:])


def _bind(order: tuple, args: list, kwargs: dict) -> dict:
    out = dict(zip(order, args, strict=False))
    out.update(kwargs)
    return out


def tensor_op(interp, x: Sym, name: str, node: ast.Call, params: dict, rest: list) -> Any:
    if name in IDENTITY:
        return x
    if not x.known:
        return x
    if name in ELEMENTWISE:
        return step(interp, x, node, {"type": "Activation", "activation": ELEMENTWISE[name]}, name)
    if name == "leaky_relu":
        return step(interp, x, node, {"type": "LeakyReLU", "negative_slope": params.get("negative_slope", 0.01)}, name)
    if name in ("softmax", "log_softmax"):
        dim = params.get("dim", rest[0] if rest else None)
        return step(interp, x, node, {"type": "Softmax", "axis": -1 if dim is None else dim}, name,
                     None if name == "softmax" else "log_softmax")
    if name in ("flatten",):
        start = params.get("start_dim", rest[0] if rest else 0)  # torch.flatten(x) and x.flatten() start at 0
        end = params.get("end_dim", rest[1] if len(rest) > 1 else -1)
        return _flatten(interp, x, node, start, end)
    pool = _pool_class(name)
    if pool is not None:
        layer_params = {k: v for k, v in params.items() if k != "input"}
        for key, value in zip(_POOL_ORDER[pool[1]], rest, strict=False):
            layer_params.setdefault(key, value)
        return _layer_step(interp, x, node, pool[0], layer_params)
    if name in ("view", "reshape"):
        from .torch_views import reshape

        return reshape(interp, x, node, rest if not (len(rest) == 1 and isinstance(rest[0], (tuple, list)))
                       else list(rest[0]))
    if name in ("mean", "sum", "amax", "max") and (rest or "dim" in params):
        return _reduce(interp, x, node, params.get("dim", rest[0] if rest else None), params.get("keepdim", False))
    if name in ("squeeze", "unsqueeze", "permute", "transpose"):
        return _axes(interp, x, node, name, params, rest)
    interp.tracer.not_modelled(f"{interp.source.segment(node)}", location(node),
                               "specbridge does not model this operation: shapes after it are not checked")
    return Sym(None, graph=x.graph)


_POOL_ORDER = {"pool": ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"),
               "maxpool": ("kernel_size", "stride", "padding", "dilation", "ceil_mode"),
               "adaptive": ("output_size",)}


def _pool_class(name: str) -> Optional[tuple[str, str]]:
    for kind, cls in (("max_pool", "MaxPool"), ("avg_pool", "AvgPool")):
        for n in (1, 2, 3):
            if name == f"{kind}{n}d":
                return f"{cls}{n}d", "maxpool" if kind == "max_pool" else "pool"
            if name == f"adaptive_{kind}{n}d":
                return f"Adaptive{cls}{n}d", "adaptive"
    return None


def _layer_step(interp, x: Sym, node: ast.Call, class_name: str, params: dict) -> Any:
    """F.max_pool2d(x, 2) is nn.MaxPool2d(2)(x): the same translation."""
    from .signatures import TORCH_DEFAULTS
    from .torch_code import TorchLayer, apply

    layer = TorchLayer.__new__(TorchLayer)
    layer.class_name, layer.location, layer.text = class_name, location(node), interp.source.segment(node, 200)
    layer.owner, layer.attr, layer.arguments, layer.arg_text = None, class_name.lower(), {}, {}
    layer.param_list, layer.buffer_list = [], []  # pooling and flattening: no parameters
    layer.params = {**TORCH_DEFAULTS.get(class_name, {}), **params}
    unknown = [k for k, v in layer.params.items() if not plain(v)]
    if unknown:
        interp.tracer.not_evaluated(interp.source.segment(node), location(node),
                                    f"its {unknown[0]} is not known statically: shapes after it are not checked")
        return Sym(None, graph=x.graph)
    try:
        layer.translation = translate(class_name, layer.params)
    except (KeyError, TypeError, ValueError):
        return Unknown(interp.source.segment(node))
    return apply(interp, layer, x, location(node))


def step(interp, x: Sym, node: ast.AST, layer: Optional[dict], name: str, reason: Optional[str] = None,
          shape: Optional[Callable[[list[Tensor]], Tensor]] = None, inputs: Optional[list[Sym]] = None) -> Sym:
    inputs = inputs or [x]
    where = location(node)
    step = Node(x.graph.unique(name), layer, [s.producer for s in inputs], where, where, {}, reason)
    return interp.tracer.apply(x.graph, step, inputs, f"{interp.source.segment(node)}", shape)


def _flatten(interp, x: Sym, node: ast.AST, start: Any, end: Any) -> Sym:
    if start == 1 and end == -1:
        return step(interp, x, node, {"type": "Flatten", "data_format": "channels_last"}, "flatten")
    if not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool) or isinstance(end, bool):
        interp.tracer.not_evaluated(interp.source.segment(node), location(node), "shapes after it are not checked")
        return Sym(None, graph=x.graph)
    return _layer_step(interp, x, node, "Flatten", {"start_dim": start, "end_dim": end})  # as nn.Flatten does


def _reduce(interp, x: Sym, node: ast.AST, dim: Any, keepdim: Any) -> Sym:
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    rank = len(x.tensor.shape) + 1
    if not all(isinstance(d, int) for d in dims) or not isinstance(keepdim, bool):
        return Sym(None, graph=x.graph)
    axes = {d % rank for d in dims}
    if 0 in axes:
        return Sym(None, graph=x.graph)

    def shape(ts: list[Tensor]) -> Tensor:
        full = (None, *ts[0].shape)
        kept = tuple(1 if i in axes else d for i, d in enumerate(full)) if keepdim else tuple(
            d for i, d in enumerate(full) if i not in axes)
        return Tensor(kept[1:], ts[0].dtype)
    return step(interp, x, node, None, "reduce", "a reduction over axes", shape)


def _axes(interp, x: Sym, node: ast.AST, name: str, params: dict, rest: list) -> Sym:
    rank = len(x.tensor.shape) + 1
    if name == "permute":
        order = list(rest[0]) if len(rest) == 1 and isinstance(rest[0], (tuple, list)) else list(rest)
        if sorted(d % rank for d in order if isinstance(d, int)) != list(range(rank)) or order[0] % rank != 0:
            return Sym(None, graph=x.graph)
        return step(interp, x, node, {"type": "Permute", "dims": [d % rank for d in order[1:]]}, "permute")
    if name == "transpose" and len(rest) == 2 and all(isinstance(d, int) for d in rest):
        a, b = (d % rank for d in rest)
        if 0 in (a, b):
            return Sym(None, graph=x.graph)
        order = list(range(1, rank))
        order[a - 1], order[b - 1] = order[b - 1], order[a - 1]
        return step(interp, x, node, {"type": "Permute", "dims": order}, "transpose")
    dim = params.get("dim", rest[0] if rest else None)
    if not isinstance(dim, int):
        return Sym(None, graph=x.graph)

    def shape(ts: list[Tensor]) -> Tensor:
        full = [None, *ts[0].shape]
        if name == "unsqueeze":
            full.insert(dim % (rank + 1), 1)
        elif full[dim % rank] == 1:
            del full[dim % rank]
        if dim % rank == 0 and name == "squeeze":
            raise ValueError("squeezing the batch axis")
        return Tensor(tuple(full[1:]), ts[0].dtype)
    return step(interp, x, node, None, name, name, shape)


def _concat(interp, node: ast.AST, tensors: Any, dim: Any) -> Any:
    if not isinstance(tensors, (list, tuple)) or not tensors or not all(isinstance(t, Sym) for t in tensors):
        return Unknown(interp.source.segment(node))
    first = tensors[0]
    if not all(t.known for t in tensors) or len({id(t.graph) for t in tensors}) != 1 or not isinstance(dim, int):
        return Sym(None, graph=first.graph)
    if dim % (len(first.tensor.shape) + 1) == 0:
        return _batch_concat(interp, node, list(tensors))
    return step(interp, first, node, {"type": "Concatenate", "axis": dim}, "concatenate", inputs=list(tensors))


def _batch_concat(interp, node: ast.AST, tensors: list[Sym]) -> Sym:
    """torch.cat on dim 0 stacks samples: every tensor must have the same per-sample shape, which the result keeps
    (with a larger batch)."""
    shapes = [t.tensor.shape for t in tensors]
    for _i, shape in enumerate(shapes[1:], 1):
        if len(shape) != len(shapes[0]) or any(a is not None and b is not None and a != b
                                                for a, b in zip(shape, shapes[0], strict=False)):
            interp.tracer.report(codes.MERGE_MISMATCH(
                f"{interp.source.segment(node)} joins along dim 0 (the batch axis: the default of torch.cat), but the "
                f"samples differ: {tuple(shapes[0])} and {tuple(shape)}: PyTorch fails with \"Sizes of tensors must "
                f"match except in dimension 0\"", location=location(node), file=interp.tracer.file,
                hint="pass dim=1 to join features (torch.cat([a, b], dim=1))"))
            return Sym(None, graph=tensors[0].graph)
    result = Tensor(shapes[0], tensors[0].tensor.dtype)
    out = step(interp, tensors[0], node, None, "concatenate", "a concatenation along the batch axis",
                lambda ts: result, tensors)
    out.batch = None
    return out


BINARY_LAYERS = {ast.Add: "Add", ast.Sub: "Subtract", ast.Mult: "Multiply"}


def binary(interp, op: ast.operator, left: Any, right: Any, node: ast.AST) -> Any:
    """x + identity (a residual), x * y, x + 3.0, 2 * x."""
    kind = BINARY_LAYERS.get(type(op))
    syms = [v for v in (left, right) if isinstance(v, Sym)]
    if kind is None or not all(s.known for s in syms):
        return Sym(None, graph=syms[0].graph)
    if len(syms) == 2:
        if left.graph is not right.graph:
            return Sym(None, graph=left.graph)
        if left.tensor.shape == right.tensor.shape:
            return step(interp, left, node, {"type": kind}, kind.lower(), inputs=[left, right])
        return _broadcast(interp, left, right, node, kind)
    number = right if isinstance(left, Sym) else left
    if isinstance(number, (int, float)) and not isinstance(number, bool):
        x = syms[0]
        c = float(number)
        scale, offset = {"Add": (1.0, c), "Multiply": (c, 0.0),
                         "Subtract": (1.0, -c) if isinstance(left, Sym) else (-1.0, c)}[kind]
        return step(interp, x, node, {"type": "Rescaling", "scale": scale, "offset": offset}, "rescaling")
    return Sym(None, graph=syms[0].graph)


def _broadcast(interp, left: Sym, right: Sym, node: ast.AST, kind: str) -> Sym:
    a, b = (None, *left.tensor.shape), (None, *right.tensor.shape)
    out = []
    for i in range(1, max(len(a), len(b)) + 1):
        da = a[-i] if i <= len(a) else 1
        db = b[-i] if i <= len(b) else 1
        if da is None or db is None:
            out.append(None if (da in (None, 1) and db in (None, 1)) or da == db else (da if db in (1, None) else db))
        elif da == db or 1 in (da, db):
            out.append(max(da, db))
        else:
            if left.graph.framework == "torch":
                says = (f"PyTorch fails with \"The size of tensor a ({da}) must match the size of tensor b ({db}) "
                        f"at non-singleton dimension {max(len(a), len(b)) - i}\"")
            else:
                says = "Keras fails when it builds the model (the shapes cannot be broadcast together)"
            interp.tracer.report(codes.MERGE_MISMATCH(
                f"{interp.source.segment(node)}: shapes {tuple(a[1:])} and {tuple(b[1:])} do not broadcast: {says}",
                location=location(node), file=interp.tracer.file,
                hint="make both branches produce the same shape (a 1x1 convolution or a projection on the shortcut)"))
            return Sym(None, graph=left.graph)
    full = tuple(reversed(out))

    def shape(ts: list[Tensor]) -> Tensor:
        return Tensor(full[1:], ts[0].dtype)
    return step(interp, left, node, None, kind.lower(), "broadcasting", shape, [left, right])
