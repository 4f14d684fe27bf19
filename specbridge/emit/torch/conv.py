"""Emitters of spec/layers/conv.py: convolutions, depthwise, separable and transposed."""

from __future__ import annotations

from ...shapes.rules import as_tuple, transpose_crop
from ...spec.layers import conv as C
from ..source import call, compact, literal
from .activations import with_activation
from .layout import conv_padding
from .stage import Built, Ctx, emitter


def conv_kwargs(strides, dilation, **extra) -> dict:
    out = {}
    if any(s != 1 for s in strides):
        out["stride"] = compact(strides)
    if any(d != 1 for d in dilation):
        out["dilation"] = compact(dilation)
    out.update({k: v for k, v in extra.items() if v is not None})
    return out


def _conv_common(layer: C.ConvBase, ctx: Ctx):
    rank = layer.RANK
    spatial, channels = ctx.split(layer, ctx.in_shape)
    kernel = as_tuple(layer.kernel_size, rank)
    strides = as_tuple(layer.strides, rank)
    dilation = as_tuple(layer.dilation_rate, rank)
    return rank, spatial, channels, kernel, strides, dilation


@emitter(C.Conv1D, C.Conv2D, C.Conv3D, C.DepthwiseConv1D, C.DepthwiseConv2D)
def emit_conv(layer, ctx: Ctx) -> Built:
    rank, spatial, channels, kernel, strides, dilation = _conv_common(layer, ctx)
    pre, pad_kw = conv_padding(layer, ctx, spatial, kernel, strides, dilation)
    if isinstance(layer, C.Depthwise):
        out_channels, groups = channels * layer.depth_multiplier, channels
    else:
        out_channels, groups = layer.filters, layer.groups
    kwargs = conv_kwargs(strides, dilation, **pad_kw)
    if groups != 1:
        kwargs["groups"] = groups
    if not layer.use_bias:
        kwargs["bias"] = False
    conv = call(f"nn.Conv{rank}d", str(channels), str(out_channels), literal(compact(kernel)), **kwargs)
    layout = ctx.spatial_layout(layer)
    return Built(with_activation(pre + [conv], layer, ctx.out_shape, layout, ctx), layout, layout)


@emitter(C.SeparableConv1D, C.SeparableConv2D)
def emit_separable(layer, ctx: Ctx) -> Built:
    rank, spatial, channels, kernel, strides, dilation = _conv_common(layer, ctx)
    pre, pad_kw = conv_padding(layer, ctx, spatial, kernel, strides, dilation)
    middle = channels * layer.depth_multiplier
    depthwise = call(
        f"nn.Conv{rank}d", str(channels), str(middle), literal(compact(kernel)),
        **conv_kwargs(strides, dilation, **pad_kw), groups=channels, bias=False,
    )
    pointwise = call(f"nn.Conv{rank}d", str(middle), str(layer.filters), "1",
                     **({} if layer.use_bias else {"bias": False}))
    layout = ctx.spatial_layout(layer)
    return Built(with_activation(pre + [depthwise, pointwise], layer, ctx.out_shape, layout, ctx), layout, layout)


def _transpose_crops(layer: C.ConvTranspose, ctx: Ctx, spatial, kernel, strides, dilation):
    """Per axis: torch `padding`, `output_padding`, and the (before, after) cells still to crop afterwards
    (shapes.rules.transpose_crop gives Keras's crop; torch's `padding` crops symmetrically)."""
    out_spatial, _ = ctx.split(layer, ctx.out_shape)
    padding, output_padding, crops = [], [], []
    for length, n, k, s, d in zip(spatial, out_spatial, kernel, strides, dilation, strict=True):
        if length is None or n is None:
            raise ctx.fail("a transposed convolution over an axis of unknown size: its crop depends on the size")
        before, after, extra = transpose_crop(length, n, k, s, d, layer.padding == "same")
        padding.append(before)
        output_padding.append(extra)
        crops.append((0, after - before))  # the odd cell TF SAME puts at the end
    return padding, output_padding, crops


@emitter(C.Conv1DTranspose, C.Conv2DTranspose, C.Conv3DTranspose)
def emit_conv_transpose(layer, ctx: Ctx) -> Built:
    """Keras's size comes from cropping the full transposed conv at TF SAME's pad_before of a forward
    conv over the output; torch's `padding` crops symmetrically, so an odd crop needs one more cell off
    the end, and an output longer than the full result needs output_padding."""
    rank, spatial, channels, kernel, strides, dilation = _conv_common(layer, ctx)
    if not isinstance(layer.padding, str):
        raise ctx.fail("integer padding on a transposed convolution is not a Keras argument")
    padding, output_padding, crops = _transpose_crops(layer, ctx, spatial, kernel, strides, dilation)
    kwargs = conv_kwargs(strides, dilation)
    if any(padding):
        kwargs["padding"] = compact(padding)
    if any(output_padding):
        kwargs["output_padding"] = compact(output_padding)
    if not layer.use_bias:
        kwargs["bias"] = False
    stages = [call(f"nn.ConvTranspose{rank}d", str(channels), str(layer.filters), literal(compact(kernel)), **kwargs)]
    if any(c != (0, 0) for c in crops):
        stages.append(f"{ctx.helper('Crop')}({', '.join(literal(c) for c in crops)})")
    layout = ctx.spatial_layout(layer)
    return Built(with_activation(stages, layer, ctx.out_shape, layout, ctx), layout, layout)
