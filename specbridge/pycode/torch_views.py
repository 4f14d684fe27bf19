"""Views of a tensor in forward(): x.size(0), x.view(x.size(0), -1), x.view(-1, 400), x.reshape(b * t, c, h, w),
x[:, -1, :].

The batch is symbolic (BatchSize: "the batch size times k"). A view that folds an axis into the batch
(`x.view(b * t, c, h, w)`, how a CNN runs over every frame of a clip) is followed: the tensor's `fold` says how many
rows each sample now spans, and a later view that unfolds it (`x.reshape(b, t, -1)`) is checked against it.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from typing import Any

from ..diagnostics import codes
from ..shapes.records import Tensor
from .interpret import location
from .torch_ops import step
from .trace import Sym
from .values import Unknown


@dataclass(frozen=True)
class BatchSize:
    """The batch size times `factor` (x.size(0) of a tensor whose samples span `factor` rows)."""

    factor: int = 1

    def times(self, other: Any) -> Any:
        if isinstance(other, int) and not isinstance(other, bool) and other > 0:
            return BatchSize(self.factor * other)
        return Unknown("a product with the batch size")

    def divided(self, other: Any) -> Any:
        if isinstance(other, int) and not isinstance(other, bool) and other > 0 and self.factor % other == 0:
            return BatchSize(self.factor // other)
        return Unknown("a quotient of the batch size")


def size_of(x: Sym, dim: Any) -> Any:
    """x.size(0) is the batch (times the fold); x.size(1) a known size, or unknown."""
    if not isinstance(dim, int) or isinstance(dim, bool) or not x.known:
        return Unknown("x.size(...)")
    rank = len(x.tensor.shape) + 1
    if not -rank <= dim < rank:
        return Unknown("x.size(...)")
    if dim % rank == 0:
        return BatchSize(x.fold)
    value = x.tensor.shape[dim % rank - 1]
    return Unknown("x.size(...)") if value is None else value


def sizes(x: Sym) -> list:
    """b, c, h, w = x.size() / x.shape."""
    return [size_of(x, i) for i in range(len(x.tensor.shape) + 1)] if x.known else []


def reshape(interp, x: Sym, node: ast.AST, dims: list) -> Sym:
    """x.view(x.size(0), -1), x.view(-1, 16 * 5 * 5), x.reshape(b * t, c, h, w), x.reshape(b, t, -1)."""
    if not dims or not all(isinstance(d, BatchSize) or (isinstance(d, int) and not isinstance(d, bool))
                           for d in dims) or any(isinstance(d, BatchSize) for d in dims[1:]):
        interp.tracer.not_evaluated(interp.source.segment(node), location(node), "shapes after it are not checked")
        return Sym(None, graph=x.graph)
    head, tail = dims[0], list(dims[1:])
    if isinstance(head, BatchSize):
        return _rows(interp, x, node, head.factor, tail)
    if head == -1 and all(d > 0 for d in tail) and None not in x.tensor.shape:
        return _rows_of(interp, x, node, math.prod(tail), tail)
    interp.tracer.not_modelled(interp.source.segment(node), location(node), "shapes after it are not checked")
    return Sym(None, graph=x.graph)


def _rows(interp, x: Sym, node: ast.AST, factor: int, tail: list) -> Sym:
    """A view with `factor` rows per sample (the batch times factor) and per-row shape `tail` (one -1 allowed)."""
    if factor == x.fold:
        if tail == [-1]:
            return step(interp, x, node, {"type": "Flatten", "data_format": "channels_last"}, "flatten")
        return step(interp, x, node, {"type": "Reshape", "target_shape": tail}, "reshape")
    if None in x.tensor.shape or tail.count(-1) > 1:
        return _unmodelled(interp, x, node)
    per_sample = x.fold * math.prod(x.tensor.shape)  # values per original sample
    known = math.prod(d for d in tail if d != -1) * factor
    shape = tuple(per_sample // known if d == -1 else d for d in tail)
    if per_sample % known or math.prod(shape) * factor != per_sample:
        _size_error(interp, x, node, f"{_holds(x, per_sample)}, but the view asks for {_rows_text(factor, tail)}",
                    [_batch_text(x, factor), *tail], per_sample)
        return Sym(None, graph=x.graph)
    result = Tensor(shape, x.tensor.dtype)
    out = step(interp, x, node, None, "view", "a view that moves an axis into or out of the batch",
               lambda ts: result)
    out.fold = factor
    return out


def _rows_of(interp, x: Sym, node: ast.AST, size: int, tail: list) -> Sym:
    """x.view(-1, N): rows of N values; the usual flatten when a sample has N values."""
    features = math.prod(x.tensor.shape)
    if size == features:
        out = step(interp, x, node, {"type": "Reshape", "target_shape": tail}, "reshape")
        if len(tail) == 1 and out.known:
            out.flat_from = tuple(x.tensor.shape)  # x.view(-1, 400) flattened (16, 5, 5)
        return out
    batch = x.batch
    if features % size and (batch is None or (batch * features) % size):
        _size_error(interp, x, node, f"{_holds(x, features)}, which do not split into rows of {size:,}",
                    [-1, *tail], features)
        return Sym(None, graph=x.graph)
    interp.tracer.not_modelled(f"{interp.source.segment(node)} moves values between samples ({features} per "
                               f"sample into rows of {size})", location(node), "shapes after it are not checked",
                               hint="x.view(x.size(0), -1) keeps one row per sample")
    return Sym(None, graph=x.graph)


def _holds(x: Sym, values: int) -> str:
    rows = f"{x.fold} rows of " if x.fold != 1 else ""
    return f"each sample holds {rows}{_product(x.tensor.shape)} = {values:,} values"


def _rows_text(factor: int, tail: list) -> str:
    shape = _product(tail)
    return shape if factor == 1 else f"{factor} rows of {shape}"


def _batch_text(x: Sym, factor: int) -> str:
    batch = "B" if x.batch is None else str(x.batch)
    return batch if factor == 1 else f"{batch}*{factor}"


def _size_error(interp, x: Sym, node: ast.AST, why: str, shape: list, features: int) -> None:
    batch = "B" if x.batch is None else x.batch
    shown = "[" + ", ".join(str(d) for d in shape) + "]"
    interp.tracer.report(codes.RESHAPE_SIZE(
        f"{interp.source.segment(node)}: {why}: PyTorch fails with \"shape '{shown}' is invalid for input of size "
        f"{batch}*{features}\"",
        location=location(node), file=interp.tracer.file,
        hint=f"{_view_fix(node)}(x.size(0), -1) flattens each sample; check the sizes the layers before it produce"))


def _view_fix(node: ast.AST) -> str:
    func = getattr(node, "func", None)
    return ast.unparse(func) if func is not None else "x.view"


def _product(shape) -> str:
    return "*".join(str(d) for d in shape)


def index(interp, x: Sym, key: Any, node: ast.AST) -> Sym:
    """x[:, -1, :], x[:, 0], x[..., :10]: PyTorch's basic indexing, the batch axis kept whole."""
    parts = list(key) if isinstance(key, tuple) else [key]
    full = [None, *x.tensor.shape]
    if Ellipsis in parts:
        at = parts.index(Ellipsis)
        parts[at:at + 1] = [slice(None)] * (len(full) - len(parts) + 1)
    parts += [slice(None)] * (len(full) - len(parts))
    if len(parts) != len(full) or parts[0] != slice(None):
        return _unmodelled(interp, x, node)
    out = [None]
    for size, part in zip(full[1:], parts[1:], strict=False):
        if isinstance(part, slice):
            out.append(None if size is None else len(range(*part.indices(size))))
        elif isinstance(part, int) and not isinstance(part, bool):
            if size is not None and not -size <= part < size:
                return _unmodelled(interp, x, node)
        else:
            return _unmodelled(interp, x, node)
    result = Tensor(tuple(out[1:]), x.tensor.dtype)
    return step(interp, x, node, None, "index", "indexing", lambda ts: result)


def shape_step(interp, x: Sym, node: ast.AST, name: str, reason: str, result: Tensor) -> Sym:
    """A step whose output shape is known in advance (a recurrent layer's final state)."""
    return step(interp, x, node, None, name, reason, lambda ts: result)


def _unmodelled(interp, x: Sym, node: ast.AST) -> Sym:
    interp.tracer.not_modelled(interp.source.segment(node), location(node),
                               "this view or index is not modelled: shapes after it are not checked")
    return Sym(None, graph=x.graph)
