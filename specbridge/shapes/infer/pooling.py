"""Pooling: Max/AveragePooling1D/2D/3D and Global{Max,Average}Pooling1D/2D/3D (no weights)."""

from __future__ import annotations

from typing import Optional

from ...spec.catalog import sibling_name
from ...spec.layers import pooling as L
from ..axes import SPATIAL_NAMES, join_channels, layout, split_channels
from ..records import Inferred, Step, Tensor, format_shape
from ..rules import as_tuple, pool_output_length
from . import Context, rule
from .common import check_positive, require_rank

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
    steps = [window_step(layer, pool, strides)]
    for i, name in enumerate(SPATIAL_NAMES[rank]):
        step = pool_output_length(spatial[i], pool[i], strides[i], layer.padding, axis=name)
        # Keras checks this symbolically (compute_pooling_output_shape); eager TF may crash instead.
        check_positive(
            step, tensor, "pool_size", list(pool),
            hint=(
                f"the {name} axis ({spatial[i]}) is smaller than the pooling window ({pool[i]}): use padding "
                "'same', a smaller pool_size, or remove a downsampling layer before this one"
            ),
        )
        steps.append(step)
    out = tuple(step.result for step in steps[1:])
    if channels is None:
        steps.append(Step("channels", "the unknown number of channels pass through; params = 0", {"channels": None}))
    else:
        steps.append(Step("channels", "the {channels} channels pass through; params = 0", {"channels": channels}, channels))
    return Inferred(join_channels(out, channels, channels_last), steps=tuple(steps))


def window_step(layer: L.Pooling, pool: tuple, strides: tuple) -> Step:
    """What the pooling window does, and how it moves."""
    default = " (strides default to pool_size)" if layer.strides is None else ""
    return Step(
        "window",
        "each {pool:x} window is replaced by " + MODE_WORDS[layer.MODE] + " in it, moving {strides:x} cells at a time"
        + default + ", padding '{padding}'",
        {"mode": layer.MODE, "pool": pool, "strides": strides, "padding": layer.padding},
    )


@rule(
    L.GlobalMaxPooling1D, L.GlobalMaxPooling2D, L.GlobalMaxPooling3D,
    L.GlobalAveragePooling1D, L.GlobalAveragePooling2D, L.GlobalAveragePooling3D,
)
def infer_global_pooling(layer: L.GlobalPooling, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    spatial, channels, channels_last = pooling_input(layer, tensor, ctx)
    steps = [Step(
        "pooling",
        "each channel's {spatial: x } {axes: x } values become " + MODE_WORDS[layer.MODE] + " of them",
        {"mode": layer.MODE, "spatial": spatial, "axes": SPATIAL_NAMES[layer.RANK]},
    )]
    if layer.keepdims:
        shape = join_channels((1,) * layer.RANK, channels, channels_last)
        steps.append(Step("shape", "keepdims=True keeps the pooled axes with size 1: {result:shape}", {}, shape))
    else:
        shape = (channels,)
        steps.append(Step("shape", "the pooled axes disappear: one value per channel, {result:shape}", {}, shape))
    steps.append(Step("params", "params = 0", {}, 0))
    return Inferred(shape, steps=tuple(steps))
