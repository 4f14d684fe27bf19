"""Pooling: Max/AveragePooling1D/2D/3D and Global{Max,Average}Pooling1D/2D/3D (no weights)."""

from __future__ import annotations

from typing import Optional

from ...diagnostics import codes
from ...spec.catalog import sibling_name
from ...spec.layers import pooling as L
from ..axes import SPATIAL_NAMES, join_channels, layout, split_channels
from ..errors import ShapeError
from ..records import Inferred, Tensor, format_shape
from ..rules import as_tuple, pool_output_length
from . import Context, rule
from .common import require_rank

MODE_WORDS = {"max": "the largest value", "average": "the mean"}


def pooling_rank_hint(layer, tensor: Tensor, channels_last: bool) -> Optional[str]:
    """Which pooling fits the input, or how to make the input fit this one."""
    spatial_rank = tensor.rank - 2
    if spatial_rank in (1, 2, 3):
        fits = sibling_name(type(layer), spatial_rank)
        extra = ""
        if spatial_rank == layer.RANK - 1:
            missing = tensor.shape + (1,) if channels_last else (1,) + tensor.shape
            extra = f"; if the input lacks its channel axis, give it one, e.g. input shape {format_shape(missing, batch=False)}"
        return f"the input has {spatial_rank} spatial axis(es) {layout(spatial_rank, channels_last)}: use {fits}{extra}"
    if tensor.rank == layer.RANK + 3:
        return f"for a sequence of {layer.RANK}D inputs, wrap the layer in TimeDistributed"
    return f"{layer.kind} works on {layout(layer.RANK, channels_last)}: Reshape the input first"


def pooling_input(layer, tensor: Tensor, ctx: Context) -> tuple[tuple, Optional[int], bool]:
    """Keras's InputSpec(ndim=rank+2); returns (spatial dims, channels, channels_last)."""
    channels_last = ctx.channels_last(layer)
    require_rank(
        layer, tensor, ndim=layer.RANK + 2, expected=layout(layer.RANK, channels_last),
        hint=pooling_rank_hint(layer, tensor, channels_last),
    )
    spatial, channels = split_channels(tensor.shape, channels_last)
    return spatial, channels, channels_last


@rule(L.MaxPooling1D, L.MaxPooling2D, L.MaxPooling3D, L.AveragePooling1D, L.AveragePooling2D, L.AveragePooling3D)
def infer_pooling(layer: L.Pooling, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    spatial, channels, channels_last = pooling_input(layer, tensor, ctx)
    rank = layer.RANK
    pool = as_tuple(layer.pool_size, rank)
    strides = pool if layer.strides is None else as_tuple(layer.strides, rank)
    names = SPATIAL_NAMES[rank]
    window = "x".join(map(str, pool))
    steps = [
        f"each {window} window is replaced by {MODE_WORDS[layer.MODE]} in it, moving {'x'.join(map(str, strides))} "
        f"cells at a time" + (" (strides default to pool_size)" if layer.strides is None else "")
        + f", padding '{layer.padding}'"
    ]
    out = []
    for i in range(rank):
        length, formula = pool_output_length(spatial[i], pool[i], strides[i], layer.padding)
        steps.append(f"{names[i]}: {formula}")
        if length is not None and length <= 0:
            # Keras checks this symbolically (compute_pooling_output_shape); eager TF may crash instead.
            raise ShapeError(
                codes.NONPOSITIVE_SIZE,
                f"output {names[i]} would be {length} (zero or negative): {formula}; "
                f"input shape {format_shape(tensor.shape)}, pool_size {list(pool)}",
                hint=(
                    f"the {names[i]} axis ({spatial[i]}) is smaller than the pooling window ({pool[i]}): use padding "
                    "'same', a smaller pool_size, or remove a downsampling layer before this one"
                ),
                argument="pool_size",
            )
        out.append(length)
    steps.append(f"the {channels if channels is not None else 'unknown number of'} channels pass through; params = 0")
    return Inferred(join_channels(out, channels, channels_last), steps=tuple(steps))


@rule(
    L.GlobalMaxPooling1D, L.GlobalMaxPooling2D, L.GlobalMaxPooling3D,
    L.GlobalAveragePooling1D, L.GlobalAveragePooling2D, L.GlobalAveragePooling3D,
)
def infer_global_pooling(layer: L.GlobalPooling, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    spatial, channels, channels_last = pooling_input(layer, tensor, ctx)
    axes = " x ".join("None" if d is None else str(d) for d in spatial)
    steps = [f"each channel's {axes} {' x '.join(SPATIAL_NAMES[layer.RANK])} values become {MODE_WORDS[layer.MODE]} of them"]
    if layer.keepdims:
        shape = join_channels((1,) * layer.RANK, channels, channels_last)
        steps.append(f"keepdims=True keeps the pooled axes with size 1: {format_shape(shape, batch=False)}")
    else:
        shape = (channels,)
        steps.append(f"the pooled axes disappear: one value per channel, {format_shape(shape, batch=False)}")
    steps.append("params = 0")
    return Inferred(shape, steps=tuple(steps))
