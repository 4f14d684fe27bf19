"""Recurrent layers: SimpleRNN, LSTM, GRU, and the Bidirectional wrapper.

Keras 3 declares InputSpec(ndim=3) for all of them: (batch, timesteps, features). The cell's kernel is
sized by the feature axis, so it must be known; the time axis may be unknown (any length). ConvLSTM1D/2D/3D
(InputSpec(ndim=rank + 3)) need every axis but time known: Keras builds the state from the frame's size.
"""

from __future__ import annotations

from ...diagnostics import codes
from ...spec.layers import recurrent as L
from ..axes import join_channels, spatial_names, split_channels
from ..errors import ShapeError
from ..records import Inferred, Step, Tensor, format_shape
from ..rules import as_tuple, product
from . import Context, rule
from .common import require_rank
from .conv import conv_spatial
from .wrappers import check_wrapped, infer_wrapped, wrapped_trainable

SEQUENCE_LAYOUT = "(batch, timesteps, features)"

# How each cell is built, for `explain`: (number of gate blocks, what they are).
GATES = {
    "SimpleRNN": (1, "one update"),
    "LSTM": (4, "four gates (input, forget, cell, output)"),
    "GRU": (3, "three gates (update, reset, candidate)"),
}


def sequence_rank_hint(tensor: Tensor) -> str:
    """How to turn the input into (batch, timesteps, features), with the numbers of this input."""
    shape = tensor.shape
    if tensor.rank == 2:
        return (
            f"the input {format_shape(shape)} has no time axis (e.g. the output of Dense or Flatten): "
            f"use RepeatVector(n) to repeat it over n time steps, or Reshape it to (timesteps, features), "
            f"e.g. Reshape([{shape[0] if shape[0] is not None else -1}, 1])"
        )
    if tensor.rank == 4:
        rows, cols, channels = shape
        per_row = product((cols, channels))
        return (
            f"the input {format_shape(shape)} looks like images (e.g. the output of Conv2D): Reshape it to "
            f"(timesteps, features), e.g. Reshape([{rows if rows is not None else -1}, "
            f"{per_row if per_row is not None else -1}]) to read it row by row; for a sequence of images, "
            "wrap the convolutional layers in TimeDistributed and Flatten each frame"
        )
    if tensor.rank == 5:
        return (
            f"the input {format_shape(shape)} looks like a sequence of images: wrap a Flatten (or a global "
            "pooling) in TimeDistributed to get one feature vector per time step"
        )
    return f"Reshape the input to {SEQUENCE_LAYOUT}"


def sequence_features(layer: L.RNN, tensor: Tensor) -> int:
    """The checks every recurrent layer shares; returns the number of features per time step."""
    require_rank(layer, tensor, ndim=3, expected=SEQUENCE_LAYOUT, hint=sequence_rank_hint(tensor))
    features = tensor.shape[-1]
    if features is None:
        raise ShapeError(
            codes.UNKNOWN_DIMENSION,
            f"{layer.kind} needs a known number of features per time step to size its kernel, "
            f"got {format_shape(tensor.shape)}",
            hint="give the last axis a size in the input shape (the time axis may stay null)",
        )
    if layer.input_size is not None and layer.input_size != features:
        raise ShapeError(
            codes.CHANNEL_MISMATCH,
            f"input_size={layer.input_size} but the input has {features} features per time step: "
            f"{format_shape(tensor.shape)} (PyTorch: input.size(-1) must be equal to input_size. "
            f"Expected {layer.input_size}, got {features})",
            hint=f"set input_size: {features}, or fix the layer before this one",
            argument="input_size",
        )
    return features


def recurrent_params(layer: L.RNN, features: int) -> Step:
    """Keras 3's count_params() of one recurrent layer (the step's result), with the formula filled in.

    >>> from specbridge.spec.layers.recurrent import LSTM, GRU
    >>> step = recurrent_params(LSTM(type="LSTM", units=64), 32)
    >>> step.result, step.formula
    (24832, 'gates * ((in + units) * units + units)')
    >>> recurrent_params(GRU(type="GRU", units=16), 8).result, recurrent_params(GRU(type="GRU", units=16, reset_after=False), 8).result
    (1248, 1200)
    """
    u, n = layer.units, features
    blocks, _ = GATES[layer.kind]
    reset_after = isinstance(layer, L.GRU) and layer.reset_after
    # GRU reset_after=True keeps two biases per gate (input and recurrent), as cuDNN and PyTorch do.
    bias_per_block = (2 * u if reset_after else u) if layer.use_bias else 0
    total = blocks * ((n + u) * u + bias_per_block)
    if not layer.use_bias:
        symbolic, numbers = "((in + units) * units)", "(({in} + {units}) * {units})"
    elif reset_after:
        symbolic, numbers = "((in + units) * units + 2 * units)", "(({in} + {units}) * {units} + 2 * {units})"
    else:
        symbolic, numbers = "((in + units) * units + units)", "(({in} + {units}) * {units} + {units})"
    scale, scaled = ("gates * ", "{gates} * ") if blocks > 1 else ("", "")
    shown = f"{blocks} * {symbolic}" if blocks > 1 else symbolic
    return Step(
        "params",
        "{kind} params = " + shown + " = " + scaled + numbers + " = {result:,}: " + weights_in_words(layer),
        {"kind": layer.kind, "gates": blocks, "in": n, "units": u, "activation": layer.activation}, total,
        formula=scale + symbolic,
    )


