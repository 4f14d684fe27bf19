"""Emitters of spec/layers/reshaping.py: padding, cropping, upsampling, Flatten, Reshape, Permute, RepeatVector."""

from __future__ import annotations

from ...shapes.rules import as_tuple, axis_pairs
from ...spec.layers import reshaping as R
from ..source import call, compact, literal
from .layout import KERAS, pad_module
from .stage import Built, Ctx, emitter

# Cropping1D and UpSampling1D always read channels last (no data_format): spatial_layout is channels_first for them.


@emitter(R.ZeroPadding1D, R.ZeroPadding2D, R.ZeroPadding3D)
def emit_zero_padding(layer, ctx: Ctx) -> Built:
    layout = ctx.spatial_layout(layer)  # Keras ZeroPadding1D takes data_format too
    return Built([pad_module(layer.RANK, list(axis_pairs(layer.padding, layer.RANK)))], layout, layout)


@emitter(R.Cropping1D, R.Cropping2D, R.Cropping3D)
def emit_cropping(layer, ctx: Ctx) -> Built:
    layout = ctx.spatial_layout(layer)
    crops = list(axis_pairs(layer.cropping, layer.RANK))
    return Built([f"{ctx.helper('Crop')}({', '.join(literal(c) for c in crops)})"], layout, layout)


@emitter(R.UpSampling1D, R.UpSampling2D, R.UpSampling3D)
def emit_upsampling(layer, ctx: Ctx) -> Built:
    layout = ctx.spatial_layout(layer)
    size = compact(as_tuple(layer.size, layer.RANK))
    mode = getattr(layer, "interpolation", "nearest")
    kwargs = {"scale_factor": size, "mode": mode}
    if mode == "bilinear":
        kwargs["align_corners"] = False  # half-pixel centers, as tf.image.resize
    return Built([call("nn.Upsample", **kwargs)], layout, layout)


@emitter(R.Flatten)
def emit_flatten(layer, ctx: Ctx) -> Built:
    stages = ["nn.Flatten()"]
    if layer.data_format == "channels_first" and len(ctx.in_shape) > 1:
        stages.insert(0, f"{ctx.helper('ChannelsLast')}()")  # Keras moves channels last before flattening
    return Built(stages, KERAS, KERAS)


@emitter(R.Reshape)
def emit_reshape(layer, ctx: Ctx) -> Built:
    target = [d if d is not None else -1 for d in ctx.out_shape]
    if target.count(-1) > 1:
        target = list(layer.target_shape)
    return Built([f"{ctx.helper('Reshape')}({', '.join(map(str, target))})"], KERAS, KERAS)


@emitter(R.Permute)
def emit_permute(layer, ctx: Ctx) -> Built:
    return Built([f"{ctx.helper('Permute')}({', '.join(map(str, layer.dims))})"], KERAS, KERAS)


@emitter(R.RepeatVector)
def emit_repeat_vector(layer, ctx: Ctx) -> Built:
    return Built([f"{ctx.helper('RepeatVector')}({layer.n})"], KERAS, KERAS)
