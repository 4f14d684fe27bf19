"""Convolutions: Conv1D/2D/3D, their transposed, depthwise and separable variants."""

from __future__ import annotations

from ...diagnostics import codes
from ...spec.layers import conv as L
from ..axes import join_channels, layout, split_channels
from ..errors import ShapeError
from ..records import Inferred, Tensor, format_shape
from ..rules import (
    as_tuple,
    conv_output_length,
    deconv_output_length,
    explicit_deconv_length,
    explicit_padding_length,
    product,
)
from . import Context, rule
from .common import fmt, require_rank

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


def check_conv_arguments(layer: L.ConvBase, *, stride_with_dilation: bool = False) -> None:
    """Construction-time refusals: causal padding outside Conv1D; strides > 1 with dilation_rate > 1
    (Keras's Conv and ConvTranspose refuse it; its depthwise and separable convolutions accept it)."""
    strides = as_tuple(layer.strides, layer.RANK)
    dilation = as_tuple(layer.dilation_rate, layer.RANK)
    if not stride_with_dilation and max(strides) > 1 and max(dilation) > 1:
        raise ShapeError(
            codes.STRIDE_DILATION,
            f"strides={list(strides)} together with dilation_rate={list(dilation)}: Keras refuses strides > 1 with dilation_rate > 1",
            hint="use strides 1 with dilation, or dilation_rate 1 with strides",
            argument="strides",
        )
    if layer.padding == "causal" and not isinstance(layer, L.Conv1D):
        raise ShapeError(
            codes.INVALID_ARGUMENT, f"padding 'causal' is only supported by Conv1D, not {layer.kind}",
            hint="use 'valid' or 'same' (or a Conv1D, for a causal convolution over a sequence)",
            argument="padding",
        )


def conv_spatial(
    layer: L.ConvBase, spatial: tuple, tensor: Tensor, *, stride_with_dilation: bool = False
) -> tuple[tuple, list[str]]:
    """Output spatial dims of a forward convolution, with one explanation line per axis."""
    check_conv_arguments(layer, stride_with_dilation=stride_with_dilation)
    rank = layer.RANK
    kernel = as_tuple(layer.kernel_size, rank)
    strides = as_tuple(layer.strides, rank)
    dilation = as_tuple(layer.dilation_rate, rank)
    padding = layer.padding
    pads = as_tuple(padding, rank) if not isinstance(padding, str) else None
    out, steps = [], []
    names = AXIS_NAMES[rank]
    for i in range(rank):
        if pads is not None:
            length, formula = explicit_padding_length(spatial[i], kernel[i], strides[i], pads[i], dilation[i])
        else:
            length, formula = conv_output_length(spatial[i], kernel[i], strides[i], padding, dilation[i])
        steps.append(f"{names[i]}: {formula}")
        check_positive(length, names[i], formula, tensor, kernel, spatial[i])
        out.append(length)
    return tuple(out), steps


def check_positive(length, axis: str, formula: str, tensor: Tensor, kernel: tuple, size) -> None:
    if length is not None and length <= 0:
        raise ShapeError(
            codes.NONPOSITIVE_SIZE,
            f"output {axis} would be {length} (zero or negative): {formula}; "
            f"input shape {format_shape(tensor.shape)}, kernel_size {list(kernel)}",
            hint=(
                f"the {axis} axis ({size}) is smaller than the kernel span: use padding 'same', "
                "a smaller kernel_size, or remove a downsampling layer before this one"
            ),
            argument="kernel_size",
        )


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


def transpose_spatial(layer: L.ConvTranspose, spatial: tuple, tensor: Tensor) -> tuple[tuple, list[str]]:
    """Output spatial dims of a transposed convolution (Keras's rule; PyTorch's for integer padding)."""
    check_conv_arguments(layer)
    rank = layer.RANK
    kernel = as_tuple(layer.kernel_size, rank)
    strides = as_tuple(layer.strides, rank)
    dilation = as_tuple(layer.dilation_rate, rank)
    output_padding = None if layer.output_padding is None else as_tuple(layer.output_padding, rank)
    if output_padding is not None and any(op >= s for op, s in zip(output_padding, strides, strict=True)):
        raise ShapeError(
            codes.INVALID_ARGUMENT,
            f"output_padding={list(output_padding)} must be smaller than strides={list(strides)} on every axis "
            "(Keras: '`output_padding` must be strictly less than `strides`')",
            hint="output_padding only picks one of the `strides` possible output sizes: use a value below the stride",
            argument="output_padding",
        )
    padding = layer.padding
    pads = as_tuple(padding, rank) if not isinstance(padding, str) else None
    out, steps = [], []
    names = AXIS_NAMES[rank]
    for i in range(rank):
        op = None if output_padding is None else output_padding[i]
        if pads is not None:
            length, formula = explicit_deconv_length(spatial[i], kernel[i], strides[i], pads[i], op or 0, dilation[i])
        else:
            length, formula = deconv_output_length(spatial[i], kernel[i], strides[i], padding, op, dilation[i])
        steps.append(f"{names[i]}: {formula}")
        check_positive(length, names[i], formula, tensor, kernel, spatial[i])
        out.append(length)
    return tuple(out), steps


