"""Dense, Embedding, Flatten, dropout, Softmax and activation layers.

Activation('softmax') is element-wise here: Keras applies it over the last axis at any rank.
"""

from __future__ import annotations

from ...diagnostics import codes
from ...spec.catalog import sibling_name
from ...spec.layers import core as L
from ...spec.model import INTEGER_DTYPES
from ..axes import layout
from ..errors import ShapeError
from ..records import Inferred, Tensor, format_shape
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


@rule(L.Dropout, L.ActivationLayer, L.ReLU, L.LeakyReLU, L.ELU)
def infer_elementwise(layer, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    return Inferred(tensor.shape, steps=("element-wise: the shape is unchanged",))


@rule(L.Softmax)
def infer_softmax(layer: L.Softmax, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    rank = tensor.rank
    # Keras builds Softmax with any axis symbolically; an out-of-range axis only fails when data runs
    # ("`dim` must be in the range [-3, 3)"), so catch it here.
    if not -rank <= layer.axis < rank:
        raise ShapeError(
            codes.INVALID_ARGUMENT,
            f"Softmax axis={layer.axis} is out of range for an input of rank {rank} {format_shape(tensor.shape)}: "
            f"it must lie in [-{rank}, {rank})",
            hint="axes count the batch axis: axis -1 (the default) is the last axis", argument="axis",
        )
    return Inferred(tensor.shape, steps=(f"softmax over axis {layer.axis}: the shape is unchanged",))


@rule(L.SpatialDropout1D, L.SpatialDropout2D, L.SpatialDropout3D)
def infer_spatial_dropout(layer, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    rank = layer.RANK
    channels_last = ctx.channels_last(layer)
    fits = sibling_name(type(layer), tensor.rank - 2, fallback="Dropout")
    require_rank(
        layer, tensor, ndim=rank + 2, expected=layout(rank, channels_last),
        hint=f"the input has rank {tensor.rank}: use {fits}",
    )
    return Inferred(tensor.shape, steps=("drops whole channels (feature maps) at training time: the shape is unchanged",))


@rule(L.Embedding)
def infer_embedding(layer: L.Embedding, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    # Keras accepts float ids symbolically (it casts them), but PyTorch's nn.Embedding rejects every
    # dtype but int32/int64 ("Expected tensor for argument #1 'indices' to have one of the following
    # scalar types: Long, Int"), and float ids are a sign of a wrong input: require an integer dtype.
    if tensor.dtype not in INTEGER_DTYPES:
        raise ShapeError(
            codes.EMBEDDING_DTYPE,
            f"Embedding looks up integer token ids, but its input is {tensor.dtype} {format_shape(tensor.shape)} "
            "(PyTorch's nn.Embedding rejects non-integer indices)",
            hint="set dtype: int32 on the input (the ids must lie in [0, input_dim))",
        )
    v, d = layer.input_dim, layer.output_dim
    params = v * d
    steps = (
        f"each integer id in {format_shape(tensor.shape)} becomes a {d}-vector: output = input shape + ({d},)",
        f"params = input_dim * output_dim = {v} * {d} = {fmt(params)} (one row per token id 0..{v - 1})",
        f"embeddings matrix: Keras ({v}, {d}), PyTorch Embedding weight ({v}, {d})",
    )
    return Inferred(tensor.shape + (d,), params, dtype="float32", steps=steps)
