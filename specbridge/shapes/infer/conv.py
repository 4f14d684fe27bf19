"""Convolutions: Conv1D/2D/3D (transposed, depthwise and separable variants below)."""

from __future__ import annotations

from ...diagnostics import codes
from ...spec.layers import conv as L
from ..errors import ShapeError
from ..records import Inferred, Tensor, format_shape
from ..rules import conv_output_length, explicit_padding_length, product
from . import Context, rule
from .common import as_tuple, fmt, join_channels, layout, require_rank, split_channels

AXIS_NAMES = {1: ("steps",), 2: ("rows", "cols"), 3: ("depth", "rows", "cols")}


def conv_input(layer: L.ConvBase, tensor: Tensor, ctx: Context) -> tuple[tuple, int, bool]:
    """Checks shared by every convolution; returns (spatial dims, channels, channels_last)."""
    rank = layer.RANK
    channels_last = ctx.channels_last(layer)
    expected = layout(rank, channels_last)
    hint = None
    if tensor.rank < rank + 2:
        if tensor.rank == rank + 1:
            hint = (
                f"the input has no channel axis: give it one, e.g. input shape {format_shape(tensor.shape + (1,), batch=False)}"
                if channels_last else
                f"the input has no channel axis: give it one, e.g. input shape {format_shape((1,) + tensor.shape, batch=False)}"
            )
        elif rank == 2 and tensor.rank == 3:
            hint = "for a sequence (batch, steps, features) use Conv1D, or Reshape to add rows/cols/channels"
        else:
            hint = f"{layer.kind} works on {expected}; Reshape the input, or use a Conv{tensor.rank - 2}D"
    elif tensor.rank > rank + 2:
        hint = (
            f"for a sequence of {rank}D inputs, wrap the layer in TimeDistributed"
            if tensor.rank == rank + 3 else f"use Conv{tensor.rank - 2}D or Reshape the input"
        )
    require_rank(layer, tensor, ndim=rank + 2, expected=expected, hint=hint)
    spatial, channels = split_channels(tensor.shape, channels_last)
    if channels is None:
        raise ShapeError(
            codes.UNKNOWN_DIMENSION,
            f"{layer.kind} needs a known number of input channels, got {format_shape(tensor.shape)}",
            hint="the channel axis sizes the kernel: give it a size in the input shape",
        )
    if layer.in_channels is not None and layer.in_channels != channels:
        raise ShapeError(
            codes.CHANNEL_MISMATCH,
            f"in_channels={layer.in_channels} but the input has {channels} channels: {format_shape(tensor.shape)}",
            hint=f"set in_channels: {channels} (the previous layer's output channels), or fix the previous layer",
            argument="in_channels",
        )
    return spatial, channels, channels_last


def conv_spatial(layer: L.ConvBase, spatial: tuple, tensor: Tensor) -> tuple[tuple, list[str]]:
    """Output spatial dims of a forward convolution, with one explanation line per axis."""
    rank = layer.RANK
    kernel = as_tuple(layer.kernel_size, rank)
    strides = as_tuple(layer.strides, rank)
    dilation = as_tuple(layer.dilation_rate, rank)
    if max(strides) > 1 and max(dilation) > 1:
        raise ShapeError(
            codes.STRIDE_DILATION,
            f"strides={list(strides)} together with dilation_rate={list(dilation)}: Keras refuses strides > 1 with dilation_rate > 1",
            hint="use strides 1 with dilation, or dilation_rate 1 with strides",
            argument="strides",
        )
    padding = layer.padding
    if padding == "causal" and not isinstance(layer, L.Conv1D):
        raise ShapeError(
            codes.INVALID_ARGUMENT, f"padding 'causal' is only supported by Conv1D, not {layer.kind}",
            hint="use 'valid' or 'same'", argument="padding",
        )
    pads = as_tuple(padding, rank) if not isinstance(padding, str) else None
    out, steps = [], []
    names = AXIS_NAMES[rank]
    for i in range(rank):
        if pads is not None:
            length, formula = explicit_padding_length(spatial[i], kernel[i], strides[i], pads[i], dilation[i])
        else:
            length, formula = conv_output_length(spatial[i], kernel[i], strides[i], padding, dilation[i])
        steps.append(f"{names[i]}: {formula}")
        if length is not None and length <= 0:
            raise ShapeError(
                codes.NONPOSITIVE_SIZE,
                f"output {names[i]} would be {length} (zero or negative): {formula}; "
                f"input shape {format_shape(tensor.shape)}, kernel_size {list(kernel)}",
                hint=(
                    f"the {names[i]} axis ({spatial[i]}) is smaller than the kernel span: use padding 'same', "
                    "a smaller kernel_size, or remove a downsampling layer before this one"
                ),
                argument="kernel_size",
            )
        out.append(length)
    return tuple(out), steps


@rule(L.Conv1D, L.Conv2D, L.Conv3D)
def infer_conv(layer: L.Conv, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    spatial, channels, channels_last = conv_input(layer, tensor, ctx)
    if channels % layer.groups or layer.filters % layer.groups:
        raise ShapeError(
            codes.INVALID_ARGUMENT,
            f"groups={layer.groups} must divide both the input channels ({channels}) and filters ({layer.filters})",
            hint="pick groups that divides both", argument="groups",
        )
    out_spatial, steps = conv_spatial(layer, spatial, tensor)
    kernel = as_tuple(layer.kernel_size, layer.RANK)
    per_filter_in = channels // layer.groups
    window = "x".join(map(str, kernel + (per_filter_in,)))
    weights = product(kernel) * per_filter_in * layer.filters
    bias = layer.filters if layer.use_bias else 0
    ksz = "*".join(map(str, kernel))
    if layer.groups == 1:
        steps.append(
            f"each of the {layer.filters} filters spans all {channels} input channels: a {window} window, "
            f"summed into one output channel, so the output has {layer.filters} channels"
        )
    else:
        steps.append(
            f"groups={layer.groups}: each of the {layer.filters} filters sees {per_filter_in} of the {channels} input channels ({window})"
        )
    if layer.use_bias:
        steps.append(f"params = ({ksz}*{per_filter_in} + 1) * {layer.filters} = {fmt(weights + bias)}")
    else:
        steps.append(f"params = {ksz}*{per_filter_in} * {layer.filters} = {fmt(weights)} (no bias)")
    keras_kernel = kernel + (per_filter_in, layer.filters)
    torch_kernel = (layer.filters, per_filter_in) + kernel
    steps.append(f"kernel shape: Keras {keras_kernel}, PyTorch {torch_kernel}")
    return Inferred(join_channels(out_spatial, layer.filters, channels_last), weights + bias, steps=tuple(steps))
