"""ONNX emitters of spec/layers/reshaping.py: Pad, Slice, Resize, Flatten, Reshape, Transpose, Tile.

All of them work on Keras's layout directly: the spatial axes are 1..rank for channels_last, 2..rank+1 for
channels_first, and nothing needs a transpose (Flatten then flattens in Keras's order).
"""

from __future__ import annotations

from ...shapes.rules import as_tuple, axis_pairs
from ...spec.layers import reshaping as R
from .graph import channels_last_perm
from .stage import Ctx, emitter

INT64_MAX = 2**63 - 1


def spatial_axes(layer, ctx: Ctx) -> list[int]:
    first = 1 if ctx.channels_last(layer) else 2
    return list(range(first, first + layer.RANK))


@emitter(R.ZeroPadding1D, R.ZeroPadding2D, R.ZeroPadding3D)
def emit_zero_padding(layer, ctx: Ctx) -> str:
    begins, ends = [0] * ctx.rank, [0] * ctx.rank
    for axis, (before, after) in zip(spatial_axes(layer, ctx), axis_pairs(layer.padding, layer.RANK), strict=True):
        begins[axis], ends[axis] = before, after
    return ctx.g.node("Pad", [ctx.x, ctx.g.ints("pads", begins + ends)])


@emitter(R.Cropping1D, R.Cropping2D, R.Cropping3D)
def emit_cropping(layer, ctx: Ctx) -> str:
    g = ctx.g
    axes = spatial_axes(layer, ctx)
    crops = list(axis_pairs(layer.cropping, layer.RANK))
    starts = [before for before, _ in crops]
    ends = [-after if after else INT64_MAX for _, after in crops]  # counted from the end: any input size
    return g.node("Slice", [ctx.x, g.ints("starts", starts), g.ints("ends", ends), g.ints("axes", axes)])


@emitter(R.UpSampling1D, R.UpSampling2D, R.UpSampling3D)
def emit_upsampling(layer, ctx: Ctx) -> str:
    """Nearest: each cell repeated (floor of the asymmetric source coordinate); bilinear: tf.image.resize's
    half-pixel centres."""
    g = ctx.g
    scales = [1.0] * ctx.rank
    for axis, size in zip(spatial_axes(layer, ctx), as_tuple(layer.size, layer.RANK), strict=True):
        scales[axis] = float(size)
    scales_input = g.floats32("scales", scales)
    if getattr(layer, "interpolation", "nearest") == "bilinear":
        attrs = {"mode": "linear", "coordinate_transformation_mode": "half_pixel"}
    else:
        attrs = {"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"}
    return g.node("Resize", [ctx.x, "", scales_input], **attrs)


@emitter(R.Flatten)
def emit_flatten(layer, ctx: Ctx) -> str:
    x = ctx.x
    if layer.data_format == "channels_first" and ctx.rank > 2:
        x = ctx.g.transpose(x, channels_last_perm(ctx.rank))  # Keras moves channels last before flattening
    return ctx.g.node("Flatten", [x], axis=1)


@emitter(R.Reshape)
def emit_reshape(layer, ctx: Ctx) -> str:
    """0 keeps the (dynamic) batch size; a -1 in the target is ONNX's -1 too."""
    return ctx.g.node("Reshape", [ctx.x, ctx.g.ints("shape", [0, *layer.target_shape])])


@emitter(R.Permute)
def emit_permute(layer, ctx: Ctx) -> str:
    return ctx.g.node("Transpose", [ctx.x], perm=[0, *layer.dims])


@emitter(R.RepeatVector)
def emit_repeat_vector(layer, ctx: Ctx) -> str:
    g = ctx.g
    x = g.node("Unsqueeze", [ctx.x, g.ints("axes", [1])])
    return g.node("Tile", [x, g.ints("repeats", [1, layer.n, 1])])
