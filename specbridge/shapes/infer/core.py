"""Dense, Flatten, dropout and activation layers."""

from __future__ import annotations

from ...diagnostics import codes
from ...spec.layers import core as L
from ...spec.layers import reshaping as R
from ..errors import ShapeError
from ..records import Inferred, Tensor, format_shape
from ..rules import product
from . import Context, rule
from .common import fmt, require_rank


@rule(L.Dense)
def infer_dense(layer: L.Dense, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    require_rank(layer, tensor, min_ndim=2, expected="(batch, ..., features)")
    features = tensor.shape[-1]
    if features is None:
        raise ShapeError(
            codes.UNKNOWN_DIMENSION,
            f"Dense needs a known last axis to size its kernel, got {format_shape(tensor.shape)}",
            hint="give the last axis a size in the input shape, or pool it to a known size first",
        )
    if layer.in_features is not None and layer.in_features != features:
        raise ShapeError(
            codes.CHANNEL_MISMATCH,
            f"in_features={layer.in_features} but the input's last axis has {features}: {format_shape(tensor.shape)} "
            f"(PyTorch would fail with 'mat1 and mat2 shapes cannot be multiplied')",
            hint=f"set in_features: {features}", argument="in_features",
        )
    weights = features * layer.units
    bias = layer.units if layer.use_bias else 0
    steps = [
        f"Dense acts on the last axis: {features} features -> {layer.units} units"
        + (f"; the leading axes {format_shape(tensor.shape[:-1])} pass through (same weights at every position)"
           if tensor.rank > 2 else ""),
        f"params = {features}*{layer.units}" + (f" + {layer.units}" if bias else "") + f" = {fmt(weights + bias)}",
        f"kernel shape: Keras ({features}, {layer.units}), PyTorch Linear weight ({layer.units}, {features})",
    ]
    return Inferred(tensor.shape[:-1] + (layer.units,), weights + bias, steps=tuple(steps))


@rule(R.Flatten)
def infer_flatten(layer: R.Flatten, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    require_rank(layer, tensor, min_ndim=1)
    if not tensor.shape:
        return Inferred((1,), steps=("a (batch,) input becomes (batch, 1)",))
    total = product(tensor.shape)
    if total is None:
        return Inferred((None,), steps=(f"{format_shape(tensor.shape)} has an unknown dim, so the flat size is unknown",))
    return Inferred((total,), steps=(" * ".join(map(str, tensor.shape)) + f" = {fmt(total)} values per sample",))


@rule(L.Dropout, L.ActivationLayer, L.ReLU, L.LeakyReLU, L.ELU)
def infer_elementwise(layer, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    return Inferred(tensor.shape, steps=("element-wise: the shape is unchanged",))
