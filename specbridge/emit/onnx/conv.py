"""ONNX emitters of spec/layers/conv.py: Conv (plain, grouped, depthwise, separable) and ConvTranspose.

The kernels are Keras's, transposed to ONNX's (out, in/group, k...) / (in, out/group, k...). TF 'same' is
auto_pad SAME_UPPER (the odd extra cell at the end, for any input size); with dilation > 1 onnxruntime's CPU Conv
refuses auto_pad, so the pads are explicit there (REFERENCE.md section 5).
"""

from __future__ import annotations

import numpy as np

from ...shapes.rules import as_tuple, effective_kernel, same_padding, transpose_crop
from ...spec.layers import conv as C
from ..weights import kernel_perm
from .activations import with_activation
from .graph import to_channels_first, to_channels_last
from .stage import Ctx, emitter

SAME = "SAME_UPPER"  # TF SAME: tests plant SAME_LOWER here to prove the cross-check catches it


def padding_attrs(layer, ctx: Ctx, spatial, kernel, strides, dilation) -> dict:
    """Conv/pool attributes reproducing Keras's padding: auto_pad, or pads [begin..., end...]."""
    padding = layer.padding
    if padding == "valid":
        return {}
    if not isinstance(padding, str):
        pads = list(as_tuple(padding, len(kernel)))
        return {"pads": pads + pads}
    if padding == "causal":
        return {"pads": [effective_kernel(kernel[0], dilation[0]) - 1, 0]}
    if all(d == 1 for d in dilation):
        return {"auto_pad": SAME}
    if any(n is None and s != 1 for n, s in zip(spatial, strides, strict=True)):
        raise ctx.fail("'same' padding with dilation > 1 and stride > 1 on an axis of unknown size: onnxruntime "
                       "needs explicit pads there, and TF's split depends on the size; give the input a known size")
    pairs = [same_padding(n, k, s, d) for n, k, s, d in zip(spatial, kernel, strides, dilation, strict=True)]
    return {"pads": [b for b, _ in pairs] + [a for _, a in pairs]}


def _common(layer, ctx: Ctx):
    rank = layer.RANK
    spatial, channels = ctx.split(layer, ctx.in_shape)
    channels = ctx.known(channels, "the channel axis")
    kernel, strides, dilation = (as_tuple(v, rank) for v in (layer.kernel_size, layer.strides, layer.dilation_rate))
    return rank, spatial, channels, kernel, strides, dilation


def depthwise_weight(kernel: np.ndarray, rank: int) -> np.ndarray:
    """Keras (k..., in, multiplier) -> ONNX grouped Conv (in * multiplier, 1, k...)."""
    flat = kernel.reshape(kernel.shape[:rank] + (-1,))
    return np.moveaxis(flat, -1, 0)[:, None]


def _conv_node(ctx: Ctx, x: str, weight: np.ndarray, bias, hint: str, **attrs) -> str:
    g = ctx.g
    inputs = [x, g.weight(hint, weight)] + ([g.weight(f"{hint}_bias", bias)] if bias is not None else [])
    return g.node("Conv", inputs, **attrs)


def _spatial_attrs(kernel, strides, dilation) -> dict:
    return {"kernel_shape": list(kernel), "strides": list(strides), "dilations": list(dilation)}