def transpose_rule_line(layer: L.ConvTranspose) -> str:
    """Which of Keras's transposed-conv formulas applies, in words (keff = (k-1)*d + 1)."""
    if not isinstance(layer.padding, str):
        return "explicit padding p (PyTorch ConvTranspose): out = (L - 1) * s - 2p + keff + output_padding"
    if layer.padding == "valid":
        if layer.output_padding is None:
            return "'valid': out = (L - 1) * s + max(keff, s), each input cell spreads a kernel window s apart"
        return "'valid' with output_padding: out = (L - 1) * s + keff + output_padding"
    if layer.output_padding is None:
        return "'same': out = L * s (the transpose of a 'same' conv with the same stride)"
    return "'same' with output_padding: out = (L - 1) * s + (keff % 2) + output_padding"


@rule(L.Conv1DTranspose, L.Conv2DTranspose, L.Conv3DTranspose)
def infer_conv_transpose(layer: L.ConvTranspose, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    spatial, channels, channels_last = conv_input(layer, tensor, ctx)
    out_spatial, axis_steps = transpose_spatial(layer, spatial, tensor)
    kernel = as_tuple(layer.kernel_size, layer.RANK)
    weights = product(kernel) * channels * layer.filters
    bias = layer.filters if layer.use_bias else 0
    ksz = "*".join(map(str, kernel))
    steps = [transpose_rule_line(layer), *axis_steps]
    steps.append(
        f"each of the {layer.filters} filters has a {'x'.join(map(str, kernel + (channels,)))} kernel over all "
        f"{channels} input channels, so the output has {layer.filters} channels"
    )
    if layer.use_bias:
        steps.append(f"params = ({ksz}*{channels} + 1) * {layer.filters} = {fmt(weights + bias)}")
    else:
        steps.append(f"params = {ksz}*{channels} * {layer.filters} = {fmt(weights)} (no bias)")
    steps.append(
        f"kernel shape: Keras {kernel + (layer.filters, channels)}, "
        f"PyTorch ConvTranspose{layer.RANK}d {(channels, layer.filters) + kernel}"
    )
    return Inferred(join_channels(out_spatial, layer.filters, channels_last), weights + bias, steps=tuple(steps))


@rule(L.DepthwiseConv1D, L.DepthwiseConv2D)
def infer_depthwise(layer: L.DepthwiseConv2D, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    spatial, channels, channels_last = conv_input(layer, tensor, ctx)
    out_spatial, steps = conv_spatial(layer, spatial, tensor, stride_with_dilation=True)
    kernel = as_tuple(layer.kernel_size, layer.RANK)
    dm = layer.depth_multiplier
    out_channels = channels * dm
    weights = product(kernel) * out_channels
    bias = out_channels if layer.use_bias else 0
    ksz = "*".join(map(str, kernel))
    steps.append(
        f"depthwise: each of the {channels} input channels gets its own {dm} filter(s) of "
        f"{'x'.join(map(str, kernel))} (depth_multiplier={dm}), channels never mix: "
        f"{channels} * {dm} = {out_channels} output channels"
    )
    if layer.use_bias:
        steps.append(f"params = ({ksz} + 1) * {channels}*{dm} = {fmt(weights + bias)}")
    else:
        steps.append(f"params = {ksz} * {channels}*{dm} = {fmt(weights)} (no bias)")
    steps.append(
        f"kernel shape: Keras {kernel + (channels, dm)}, PyTorch Conv{layer.RANK}d(groups={channels}) "
        f"{(out_channels, 1) + kernel}"
    )
    return Inferred(join_channels(out_spatial, out_channels, channels_last), weights + bias, steps=tuple(steps))


@rule(L.SeparableConv1D, L.SeparableConv2D)
def infer_separable(layer: L.SeparableConv2D, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    spatial, channels, channels_last = conv_input(layer, tensor, ctx)
    out_spatial, steps = conv_spatial(layer, spatial, tensor, stride_with_dilation=True)
    kernel = as_tuple(layer.kernel_size, layer.RANK)
    dm = layer.depth_multiplier
    mid = channels * dm
    depthwise = product(kernel) * mid
    pointwise = mid * layer.filters
    bias = layer.filters if layer.use_bias else 0
    ksz = "*".join(map(str, kernel))
    ones = (1,) * layer.RANK
    steps.append(
        f"separable = depthwise then pointwise: each of the {channels} input channels is filtered on its own "
        f"({dm} filter(s) of {'x'.join(map(str, kernel))}), giving {channels}*{dm} = {mid} channels; "
        f"then a {'x'.join(map(str, ones))} conv mixes them into {layer.filters} channels"
    )
    steps.append(
        f"params = {ksz}*{channels}*{dm} (depthwise) + {mid}*{layer.filters} (pointwise)"
        + (f" + {layer.filters} (bias)" if bias else " (no bias)")
        + f" = {fmt(depthwise + pointwise + bias)}"
    )
    steps.append(
        f"kernel shapes: Keras depthwise {kernel + (channels, dm)} and pointwise {ones + (mid, layer.filters)}; "
        f"PyTorch Conv{layer.RANK}d(groups={channels}) {(mid, 1) + kernel} then Conv{layer.RANK}d "
        f"{(layer.filters, mid) + ones}"
    )
    return Inferred(
        join_channels(out_spatial, layer.filters, channels_last), depthwise + pointwise + bias, steps=tuple(steps)
    )
