"""Convolutions: Conv1D/2D/3D, their transposed, depthwise and separable variants."""

from __future__ import annotations

from ...diagnostics import codes
from ...spec.layers import conv as L
from ..axes import join_channels, layout, spatial_names, split_channels
from ..errors import ShapeError
from ..records import Inferred, Step, Tensor, format_shape
from ..rules import (
    as_tuple,
    ceil_div,
    conv_output_length,
    deconv_output_length,
    explicit_deconv_length,
    explicit_padding_length,
    product,
)
from . import Context, rule
from .common import arithmetic, check_positive, require_rank


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
            hint = f"{layer.kind} works on {expected}; Reshape the input" + (
                f", or use a Conv{tensor.rank - 2}D" if tensor.rank >= 3 else " (e.g. Reshape((features, 1)) and a Conv1D)")
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
) -> tuple[tuple, list[Step]]:
    """Output spatial dims of a forward convolution, with one step per axis."""
    check_conv_arguments(layer, stride_with_dilation=stride_with_dilation)
    rank = layer.RANK
    kernel = as_tuple(layer.kernel_size, rank)
    strides = as_tuple(layer.strides, rank)
    dilation = as_tuple(layer.dilation_rate, rank)
    padding = layer.padding
    pads = as_tuple(padding, rank) if not isinstance(padding, str) else None
    steps = []
    for i, name in enumerate(spatial_names(rank)):
        if pads is not None:
            step = explicit_padding_length(spatial[i], kernel[i], strides[i], pads[i], dilation[i], axis=name)
        else:
            step = conv_output_length(spatial[i], kernel[i], strides[i], padding, dilation[i], axis=name)
        check_kernel_fits(step, tensor, kernel, spatial[i])
        steps.append(step)
    return tuple(step.result for step in steps), steps


def check_kernel_fits(step: Step, tensor: Tensor, kernel: tuple, size) -> None:
    check_positive(
        step, tensor, "kernel_size", list(kernel),
        hint=(
            f"the {step.topic} axis ({size}) is smaller than the kernel span: use padding 'same', "
            "a smaller kernel_size, or remove a downsampling layer before this one"
        ),
    )