def weights_in_words(layer: L.RNN) -> str:
    """The gates and weights of the cell, in words (a template: the activation is a value)."""
    blocks, what = GATES[layer.kind]
    if isinstance(layer, L.GRU) and layer.use_bias:
        parts = (
            "a kernel, a recurrent kernel and two biases (input and recurrent: reset_after=true)"
            if layer.reset_after else
            "a kernel, a recurrent kernel and one bias (reset_after=false, the Keras 2.0-era GRU)"
        )
    else:
        parts = "a kernel, a recurrent kernel and a bias" if layer.use_bias else "a kernel and a recurrent kernel (no bias)"
    return f"{what}, each with {parts}" if blocks > 1 else f"{what} ({{activation}}) with {parts}"


def torch_count(layer: L.RNN, features: int) -> Step:
    """What PyTorch's module reports for the same layer, which differs when it keeps two biases."""
    u, n = layer.units, features
    blocks, _ = GATES[layer.kind]
    module = "RNN" if blocks == 1 else layer.kind
    if isinstance(layer, L.GRU) and not layer.reset_after:
        return Step(
            "params (PyTorch)",
            "PyTorch's nn.GRU has no reset_after=false variant (it always applies the reset gate after the matmul)",
        )
    if not layer.use_bias:
        return Step("params (PyTorch)", "PyTorch nn.{module}(bias=False) counts the same", {"module": module})
    return Step(
        "params (PyTorch)",
        "PyTorch nn.{module} keeps two bias vectors (bias_ih and bias_hh): "
        "it counts {gates} * ({in}*{units} + {units}*{units} + 2*{units}) = {result:,}",
        {"module": module, "gates": blocks, "in": n, "units": u}, blocks * (n * u + u * u + 2 * u),
        formula="gates * (in * units + units * units + 2 * units)",
    )


def describe_params(layer: L.RNN, features: int) -> tuple[int, list[Step]]:
    params = recurrent_params(layer, features)
    blocks, _ = GATES[layer.kind]
    u = layer.units
    bias = ""
    if layer.use_bias:
        bias = ", bias (2, {width})" if isinstance(layer, L.GRU) and layer.reset_after else ", bias ({width},)"
    steps = [
        params,
        Step(
            "kernel shape", "weights in Keras: kernel ({in}, {width}), recurrent_kernel ({units}, {width})" + bias,
            {"in": features, "units": u, "width": blocks * u},
        ),
        torch_count(layer, features),
    ]
    return params.result, steps