@emitter(C.Conv1D, C.Conv2D, C.Conv3D, C.DepthwiseConv1D, C.DepthwiseConv2D)
def emit_conv(layer, ctx: Ctx) -> str:
    rank, spatial, channels, kernel, strides, dilation = _common(layer, ctx)
    if isinstance(layer, C.Depthwise):
        out, groups = channels * layer.depth_multiplier, channels
        weight = depthwise_weight(ctx.weight("kernel", (*kernel, channels, layer.depth_multiplier)), rank)
    else:
        out, groups = layer.filters, layer.groups
        weight = ctx.weight("kernel", (*kernel, channels // groups, out)).transpose(kernel_perm(rank))
    bias = ctx.weight("bias", (out,)) if layer.use_bias else None
    last = ctx.channels_last(layer)
    x = to_channels_first(ctx.g, ctx.x, ctx.rank, last)
    y = _conv_node(ctx, x, weight, bias, "kernel", group=groups if groups != 1 else None,
                   **_spatial_attrs(kernel, strides, dilation), **padding_attrs(layer, ctx, spatial, kernel, strides, dilation))
    return with_activation(layer, to_channels_last(ctx.g, y, ctx.rank, last), ctx)


@emitter(C.SeparableConv1D, C.SeparableConv2D)
def emit_separable(layer, ctx: Ctx) -> str:
    rank, spatial, channels, kernel, strides, dilation = _common(layer, ctx)
    middle = channels * layer.depth_multiplier
    depthwise = depthwise_weight(ctx.weight("depthwise_kernel", (*kernel, channels, layer.depth_multiplier)), rank)
    pointwise = ctx.weight("pointwise_kernel", (*(1,) * rank, middle, layer.filters)).transpose(kernel_perm(rank))
    bias = ctx.weight("bias", (layer.filters,)) if layer.use_bias else None
    last = ctx.channels_last(layer)
    x = to_channels_first(ctx.g, ctx.x, ctx.rank, last)
    x = _conv_node(ctx, x, depthwise, None, "depthwise_kernel", group=channels,
                   **_spatial_attrs(kernel, strides, dilation), **padding_attrs(layer, ctx, spatial, kernel, strides, dilation))
    y = _conv_node(ctx, x, pointwise, bias, "pointwise_kernel", kernel_shape=[1] * rank)
    return with_activation(layer, to_channels_last(ctx.g, y, ctx.rank, last), ctx)


def transpose_pads(layer, ctx: Ctx, spatial, kernel, strides, dilation) -> tuple[list[int], list[int]]:
    """(pads [begin..., end...], output_padding) giving Keras's output size (shapes.rules.transpose_crop)."""
    out_spatial, _ = ctx.split(layer, ctx.out_shape)
    begins, ends, output_padding = [], [], []
    for length, n, k, s, d in zip(spatial, out_spatial, kernel, strides, dilation, strict=True):
        if length is None or n is None:
            raise ctx.fail("a transposed convolution over an axis of unknown size: its crop depends on the size")
        before, after, extra = transpose_crop(length, n, k, s, d, layer.padding == "same")
        begins.append(before)
        ends.append(after)
        output_padding.append(extra)
    return begins + ends, output_padding


@emitter(C.Conv1DTranspose, C.Conv2DTranspose, C.Conv3DTranspose)
def emit_conv_transpose(layer, ctx: Ctx) -> str:
    rank, spatial, channels, kernel, strides, dilation = _common(layer, ctx)
    if not isinstance(layer.padding, str):
        raise ctx.fail("integer padding on a transposed convolution is not a Keras argument")
    # Keras (k..., out, in) -> ONNX (in, out, k...): the same permutation as a forward kernel's.
    weight = ctx.weight("kernel", (*kernel, layer.filters, channels)).transpose(kernel_perm(rank))
    bias = ctx.weight("bias", (layer.filters,)) if layer.use_bias else None
    pads, output_padding = transpose_pads(layer, ctx, spatial, kernel, strides, dilation)
    last, g = ctx.channels_last(layer), ctx.g
    x = to_channels_first(g, ctx.x, ctx.rank, last)
    inputs = [x, g.weight("kernel", weight)] + ([g.weight("bias", bias)] if bias is not None else [])
    y = g.node("ConvTranspose", inputs, pads=pads, output_padding=output_padding if any(output_padding) else None,
               **_spatial_attrs(kernel, strides, dilation))
    return with_activation(layer, to_channels_last(g, y, ctx.rank, last), ctx)