def params_step(kernel: tuple, channels: int, filters: int, use_bias: bool) -> Step:
    """params = (prod(kernel) * channels + 1) * filters: the count of a full (or transposed) convolution."""
    values = {"kernel": kernel, "channels": channels, "filters": filters}
    weights = product(kernel) * channels * filters
    if use_bias:
        return Step(
            "params", "params = ({kernel:*}*{channels} + 1) * {filters} = {result:,}", values, weights + filters,
            formula="(prod(kernel) * channels + 1) * filters",
        )
    return Step(
        "params", "params = {kernel:*}*{channels} * {filters} = {result:,} (no bias)", values, weights,
        formula="prod(kernel) * channels * filters",
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
    filters, groups = layer.filters, layer.groups
    per_filter_in = channels // groups
    window = kernel + (per_filter_in,)
    if groups == 1:
        steps.append(Step(
            "channels",
            "each of the {filters} filters spans all {in_channels} input channels: a {window:x} window, "
            "summed into one output channel, so the output has {filters} channels",
            {"filters": filters, "in_channels": channels, "window": window}, filters,
        ))
    else:
        steps.append(Step(
            "channels",
            "groups={groups}: each of the {filters} filters sees {per_filter} of the {in_channels} input channels "
            "({window:x})",
            {"groups": groups, "filters": filters, "per_filter": per_filter_in, "in_channels": channels,
             "window": window},
            filters, formula="in_channels / groups",
        ))
    params = params_step(kernel, per_filter_in, filters, layer.use_bias)
    steps.append(params)
    steps.append(Step(
        "kernel shape", "kernel shape: Keras {keras}, PyTorch {pytorch}",
        {"keras": kernel + (per_filter_in, filters), "pytorch": (filters, per_filter_in) + kernel},
    ))
    return Inferred(join_channels(out_spatial, filters, channels_last), params.result, steps=tuple(steps))


def transpose_spatial(layer: L.ConvTranspose, spatial: tuple, tensor: Tensor) -> tuple[tuple, list[Step]]:
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
    steps = []
    for i, name in enumerate(spatial_names(rank)):
        op = None if output_padding is None else output_padding[i]
        if pads is not None:
            step = explicit_deconv_length(spatial[i], kernel[i], strides[i], pads[i], op or 0, dilation[i], axis=name)
        else:
            step = deconv_output_length(spatial[i], kernel[i], strides[i], padding, op, dilation[i], axis=name)
            if padding == "same" and op is not None:
                check_same_round_trip(step, spatial[i], strides[i], tensor)
        check_kernel_fits(step, tensor, kernel, spatial[i])
        steps.append(step)
    return tuple(step.result for step in steps), steps


def check_same_round_trip(step: Step, length, stride: int, tensor: Tensor) -> None:
    """A 'same' transposed conv whose output_padding breaks ceil(out / s) == L (or gives 0 cells) is refused, on
    every machine alike: TensorFlow's standard kernels reject it when the model is called (Keras's symbolic shape
    does not check it, so the model builds); its oneDNN kernels reject it on some CPUs and run it on others
    (AVX-512/AMX machines); PyTorch runs it. A model whose verdict depends on the CPU is reported as broken."""
    out = step.result
    if length is None or out is None or (out > 0 and ceil_div(out, stride) == length):
        return
    pytorch = (f"and PyTorch's ConvTranspose runs it ({out} cells)" if out > 0 else
               "and PyTorch refuses an output of 0 cells (\"Output size is too small\") or returns an empty tensor")
    raise ShapeError(
        codes.INVALID_ARGUMENT,
        f"padding 'same' with output_padding gives {step.topic} {arithmetic(step)}, but TensorFlow runs a 'same' "
        f"transposed conv only when ceil(out / strides) = input length: ceil({out} / {stride}) = "
        f"{ceil_div(max(out, 0), stride)}, not {length}. Keras builds the model; calling it fails with "
        "TensorFlow's standard kernels (\"Conv2DCustomBackpropInput: Size of out_backprop doesn't match computed\"), "
        "while its oneDNN kernels (TF_ENABLE_ONEDNN_OPTS, on by default on CPUs with AVX-512 or AMX) refuse it on "
        f"some CPUs and run it on others, {pytorch}: whether the model runs depends on the machine, so it is an "
        f"error on every machine; input shape {format_shape(tensor.shape)}",
        hint=f"drop output_padding ('same' then gives L * s = {length * stride}), or choose the output_padding "
             "(or kernel_size) so that the output rounds back to the input length",
        argument="output_padding",
    )


def transpose_rule(layer: L.ConvTranspose) -> Step:
    """Which of Keras's transposed-conv formulas applies, in words (keff = (k-1)*d + 1)."""
    values = {"padding": layer.padding, "output_padding": layer.output_padding}
    if not isinstance(layer.padding, str):
        formula = "(L - 1) * s - 2*p + keff + output_padding"
        text = "explicit padding p (PyTorch ConvTranspose): out = (L - 1) * s - 2p + keff + output_padding"
    elif layer.padding == "valid" and layer.output_padding is None:
        formula = "(L - 1) * s + max(keff, s)"
        text = f"'valid': out = {formula}, each input cell spreads a kernel window s apart"
    elif layer.padding == "valid":
        formula = "(L - 1) * s + keff + output_padding"
        text = f"'valid' with output_padding: out = {formula}"
    elif layer.output_padding is None:
        formula = "L * s"
        text = f"'same': out = {formula} (the transpose of a 'same' conv with the same stride)"
    else:
        formula = "(L - 1) * s + (keff % 2) + output_padding"
        text = f"'same' with output_padding: out = {formula}"
    return Step("rule", text, values, formula=formula)


@rule(L.Conv1DTranspose, L.Conv2DTranspose, L.Conv3DTranspose)
def infer_conv_transpose(layer: L.ConvTranspose, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    spatial, channels, channels_last = conv_input(layer, tensor, ctx)
    out_spatial, axis_steps = transpose_spatial(layer, spatial, tensor)
    kernel = as_tuple(layer.kernel_size, layer.RANK)
    filters = layer.filters
    params = params_step(kernel, channels, filters, layer.use_bias)
    steps = (
        transpose_rule(layer),
        *axis_steps,
        Step(
            "channels",
            "each of the {filters} filters has a {window:x} kernel over all {in_channels} input channels, "
            "so the output has {filters} channels",
            {"filters": filters, "window": kernel + (channels,), "in_channels": channels}, filters,
        ),
        params,
        Step(
            "kernel shape", "kernel shape: Keras {keras}, PyTorch ConvTranspose{rank}d {pytorch}",
            {"keras": kernel + (filters, channels), "rank": layer.RANK, "pytorch": (channels, filters) + kernel},
        ),
    )
    return Inferred(join_channels(out_spatial, filters, channels_last), params.result, steps=steps)


@rule(L.DepthwiseConv1D, L.DepthwiseConv2D)
def infer_depthwise(layer: L.DepthwiseConv2D, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    spatial, channels, channels_last = conv_input(layer, tensor, ctx)
    out_spatial, steps = conv_spatial(layer, spatial, tensor, stride_with_dilation=True)
    kernel = as_tuple(layer.kernel_size, layer.RANK)
    dm = layer.depth_multiplier
    out_channels = channels * dm
    weights = product(kernel) * out_channels
    values = {"kernel": kernel, "channels": channels, "dm": dm}
    steps.append(Step(
        "channels",
        "depthwise: each of the {channels} input channels gets its own {dm} filter(s) of {kernel:x} "
        "(depth_multiplier={dm}), channels never mix: {channels} * {dm} = {result} output channels",
        values, out_channels, formula="channels * dm",
    ))
    if layer.use_bias:
        params = Step(
            "params", "params = ({kernel:*} + 1) * {channels}*{dm} = {result:,}", values, weights + out_channels,
            formula="(prod(kernel) + 1) * channels * dm",
        )
    else:
        params = Step(
            "params", "params = {kernel:*} * {channels}*{dm} = {result:,} (no bias)", values, weights,
            formula="prod(kernel) * channels * dm",
        )
    steps.append(params)
    steps.append(Step(
        "kernel shape", "kernel shape: Keras {keras}, PyTorch Conv{rank}d(groups={channels}) {pytorch}",
        {"keras": kernel + (channels, dm), "rank": layer.RANK, "channels": channels, "pytorch": (out_channels, 1) + kernel},
    ))
    return Inferred(join_channels(out_spatial, out_channels, channels_last), params.result, steps=tuple(steps))


@rule(L.SeparableConv1D, L.SeparableConv2D)
def infer_separable(layer: L.SeparableConv2D, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    spatial, channels, channels_last = conv_input(layer, tensor, ctx)
    out_spatial, steps = conv_spatial(layer, spatial, tensor, stride_with_dilation=True)
    kernel = as_tuple(layer.kernel_size, layer.RANK)
    dm, filters = layer.depth_multiplier, layer.filters
    mid = channels * dm
    ones = (1,) * layer.RANK
    values = {"kernel": kernel, "channels": channels, "dm": dm, "mid": mid, "filters": filters}
    steps.append(Step(
        "channels",
        "separable = depthwise then pointwise: each of the {channels} input channels is filtered on its own "
        "({dm} filter(s) of {kernel:x}), giving {channels}*{dm} = {mid} channels; "
        "then a {ones:x} conv mixes them into {filters} channels",
        {**values, "ones": ones}, filters,
    ))
    params = product(kernel) * mid + mid * filters + (filters if layer.use_bias else 0)
    steps.append(Step(
        "params",
        "params = {kernel:*}*{channels}*{dm} (depthwise) + {mid}*{filters} (pointwise)"
        + (" + {filters} (bias)" if layer.use_bias else " (no bias)") + " = {result:,}",
        values, params,
        formula="prod(kernel) * channels * dm + mid * filters" + (" + filters" if layer.use_bias else ""),
    ))
    steps.append(Step(
        "kernel shape",
        "kernel shapes: Keras depthwise {keras_depthwise} and pointwise {keras_pointwise}; "
        "PyTorch Conv{rank}d(groups={channels}) {pytorch_depthwise} then Conv{rank}d {pytorch_pointwise}",
        {
            "keras_depthwise": kernel + (channels, dm), "keras_pointwise": ones + (mid, filters), "rank": layer.RANK,
            "channels": channels, "pytorch_depthwise": (mid, 1) + kernel, "pytorch_pointwise": (filters, mid) + ones,
        },
    ))
    return Inferred(join_channels(out_spatial, filters, channels_last), params, steps=tuple(steps))
