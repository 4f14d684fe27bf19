"""Emitters of spec/layers/core.py: Dense, Embedding, dropouts and the activation layers."""

from __future__ import annotations

from ...shapes.infer.einsum_dense import einsum_dense_build
from ...spec.layers import core as K
from ..source import call, literal
from .activations import activation_stage, keras_constant, with_activation
from .layout import KERAS, torch_dim
from .stage import Built, Ctx, emitter


@emitter(K.Dense)
def emit_dense(layer, ctx: Ctx) -> Built:
    kwargs = {} if layer.use_bias else {"bias": False}
    linear = call("nn.Linear", str(ctx.in_shape[-1]), str(layer.units), **kwargs)
    return Built(with_activation([linear], layer, ctx.out_shape, KERAS, ctx), KERAS, KERAS)


@emitter(K.EinsumDense)
def emit_einsum_dense(layer, ctx: Ctx) -> Built:
    """runtime_einsum.py's KerasEinsumDense: Keras's own equation on the Keras-layout input, the kernel and bias in
    Keras's shapes (from the shape rule's plan), so the weights map 1:1."""
    plan = einsum_dense_build(layer, ctx.in_shape)
    args = [literal(plan.equation), literal(plan.kernel)] + ([literal(plan.bias)] if plan.bias is not None else [])
    module = f"{ctx.helper('KerasEinsumDense')}({', '.join(args)})"
    return Built(with_activation([module], layer, ctx.out_shape, KERAS, ctx), KERAS, KERAS)


@emitter(K.Identity)
def emit_identity(layer, ctx: Ctx) -> Built:
    return Built(["nn.Identity()"])


@emitter(K.Dropout)
def emit_dropout(layer, ctx: Ctx) -> Built:
    return Built([f"nn.Dropout({literal(layer.rate)})"])


@emitter(K.SpatialDropout1D, K.SpatialDropout2D, K.SpatialDropout3D)
def emit_spatial_dropout(layer, ctx: Ctx) -> Built:
    layout = ctx.spatial_layout(layer)  # SpatialDropout1D always reads channels last: channels_first here
    return Built([f"nn.Dropout{layer.RANK}d({literal(layer.rate)})"], layout, layout)


@emitter(K.ActivationLayer)
def emit_activation(layer, ctx: Ctx) -> Built:
    stage = activation_stage(layer.activation, ctx.in_shape, ctx.in_layout, ctx)
    return Built([stage or "nn.Identity()"])


@emitter(K.ReLU)
def emit_relu(layer, ctx: Ctx) -> Built:
    m, slope, t = layer.max_value, layer.negative_slope, layer.threshold
    if t == 0 and slope == 0 and m != 0:  # Hardtanh needs max > min: max_value 0 takes the general path
        if m is None:
            return Built(["nn.ReLU()"])
        return Built(["nn.ReLU6()" if m == 6 else f"nn.Hardtanh(0.0, {literal(float(m))})"])
    if t == 0 and m is None:
        return Built([f"nn.LeakyReLU({keras_constant(slope)})"])
    # Keras computes this general case with Python-float constants (exact in float64); only its pure leaky-ReLU
    # path above goes through TensorFlow's float32 `alpha` attribute.
    args = ", ".join("None" if v is None else literal(float(v)) for v in (m, slope, t))
    return Built([f"{ctx.helper('KerasReLU')}({args})"])


@emitter(K.LeakyReLU)
def emit_leaky_relu(layer, ctx: Ctx) -> Built:
    return Built([f"nn.LeakyReLU({keras_constant(layer.negative_slope)})"])


@emitter(K.ELU)
def emit_elu(layer, ctx: Ctx) -> Built:
    return Built(["nn.ELU()" if layer.alpha == 1.0 else f"nn.ELU({literal(float(layer.alpha))})"])


@emitter(K.Softmax)
def emit_softmax(layer, ctx: Ctx) -> Built:
    if ctx.in_mask is not None:  # the mask (Keras's layout) broadcasts against the input from the last axis
        return Built([f"{ctx.helper('MaskedSoftmax')}(dim={torch_dim(layer.axis, ctx.in_shape, KERAS)})"], KERAS, KERAS)
    return Built([f"nn.Softmax(dim={torch_dim(layer.axis, ctx.in_shape, ctx.in_layout)})"])


@emitter(K.Embedding)
def emit_embedding(layer, ctx: Ctx) -> Built:
    """mask_zero's mask (ids != 0) is computed in forward() for the layers that read it (assemble.py)."""
    return Built([f"nn.Embedding({layer.input_dim}, {layer.output_dim})"], KERAS, KERAS)


@emitter(K.Masking)
def emit_masking(layer, ctx: Ctx) -> Built:
    """Zeroes the masked steps; the mask itself is computed in forward() for the layers that read it. Keras compares
    with mask_value as a float32 tensor, in a float64 model too (measured): so does the emitted model."""
    return Built([f"{ctx.helper('Masking')}({keras_constant(float(layer.mask_value))})"], KERAS, KERAS)


@emitter(K.PReLU)
def emit_prelu(layer, ctx: Ctx) -> Built:
    """runtime.py's KerasPReLU: an alpha of Keras's shape (nn.PReLU has one alpha, or one per channel only)."""
    alpha = layer.alpha_shape(ctx.in_shape)
    return Built([f"{ctx.helper('KerasPReLU')}({', '.join(map(str, alpha))})"], KERAS, KERAS)