@rule(L.SimpleRNN, L.LSTM, L.GRU)
def infer_recurrent(layer: L.RNN, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    features = sequence_features(layer, tensor)
    timesteps = tensor.shape[0]
    params, steps = describe_params(layer, features)
    values = {"units": layer.units, "timesteps": timesteps}
    if layer.return_sequences:
        shape = (timesteps, layer.units)
        count = " ({timesteps} steps)" if timesteps is not None else ""
        text = "return_sequences=true: one {units}-vector per time step" + count
    else:
        shape = (layer.units,)
        text = "return_sequences=false: only the last time step's {units}-vector is returned"
    steps.insert(0, Step("shape", text, values, shape))
    return Inferred(shape, params, steps=tuple(steps))


MERGE_WORDS = {
    "concat": "concatenated",
    "sum": "added",
    "mul": "multiplied element-wise",
    "ave": "averaged",
}


@rule(L.Bidirectional)
def infer_bidirectional(layer: L.Bidirectional, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    inner = layer.layer
    check_wrapped(layer, inner)
    if layer.merge_mode is None:
        raise ShapeError(
            codes.INVALID_ARGUMENT,
            "merge_mode=null makes Keras return two tensors (forward and backward), but a spec layer has "
            "one output: specbridge needs a merged output",
            hint="use merge_mode concat (the default), sum, mul or ave",
            argument="merge_mode",
        )
    # Keras's Bidirectional declares ndim=3 itself: report the rank against the wrapper.
    require_rank(layer, tensor, ndim=3, expected=SEQUENCE_LAYOUT, hint=sequence_rank_hint(tensor))
    one = infer_wrapped(layer, inner, tensor, ctx)
    units = one.shape[-1]
    values = {"units": units, "merge_mode": layer.merge_mode}
    if layer.merge_mode == "concat":
        shape = one.shape[:-1] + (2 * units,)
        merged = Step(
            "features", "their outputs are concatenated: {units} + {units} = {result} features (merge_mode={merge_mode})",
            values, 2 * units, formula="2 * units",
        )
    else:
        shape = one.shape
        merged = Step(
            "features", "their outputs are " + MERGE_WORDS[layer.merge_mode] + ": {result} features (merge_mode={merge_mode})",
            values, units,
        )
    params = 2 * one.params
    trainable = wrapped_trainable(inner, one, copies=2)
    steps = (
        Step(
            "note",
            "two copies of {inner}: one reads the sequence forward, one backward (go_backwards), with separate weights",
            {"inner": inner.kind},
        ),
        merged,
        *(s.inside("each direction") for s in one.steps),
        Step("params", "params = 2 * {inner_params:,} = {result:,}", {"inner_params": one.params}, params,
             formula="2 * inner_params"),
    )
    return Inferred(shape, params, trainable, one.dtype, steps)


# What each ConvLSTM reads per time step, for messages: (one frame, a sample without the time axis).
FRAME_WORDS = {1: ("signal", "a signal"), 2: ("image", "an image"), 3: ("volume", "a volume")}


def conv_lstm_input(layer: L.ConvLSTM, tensor: Tensor, channels_last: bool) -> tuple[tuple, int]:
    """(spatial dims, channels) of one frame; Keras's InputSpec(ndim=rank + 3) and its static-size check."""
    rank, names = layer.RANK, spatial_names(layer.RANK)
    axes = [*names, "channels"] if channels_last else ["channels", *names]
    frames = "(" + ", ".join(["batch", "time", *axes]) + ")"
    word, one = FRAME_WORDS[rank]
    hint = (f"the input is {one} per sample: {layer.kind} reads a sequence of {word}s, add a time axis "
            f"(e.g. input shape (time, {', '.join(axes)}))" if tensor.rank == rank + 2
            else f"Reshape the input to {frames}")
    require_rank(layer, tensor, ndim=rank + 3, expected=frames, hint=hint)
    spatial, channels = split_channels(tensor.shape[1:], channels_last)
    if None in spatial or channels is None:
        raise ShapeError(
            codes.UNKNOWN_DIMENSION,
            f"{layer.kind} needs known {', '.join(names)} and channels (Keras: \"ConvLSTM layers only support "
            f"static input shapes for the spatial dimension\"), got {format_shape(tensor.shape)}",
            hint="give every axis but time a size in the input shape (the time axis may stay null)",
        )
    return spatial, channels


def conv_lstm_params(layer: L.ConvLSTM, kernel: tuple, channels: int, state: tuple) -> tuple[int, list[Step]]:
    """Four gates, each with an input kernel, a recurrent kernel and a bias: Keras's ConvLSTMCell.build."""
    f = layer.filters
    values = {"kernel": kernel, "in": channels, "f": f, "state": state, "width": 4 * f}
    params = 4 * (product(kernel) * channels * f + product(kernel) * f * f + (f if layer.use_bias else 0))
    bias = (" + {f}", " + f", ", bias ({width},)") if layer.use_bias else ("", "", "")
    k = "*".join(["kd", "kh", "kw"][-layer.RANK:] if layer.RANK > 1 else ["k"])
    steps = [
        Step("note", "the recurrent convolution reads the state ({state:x}) with 'same' padding and stride 1, "
             "so the state keeps the output's size", values),
        Step("params", "params = 4 gates (i, f, c, o) * ({kernel:*}*{in}*{f} + {kernel:*}*{f}*{f}" + bias[0]
             + ") = {result:,}", values, params, formula=f"4 * ({k}*in*f + {k}*f*f" + bias[1] + ")"),
        Step("kernel shape", "weights in Keras: kernel ({kernel:, }, {in}, {width}), recurrent_kernel ({kernel:, }, {f}, "
             "{width})" + bias[2], values),
    ]
    return params, steps


@rule(L.ConvLSTM1D, L.ConvLSTM2D, L.ConvLSTM3D)
def infer_conv_lstm(layer: L.ConvLSTM, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    channels_last = ctx.channels_last(layer)
    spatial, channels = conv_lstm_input(layer, tensor, channels_last)
    out_spatial, steps = conv_spatial(layer, spatial, tensor)
    out_frame = join_channels(out_spatial, layer.filters, channels_last)
    shape = (tensor.shape[0], *out_frame) if layer.return_sequences else out_frame
    state = (*out_spatial, layer.filters)
    sequence = "the {state:x} state after every time step" if layer.return_sequences else "only the last state"
    steps.append(Step("shape", f"return_sequences={str(layer.return_sequences).lower()}: {sequence}",
                      {"state": state}, shape))
    params, param_steps = conv_lstm_params(layer, as_tuple(layer.kernel_size, layer.RANK), channels, state)
    return Inferred(shape, params, steps=tuple(steps + param_steps))
