"""ONNX emitters of spec/layers/core.py: Dense, Embedding, dropouts and the activation layers."""

from __future__ import annotations

import numpy as np

from ...shapes.infer.einsum_dense import einsum_dense_build
from ...spec.layers import core as K
from ...spec.model import INTEGER_DTYPES
from .activations import activation, with_activation
from .attention import SOFTMAX_NEGATIVE
from .masks import any_not_equal
from .stage import Ctx, emitter


@emitter(K.Dense)
def emit_dense(layer, ctx: Ctx) -> str:
    """Gemm on a (batch, features) input; MatMul + Add over the last axis of a longer one, as Keras's Dense."""
    g, units = ctx.g, layer.units
    features = ctx.known(ctx.in_shape[-1], "the input's last axis")
    kernel = g.weight("kernel", ctx.weight("kernel", (features, units)))
    bias = g.weight("bias", ctx.weight("bias", (units,))) if layer.use_bias else None
    if ctx.rank == 2:
        y = g.node("Gemm", [ctx.x, kernel] + ([bias] if bias else []))
    else:
        y = g.node("MatMul", [ctx.x, kernel])
        y = g.node("Add", [y, bias]) if bias else y
    return with_activation(layer, y, ctx)


@emitter(K.EinsumDense)
def emit_einsum_dense(layer, ctx: Ctx) -> str:
    """Einsum on Keras's equation (the '...' as written: ONNX's Einsum broadcasts it as NumPy), the kernel and bias
    initializers in Keras's shapes; the bias broadcasts from the right, as in Keras."""
    g = ctx.g
    plan = einsum_dense_build(layer, ctx.in_shape)
    kernel = g.weight("kernel", ctx.weight("kernel", plan.kernel))
    y = g.node("Einsum", [ctx.x, kernel], equation=plan.equation)
    if plan.bias is not None:
        y = g.node("Add", [y, g.weight("bias", ctx.weight("bias", plan.bias))])
    return with_activation(layer, y, ctx)


@emitter(K.Dropout, K.SpatialDropout1D, K.SpatialDropout2D, K.SpatialDropout3D)
def emit_dropout(layer, ctx: Ctx) -> str:
    return ctx.x  # the identity at inference


@emitter(K.Identity)
def emit_identity(layer, ctx: Ctx) -> str:
    return ctx.x


@emitter(K.ActivationLayer)
def emit_activation(layer, ctx: Ctx) -> str:
    return activation(layer.activation, ctx.x, ctx)


@emitter(K.ReLU)
def emit_relu(layer, ctx: Ctx) -> str:
    """Keras's ReLU(max_value, negative_slope, threshold): Relu, Clip or LeakyRelu when they are the same function,
    else the general formula: where(x > t, x, 0) clipped to max_value, minus slope * relu(t - x)."""
    g, x = ctx.g, ctx.x
    m, slope, t = layer.max_value, layer.negative_slope, layer.threshold
    if t == 0 and slope == 0 and m is None:
        return g.node("Relu", [x])
    if t == 0 and slope == 0 and m != 0:
        return g.node("Clip", [x, g.scalar("min", 0.0), g.scalar("max", float(m))])
    if t == 0 and m is None:
        return g.node("LeakyRelu", [x], alpha=float(slope))
    threshold = g.scalar("threshold", float(t))
    kept = g.node("Where", [g.node("Greater", [x, threshold]), x, g.scalar("zero", 0.0)])
    if m is not None:
        kept = g.node("Clip", [kept, g.scalar("min", 0.0), g.scalar("max", float(m))])
    if slope == 0:
        return kept
    negative = g.node("Relu", [g.node("Sub", [threshold, x])])
    return g.node("Sub", [kept, g.node("Mul", [g.scalar("negative_slope", float(slope)), negative])])


@emitter(K.LeakyReLU)
def emit_leaky_relu(layer, ctx: Ctx) -> str:
    return ctx.g.node("LeakyRelu", [ctx.x], alpha=float(layer.negative_slope))


@emitter(K.ELU)
def emit_elu(layer, ctx: Ctx) -> str:
    """Elu. Its alpha is a float32 attribute (0.7 -> 0.699999988), so a float64 model with alpha != 1 computes
    Keras's where(x > 0, elu(x), alpha * elu(x)) with alpha in float64 instead."""
    g, x = ctx.g, ctx.x
    if g.dtype == np.float32 or layer.alpha == 1:
        return g.node("Elu", [x], alpha=float(layer.alpha))
    elu = g.node("Elu", [x], alpha=1.0)
    scaled = g.node("Mul", [g.scalar("alpha", float(layer.alpha)), elu])
    return g.node("Where", [g.node("Greater", [x, g.scalar("zero", 0.0)]), elu, scaled])


@emitter(K.Softmax)
def emit_softmax(layer, ctx: Ctx) -> str:
    """With a Keras mask (keras/src/layers/activations/softmax.py): where(mask, x, -1e9), softmax, then zero where
    masked (a fully masked axis gives zeros, not a uniform distribution). The mask has the input's rank
    (shapes/masks.py refuses others) and broadcasts from the right, as Where does."""
    g, mask = ctx.g, ctx.mask
    x = ctx.x if mask is None else g.node("Where", [mask, ctx.x, g.scalar("large_negative", SOFTMAX_NEGATIVE)])
    y = g.node("Softmax", [x], axis=layer.axis)
    return y if mask is None else g.node("Where", [mask, y, g.scalar("zero", 0.0)])


@emitter(K.Masking)
def emit_masking(layer, ctx: Ctx) -> str:
    """Keras's where(any(x != mask_value, axis=-1, keepdims=True), x, 0); the mask it makes is masks.py's."""
    g = ctx.g
    keep = any_not_equal(g, ctx.x, float(layer.mask_value), keepdims=1)
    dtype = ctx.plan.input_dtype(ctx.name)
    if dtype not in INTEGER_DTYPES + ("bool",):
        return g.node("Where", [keep, ctx.x, g.scalar("zero", 0.0)])
    out = g.node("Where", [keep, ctx.x, g.constant("zero", np.asarray(0, dtype))])
    g.types[out] = dtype  # an int or bool input stays one (GraphBuilder.types)
    return out


@emitter(K.Embedding)
def emit_embedding(layer, ctx: Ctx) -> str:
    """The table lookup; with mask_zero, the mask (ids != 0) is computed where a layer reads it (masks.py)."""
    g = ctx.g
    table = g.weight("embeddings", ctx.weight("embeddings", (layer.input_dim, layer.output_dim)))
    return g.node("Gather", [table, g.node("Cast", [ctx.x], to=7)])  # 7: int64 ids (the input may be int8..int32)


@emitter(K.PReLU)
def emit_prelu(layer, ctx: Ctx) -> str:
    """PRelu broadcasts its slope from the right, as Keras's alpha (the input's shape, shared axes set to 1) does."""
    alpha = tuple(layer.alpha_shape(ctx.in_shape))
    return ctx.g.node("PRelu", [ctx.x, ctx.g.weight("alpha", ctx.weight("alpha", alpha))])
