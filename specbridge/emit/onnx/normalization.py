"""ONNX emitters of spec/layers/normalization.py: BatchNormalization, LayerNormalization, GroupNormalization,
UnitNormalization and RMSNormalization.

Each uses ONNX's own op: BatchNormalization (inference form, moving statistics as inputs) and GroupNormalization
(opset 21: per-channel scale and bias) normalize axis 1, so Keras's axis is moved there and back; LayerNormalization
normalizes the trailing axes, so Keras's axes are moved to the end when they are not there already.

Keras adds epsilon to the variance in the model's dtype. An ONNX epsilon attribute is a float32, which is that
exactly in a float32 model; in a float64 model an epsilon float32 cannot hold (1e-3 is 1e-3 + 5e-11) moved the
outputs by 4e-10 (1e-15 otherwise), so there LayerNormalization and GroupNormalization are spelt out in Keras's own
formula with epsilon a float64 initializer, and BatchNormalization, whose variance is a constant, gets epsilon
added to it beforehand.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Optional

import numpy as np

from ...shapes.rules import as_tuple
from ...spec.layers import normalization as N
from .graph import GraphBuilder
from .stage import Ctx, emitter


def keras_axis(ctx: Ctx, axis: int) -> int:
    """A Keras axis of the input as a positive index, batch included; the batch axis itself is refused (Keras
    would size the layer's weights by the batch)."""
    positive = axis + ctx.rank if axis < 0 else axis
    if not 0 < positive < ctx.rank:
        raise ctx.fail(f"axis {axis} of a rank-{ctx.rank} input (batch included) is not a feature axis")
    return positive


def moved(g: GraphBuilder, x: str, perm: list[int]) -> tuple[str, Callable[[str], str]]:
    """`x` transposed by `perm`, and the function transposing a result back (no node when `perm` is the identity)."""
    back = [int(i) for i in np.argsort(perm)]
    return g.transpose(x, perm), lambda y: g.transpose(y, back)


def exact_epsilon(g: GraphBuilder, epsilon: float) -> bool:
    """Whether an op's float32 epsilon attribute is the epsilon Keras adds in the model's dtype."""
    return g.dtype == np.float32 or float(np.float32(epsilon)) == epsilon


def affine(ctx: Ctx, layer, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(gamma, beta) in Keras's shape; ones / zeros where Keras has no variable (scale / center false)."""
    gamma = ctx.weight("gamma", shape) if layer.scale else np.ones(shape)
    beta = ctx.weight("beta", shape) if layer.center else np.zeros(shape)
    return gamma, beta


# ------------------------------------------------------------------ BatchNormalization


@emitter(N.BatchNormalization)
def emit_batch_norm(layer, ctx: Ctx) -> str:
    """BatchNormalization with the moving statistics (inference), over Keras's `axis` brought to axis 1."""
    g = ctx.g
    axis = keras_axis(ctx, layer.axis)
    channels = ctx.known(ctx.in_shape[axis - 1], f"the normalized axis ({layer.axis})")
    gamma, beta = affine(ctx, layer, (channels,))
    mean = ctx.weight("moving_mean", (channels,))
    variance = np.asarray(ctx.weight("moving_variance", (channels,)), dtype=g.dtype)
    epsilon = layer.epsilon
    if not exact_epsilon(g, epsilon):
        # The variance is a constant: adding epsilon here, in the model's dtype, is exactly Keras's sum.
        variance, epsilon = variance + g.dtype.type(epsilon), 0.0
    x, back = moved(g, ctx.x, [0, axis, *(a for a in range(1, ctx.rank) if a != axis)])
    inputs = [x, g.weight("gamma", gamma), g.weight("beta", beta), g.weight("moving_mean", mean),
              g.weight("moving_variance", variance)]
    return back(g.node("BatchNormalization", inputs, epsilon=float(epsilon)))


# ------------------------------------------------------------------ LayerNormalization


@emitter(N.LayerNormalization)
def emit_layer_norm(layer, ctx: Ctx) -> str:
    """LayerNormalization over the trailing axes, with Keras's axes (sorted) moved to the end when they are not
    there: gamma and beta (the input's sizes at the sorted axes) are then exactly the normalized shape."""
    g = ctx.g
    axes = sorted({keras_axis(ctx, a) for a in as_tuple(layer.axis, 1)})
    sizes = tuple(ctx.in_shape[a - 1] for a in axes)
    if layer.scale or layer.center:
        sizes = tuple(ctx.known(n, f"the normalized axis {a}") for n, a in zip(sizes, axes, strict=True))
    x, back = moved(g, ctx.x, [*(a for a in range(ctx.rank) if a not in axes), *axes])
    first = ctx.rank - len(axes)
    if not exact_epsilon(g, layer.epsilon):
        return back(_normalized(ctx, layer, x, list(range(first, ctx.rank)), sizes, sizes))
    if None in sizes:  # no gamma nor beta then (checked above)
        inputs = [x, _ones_like_tail(g, x, first)]
    else:
        gamma, beta = affine(ctx, layer, sizes)
        inputs = [x, g.weight("gamma", gamma)] + ([g.weight("beta", beta)] if layer.center else [])
    # No bias is no third input, not "": onnxruntime 1.32 segfaults building a session (optimization level
    # extended and up, the default) for a LayerNormalization whose bias is "".
    # stash_type stays the default (float32): onnxruntime and onnx's reference evaluator both compute a float64
    # input's statistics in float64 anyway, and the reference evaluator refuses any other stash_type.
    y = g.node("LayerNormalization", inputs, axis=first, epsilon=float(layer.epsilon))
    return back(y)


def _ones_like_tail(g: GraphBuilder, x: str, first: int) -> str:
    """Ones shaped like x's axes from `first` on, at run time: the scale ONNX requires where Keras has none
    and the normalized sizes are unknown (null) in the spec."""
    from . import proto as helper

    tail = g.node("Shape", [x], start=first)
    one = helper.make_tensor("one", helper.np_dtype_to_tensor_dtype(g.dtype), [1], [1.0])
    return g.node("ConstantOfShape", [tail], value=one)


def _normalized(ctx: Ctx, layer, x: str, axes: list[int], sizes: tuple, shape: tuple) -> str:
    """Keras's formula (ops.layer_normalization, GroupNormalization._apply_normalization) with epsilon an
    initializer in the model's dtype: inv = rsqrt(var + eps) * gamma; x * inv + (beta - mean * inv), the moments
    over `axes` of x; gamma and beta (Keras shape `sizes`) reshaped to `shape`, which broadcasts against x."""
    g = ctx.g
    reduce_axes = g.ints("axes", axes)
    mean = g.node("ReduceMean", [x, reduce_axes], keepdims=1)
    centred = g.node("Sub", [x, mean])
    variance = g.node("ReduceMean", [g.node("Mul", [centred, centred]), reduce_axes], keepdims=1)
    shifted = g.node("Add", [variance, g.scalar("epsilon", layer.epsilon)])
    inv = g.node("Reciprocal", [g.node("Sqrt", [shifted])])
    if layer.scale:
        inv = g.node("Mul", [inv, g.weight("gamma", np.reshape(ctx.weight("gamma", sizes), shape))])
    offset = g.node("Neg", [g.node("Mul", [mean, inv])])
    if layer.center:
        offset = g.node("Add", [offset, g.weight("beta", np.reshape(ctx.weight("beta", sizes), shape))])
    return g.node("Add", [g.node("Mul", [x, inv]), offset])


# ------------------------------------------------------------------ GroupNormalization


@emitter(N.GroupNormalization)
def emit_group_norm(layer, ctx: Ctx) -> str:
    """GroupNormalization over Keras's `axis` brought to axis 1; groups are runs of consecutive channels in
    both (Keras reshapes the axis to (groups, channels // groups))."""
    g = ctx.g
    axis = keras_axis(ctx, layer.axis)
    channels = ctx.known(ctx.in_shape[axis - 1], f"the grouped axis ({layer.axis})")
    groups = channels if layer.groups == -1 else layer.groups  # the check has made sure they divide channels
    x, back = moved(g, ctx.x, [0, axis, *(a for a in range(1, ctx.rank) if a != axis)])
    if not exact_epsilon(g, layer.epsilon):
        return back(_grouped(ctx, layer, x, channels, groups))
    gamma, beta = affine(ctx, layer, (channels,))
    y = g.node("GroupNormalization", [x, g.weight("gamma", gamma), g.weight("beta", beta)],
               num_groups=groups, epsilon=float(layer.epsilon), stash_type=_stash_type(g))
    return back(y)


def _stash_type(g: GraphBuilder) -> Optional[int]:
    """The precision of GroupNormalization's statistics: float32 by default, which onnxruntime does use on a
    float64 input (1e-7 off Keras), so a float64 model asks for float64 (11: DOUBLE)."""
    return 11 if g.dtype == np.float64 else None


def _grouped(ctx: Ctx, layer, x: str, channels: int, groups: int) -> str:
    """Keras's own computation on a channels-at-axis-1 tensor: viewed as (N, groups, channels // groups, rest),
    the spatial axes flattened into `rest` (any size, even unknown), normalized over the last two, reshaped back."""
    g = ctx.g
    split = g.node("Reshape", [x, g.ints("grouped_shape", [0, groups, channels // groups, -1])])
    y = _normalized(ctx, layer, split, [2, 3], (channels,), (1, groups, channels // groups, 1))
    return g.node("Reshape", [y, g.node("Shape", [x])])


# ------------------------------------------------------------------ UnitNormalization and RMSNormalization


@emitter(N.UnitNormalization)
def emit_unit_norm(layer, ctx: Ctx) -> str:
    """Keras's ops.normalize(order=2, epsilon=1e-12): x * min(1 / sqrt(sum(x**2)), 1 / epsilon) over its axes. A
    zero sample gives 1 / sqrt(0) = inf, capped, so zeros come out as in Keras (ONNX's LpNormalization has no cap
    and one axis only)."""
    g = ctx.g
    axes = sorted(keras_axis(ctx, a) for a in as_tuple(layer.axis, 1))
    squares = g.node("ReduceSum", [g.node("Mul", [ctx.x, ctx.x]), g.ints("axes", axes)], keepdims=1)
    inverse_norm = g.node("Min", [g.node("Reciprocal", [g.node("Sqrt", [squares])]), g.scalar("max_inverse", 1e12)])
    return g.node("Mul", [ctx.x, inverse_norm])


@emitter(N.RMSNormalization)
def emit_rms_norm(layer, ctx: Ctx) -> str:
    """Keras's ops.rms_normalization spelt out: x * (1 / sqrt(mean(x**2) + epsilon)) * scale, epsilon an initializer
    in the model's dtype (ONNX's RMSNormalization, opset 23, takes it as a float32 attribute). The shape rule has
    made sure the axes are the trailing ones, so scale (Keras's shape) broadcasts onto them as in Keras."""
    g = ctx.g
    axes = sorted(keras_axis(ctx, a) for a in as_tuple(layer.axis, 1))
    sizes = tuple(ctx.known(ctx.in_shape[a - 1], f"the normalized axis {a}") for a in axes)
    mean_square = g.node("ReduceMean", [g.node("Mul", [ctx.x, ctx.x]), g.ints("axes", axes)], keepdims=1)
    shifted = g.node("Add", [mean_square, g.scalar("epsilon", layer.epsilon)])
    normalized = g.node("Mul", [ctx.x, g.node("Reciprocal", [g.node("Sqrt", [shifted])])])
    return g.node("Mul", [normalized, g.weight("scale", ctx.weight("scale", sizes))])
