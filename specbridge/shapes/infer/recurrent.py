"""Recurrent layers: SimpleRNN, LSTM, GRU, and the Bidirectional wrapper.

Keras 3 declares InputSpec(ndim=3) for all of them: (batch, timesteps, features). The cell's kernel is
sized by the feature axis, so it must be known; the time axis may be unknown (any length).
"""

from __future__ import annotations

from ...diagnostics import codes
from ...spec.layers import recurrent as L
from ..errors import ShapeError
from ..records import Inferred, Tensor, format_shape
from ..rules import product
from . import Context, rule
from .common import fmt, require_rank
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


def recurrent_params(layer: L.RNN, features: int) -> tuple[int, str]:
    """Keras 3's count_params() of one recurrent layer, with the formula filled in.

    >>> from specbridge.spec.layers.recurrent import LSTM, GRU
    >>> recurrent_params(LSTM(type="LSTM", units=64), 32)[0]
    24832
    >>> recurrent_params(GRU(type="GRU", units=16), 8)[0], recurrent_params(GRU(type="GRU", units=16, reset_after=False), 8)[0]
    (1248, 1200)
    """
    u, n = layer.units, features
    blocks, _ = GATES[layer.kind]
    reset_after = isinstance(layer, L.GRU) and layer.reset_after
    # GRU reset_after=True keeps two biases per gate (input and recurrent), as cuDNN and PyTorch do.
    bias_per_block = (2 * u if reset_after else u) if layer.use_bias else 0
    total = blocks * ((n + u) * u + bias_per_block)
    scale = f"{blocks} * " if blocks > 1 else ""
    if not layer.use_bias:
        formula = f"{scale}((in + units) * units) = {scale}(({n} + {u}) * {u})"
    elif reset_after:
        formula = f"{scale}((in + units) * units + 2 * units) = {scale}(({n} + {u}) * {u} + 2 * {u})"
    else:
        formula = f"{scale}((in + units) * units + units) = {scale}(({n} + {u}) * {u} + {u})"
    return total, f"{formula} = {fmt(total)}"


def torch_count(layer: L.RNN, features: int) -> str:
    """What PyTorch's module reports for the same layer, which differs when it keeps two biases."""
    u, n = layer.units, features
    blocks, _ = GATES[layer.kind]
    if isinstance(layer, L.GRU) and not layer.reset_after:
        return "PyTorch's nn.GRU has no reset_after=false variant (it always applies the reset gate after the matmul)"
    if not layer.use_bias:
        return f"PyTorch nn.{'RNN' if blocks == 1 else layer.kind}(bias=False) counts the same"
    total = blocks * (n * u + u * u + 2 * u)
    return (
        f"PyTorch nn.{'RNN' if blocks == 1 else layer.kind} keeps two bias vectors (bias_ih and bias_hh): "
        f"it counts {blocks} * ({n}*{u} + {u}*{u} + 2*{u}) = {fmt(total)}"
    )


def describe_params(layer: L.RNN, features: int) -> tuple[int, list[str]]:
    params, formula = recurrent_params(layer, features)
    blocks, what = GATES[layer.kind]
    u = layer.units
    if isinstance(layer, L.GRU) and layer.use_bias:
        parts = (
            "a kernel, a recurrent kernel and two biases (input and recurrent: reset_after=true)"
            if layer.reset_after else
            "a kernel, a recurrent kernel and one bias (reset_after=false, the Keras 2.0-era GRU)"
        )
    else:
        parts = "a kernel, a recurrent kernel and a bias" if layer.use_bias else "a kernel and a recurrent kernel (no bias)"
    what = f"{what}, each with {parts}" if blocks > 1 else f"{what} ({layer.activation}) with {parts}"
    bias_shape = ""
    if layer.use_bias:
        bias_shape = f", bias (2, {blocks * u})" if isinstance(layer, L.GRU) and layer.reset_after else f", bias ({blocks * u},)"
    steps = [
        f"{layer.kind} params = {formula}: {what}",
        f"weights in Keras: kernel ({features}, {blocks * u}), recurrent_kernel ({u}, {blocks * u}){bias_shape}",
        torch_count(layer, features),
    ]
    return params, steps


@rule(L.SimpleRNN, L.LSTM, L.GRU)
def infer_recurrent(layer: L.RNN, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    features = sequence_features(layer, tensor)
    timesteps = tensor.shape[0]
    params, steps = describe_params(layer, features)
    if layer.return_sequences:
        shape = (timesteps, layer.units)
        count = f" ({timesteps} steps)" if timesteps is not None else ""
        steps.insert(0, f"return_sequences=true: one {layer.units}-vector per time step{count}")
    else:
        shape = (layer.units,)
        steps.insert(0, f"return_sequences=false: only the last time step's {layer.units}-vector is returned")
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
    if layer.merge_mode == "concat":
        shape = one.shape[:-1] + (2 * units,)
        merged = f"concatenated: {units} + {units} = {2 * units} features"
    else:
        shape = one.shape
        merged = f"{MERGE_WORDS[layer.merge_mode]}: {units} features"
    params = 2 * one.params
    trainable = wrapped_trainable(inner, one, copies=2)
    steps = (
        f"two copies of {inner.kind}: one reads the sequence forward, one backward (go_backwards), "
        f"with separate weights",
        f"their outputs are {merged} (merge_mode={layer.merge_mode})",
        *(f"each direction: {s}" for s in one.steps),
        f"params = 2 * {fmt(one.params)} = {fmt(params)}",
    )
    return Inferred(shape, params, trainable, one.dtype, steps)
