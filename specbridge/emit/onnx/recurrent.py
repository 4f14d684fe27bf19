"""ONNX emitters of spec/layers/recurrent.py: SimpleRNN, LSTM, GRU and Bidirectional as ONNX's RNN / LSTM / GRU
ops; ConvLSTM1D/2D/3D as a Scan over time whose body holds the two convolutions and the gate math.

The RNN ops run time-major (layout 0): onnxruntime's CPU kernels refuse layout 1 (REFERENCE.md section 5), so the
Keras-layout input is transposed in and the result out. Weights are Keras's cell variables, transposed to ONNX's
[directions, gates * units, features] with the LSTM gate blocks reordered. A layer reading a Keras mask is a Scan
instead (recurrent_masked.py: the RNN ops' sequence_lens covers right padding only); ConvLSTM's Scan takes the mask
as a second scanned input.
"""

from __future__ import annotations

import numpy as np

from ...shapes.rules import as_tuple
from ...spec.layers import recurrent as RC
from ..weights import kernel_perm
from . import conv
from .activations import AXIS, activation
from .conv import padding_attrs
from .graph import BOOL, GraphBuilder, channels_first_perm, channels_last_perm, to_channels_first
from .recurrent_masked import last_read, masked_rnn, reverse_time, step_builder, time_major
from .stage import Ctx, emitter

OPS = {RC.SimpleRNN: ("RNN", 1), RC.LSTM: ("LSTM", 4), RC.GRU: ("GRU", 3)}  # op, gate blocks
LSTM_GATES = (0, 3, 1, 2)  # Keras blocks i, f, c, o -> ONNX's i, o, f, c

# Keras activation -> (ONNX RNN activation, alpha, beta), the functions the RNN ops take by name; None: no such
# parameter. onnxruntime reads activation_alpha / _beta in order, one per function that has the parameter.
RNN_ACTIVATIONS = {
    "sigmoid": ("Sigmoid", None, None), "tanh": ("Tanh", None, None), "relu": ("Relu", None, None),
    "hard_sigmoid": ("HardSigmoid", 1.0 / 6.0, 0.5),  # Keras 3: clip(x / 6 + 0.5, 0, 1)
    "linear": ("Affine", 1.0, 0.0), "elu": ("Elu", 1.0, None), "leaky_relu": ("LeakyRelu", 0.2, None),
    "softsign": ("Softsign", None, None),
}
# ONNX names these too, but onnxruntime's version is not Keras's.
REFUSED = {
    "softplus": "onnxruntime's RNN-op Softplus is log(1 + exp(x)), inf / nan above x = 88 where Keras's gives x",
}


def _activation_attrs(layer, ctx: Ctx, directions: int) -> dict:
    """`activations` (with alpha / beta) in the op's order: RNN [h]; GRU [f, g]; LSTM [f, g, h], per direction."""
    if isinstance(layer, RC.SimpleRNN):
        names = [layer.activation]
    else:
        names = [layer.recurrent_activation, layer.activation] + ([layer.activation] * isinstance(layer, RC.LSTM))
    for name in names:
        if name in REFUSED:
            raise ctx.fail(f"{layer.kind} activation {name!r}: {REFUSED[name]}")
        if name not in RNN_ACTIVATIONS:
            raise ctx.fail(f"{layer.kind} activation {name!r}: ONNX's {OPS[type(layer)][0]} op takes "
                           f"{', '.join(sorted(RNN_ACTIVATIONS))} only")
    functions = [RNN_ACTIVATIONS[n] for n in names] * directions
    alphas = [a for _, a, _ in functions if a is not None]
    betas = [b for _, _, b in functions if b is not None]
    return {"activations": [f for f, _, _ in functions], "activation_alpha": alphas or None,
            "activation_beta": betas or None}


def _gates(array: np.ndarray, layer) -> np.ndarray:
    """(..., gates * units) in Keras's gate order -> ONNX's (only LSTM's differs)."""
    if not isinstance(layer, RC.LSTM):
        return array
    blocks = np.split(array, 4, axis=-1)
    return np.concatenate([blocks[i] for i in LSTM_GATES], axis=-1)


def _direction_weights(layer, ctx: Ctx, cell: str, features: int):
    """One direction's W [gates*units, features], R [gates*units, units], B [2*gates*units] (or None)."""
    units, gates = layer.units, OPS[type(layer)][1]
    kernel = ctx.weight(cell + "kernel", (features, gates * units))
    recurrent = ctx.weight(cell + "recurrent_kernel", (units, gates * units))
    w, r = _gates(kernel, layer).T, _gates(recurrent, layer).T
    if not layer.use_bias:
        return w, r, None
    if isinstance(layer, RC.GRU) and layer.reset_after:
        bias = ctx.weight(cell + "bias", (2, gates * units))  # input bias row, recurrent bias row = ONNX's Wb, Rb
        return w, r, bias.reshape(-1)
    # One Keras bias: ONNX's input bias, with a zero recurrent bias.
    bias = _gates(ctx.weight(cell + "bias", (gates * units,)), layer)
    return w, r, np.concatenate([bias, np.zeros_like(bias)])


def linear_before_reset(layer: RC.GRU) -> int:
    """Keras 3's GRU (reset_after) applies the reset gate after the recurrent matmul: ONNX's linear_before_reset=1.
    A module-level function so that tests can plant the inverted mapping."""
    return int(layer.reset_after)


def rnn_node(layer, ctx: Ctx, cells: list[str], direction: str) -> tuple[str, str]:
    """The RNN / LSTM / GRU node over the Keras-layout input: (Y [T, dirs, N, units], Y_h [dirs, N, units])."""
    g = ctx.g
    op = OPS[type(layer)][0]
    features = ctx.known(ctx.in_shape[-1], "the input's feature axis")
    per_direction = [_direction_weights(layer, ctx, cell, features) for cell in cells]
    w, r, b = (np.stack(arrays) if arrays[0] is not None else None for arrays in zip(*per_direction, strict=True))
    inputs = [g.transpose(ctx.x, [1, 0, 2]), g.weight("W", w), g.weight("R", r)]
    if b is not None:
        inputs.append(g.weight("B", b))
    attrs = _activation_attrs(layer, ctx, len(cells))
    if isinstance(layer, RC.GRU):
        attrs["linear_before_reset"] = linear_before_reset(layer)
    outputs = g.node(op, inputs, outputs=3 if op == "LSTM" else 2, hidden_size=layer.units, direction=direction,
                     **attrs)
    return outputs[0], outputs[1]


@emitter(RC.SimpleRNN, RC.LSTM, RC.GRU)
def emit_recurrent(layer, ctx: Ctx) -> str:
    """direction "reverse" for go_backwards: its final state is Keras's; its Y is in input order, Keras's in
    reading order, hence the reversal of the sequence. With a Keras mask: recurrent_masked.py's Scan."""
    g = ctx.g
    if ctx.mask is not None:
        return masked_rnn(layer, ctx, "cell.", layer.go_backwards, layer.zero_output_for_mask)
    y, y_h = rnn_node(layer, ctx, ["cell."], "reverse" if layer.go_backwards else "forward")
    if not layer.return_sequences:
        return g.node("Squeeze", [y_h, g.ints("axes", [0])])
    y = g.transpose(g.node("Squeeze", [y, g.ints("axes", [1])]), [1, 0, 2])
    return reverse_time(g, y) if layer.go_backwards else y


@emitter(RC.Bidirectional)
def emit_bidirectional(layer, ctx: Ctx) -> str:
    """One bidirectional node: Y's backward half is already aligned with the input steps, as Keras re-reverses its
    backward sequence; Y_h's backward state is the one after reading the first step, Keras's too."""
    inner, g = layer.layer, ctx.g
    if layer.merge_mode is None:
        raise ctx.fail("merge_mode None returns two tensors; give a merge_mode")
    if ctx.mask is not None:
        return _masked_bidirectional(layer, ctx)
    y, y_h = rnn_node(inner, ctx, ["forward_layer.cell.", "backward_layer.cell."], "bidirectional")
    if inner.return_sequences:
        both, keep = g.transpose(y, [2, 0, 1, 3]), [0, 0, -1]  # (N, T, 2, units)
    else:
        both, keep = g.transpose(y_h, [1, 0, 2]), [0, -1]  # (N, 2, units)
    if layer.merge_mode == "concat":  # forward then backward features
        return g.node("Reshape", [both, g.ints("shape", keep)])
    # Keras's formulas on the two halves (y + y_rev, y * y_rev, (y + y_rev) / 2), so they round as Keras does.
    forward, backward = g.node("Split", [both], outputs=2, axis=-2, num_outputs=2)
    merged = g.node("Mul" if layer.merge_mode == "mul" else "Add", [forward, backward])
    if layer.merge_mode == "ave":
        merged = g.node("Div", [merged, g.scalar("two", 2.0)])
    return g.node("Squeeze", [merged, g.ints("axes", [-2])])


def _masked_bidirectional(layer: RC.Bidirectional, ctx: Ctx) -> str:
    """Two masked Scans (recurrent_masked.py): Keras sets zero_output_for_mask = return_sequences on both layers,
    reads the backward one with go_backwards and flips its sequence back; then the merge, Keras's formula."""
    inner, g = layer.layer, ctx.g
    forward = masked_rnn(inner, ctx, "forward_layer.cell.", False, inner.return_sequences)
    backward = masked_rnn(inner, ctx, "backward_layer.cell.", True, inner.return_sequences)
    if inner.return_sequences:
        backward = reverse_time(g, backward)
    if layer.merge_mode == "concat":
        return g.node("Concat", [forward, backward], axis=-1)
    merged = g.node("Mul" if layer.merge_mode == "mul" else "Add", [forward, backward])
    return g.node("Div", [merged, g.scalar("two", 2.0)]) if layer.merge_mode == "ave" else merged


# ---------------------------------------------------------------- ConvLSTM1D/2D/3D


def _gate_activation(name: str, x: str, step: Ctx, channels_last: bool, rank: int) -> str:
    """A Keras activation on a channels-first gate (N, filters, *spatial): one over the last axis sees Keras's last
    axis (the channels, channels_last) only through a transpose; element-wise ones need none."""
    if channels_last and (name in AXIS or name == "glu"):
        g = step.g
        moved = g.transpose(x, channels_last_perm(rank + 2))
        return g.transpose(activation(name, moved, step), channels_first_perm(rank + 2))
    return activation(name, x, step)


def _state_zeros(layer: RC.ConvLSTM, ctx: Ctx) -> str:
    """Zeros (N, filters, *spatial') for h and c: the batch read from the input, the rest known (the spec
    refuses a ConvLSTM over frames of unknown size, as Keras does)."""
    from . import proto as numpy_helper

    g = ctx.g
    state = ctx.out_shape[1:] if layer.return_sequences else ctx.out_shape
    spatial, _ = ctx.split(layer, state)
    sides = [ctx.known(n, "the output's frame size") for n in spatial]
    batch = g.node("Shape", [ctx.x], end=1)
    shape = g.node("Concat", [batch, g.ints("state_dims", [layer.filters, *sides])], axis=0)
    return g.node("ConstantOfShape", [shape], value=numpy_helper.from_array(np.zeros(1, g.dtype)))


def _input_conv(layer: RC.ConvLSTM, ctx: Ctx, body: GraphBuilder, frame: str, spatial, channels: int) -> str:
    """Every gate's input convolution at once, bias included: Conv over one channels-first frame."""
    rank, f = layer.RANK, layer.filters
    kernel, strides, dilation = (as_tuple(v, rank) for v in (layer.kernel_size, layer.strides, layer.dilation_rate))
    w_in = ctx.weight("cell.kernel", (*kernel, channels, 4 * f)).transpose(kernel_perm(rank))
    inputs = [to_channels_first(body, frame, rank + 2, ctx.channels_last(layer)), body.weight("kernel", w_in)]
    if layer.use_bias:
        inputs.append(body.weight("bias", ctx.weight("cell.bias", (4 * f,))))
    return body.node("Conv", inputs, kernel_shape=list(kernel), strides=list(strides), dilations=list(dilation),
                     **padding_attrs(layer, ctx, spatial, kernel, strides, dilation))


def _step_graph(layer: RC.ConvLSTM, ctx: Ctx, spatial, channels: int, masked: bool):
    """Scan's body: (h, c, frame[, mask]) -> (h, c[, the output as the scan output]), channels first inside; with a
    mask (N, 1, ...), h and c are kept and the output is the previous one (or 0) where the step is masked."""
    from . import proto as helper

    g, f, last, rank = ctx.g, layer.filters, ctx.channels_last(layer), layer.RANK
    body, step = step_builder(ctx)
    h_prev, c_prev, frame, mask = body.fresh("h_prev"), body.fresh("c_prev"), body.fresh("frame"), body.fresh("mask")
    kernel = as_tuple(layer.kernel_size, rank)
    z_in = _input_conv(layer, ctx, body, frame, spatial, channels)
    w_rec = ctx.weight("cell.recurrent_kernel", (*kernel, f, 4 * f)).transpose(kernel_perm(rank))
    # Keras's recurrent conv: 'same' at stride 1, no dilation (ConvLSTMCell.recurrent_conv).
    z_rec = body.node("Conv", [h_prev, body.weight("recurrent_kernel", w_rec)], kernel_shape=list(kernel),
                      auto_pad=conv.SAME)
    i, fg, cand, o = body.node("Split", [body.node("Add", [z_in, z_rec])], outputs=4, axis=1, num_outputs=4)

    def gate(name: str, x: str) -> str:
        return _gate_activation(name, x, step, last, rank)

    ra, act = layer.recurrent_activation, layer.activation
    c = body.node("Add", [body.node("Mul", [gate(ra, fg), c_prev]), body.node("Mul", [gate(ra, i), gate(act, cand)])])
    h = new_h = body.node("Mul", [gate(ra, o), gate(act, c)])
    if masked:
        h, c = body.node("Where", [mask, h, h_prev]), body.node("Where", [mask, c, c_prev])
    output = h
    if masked and layer.zero_output_for_mask:
        output = body.node("Where", [mask, new_h, body.scalar("zero", 0.0)])
    outs = [h, c] + ([body.node("Identity", [output])] if layer.return_sequences else [])
    elem = helper.np_dtype_to_tensor_dtype(g.dtype)
    inputs = [helper.make_tensor_value_info(n, elem, [None, f, *[None] * rank]) for n in (h_prev, c_prev)]
    inputs.append(helper.make_tensor_value_info(frame, elem, [None, *ctx.in_shape[1:]]))
    if masked:
        inputs.append(helper.make_tensor_value_info(mask, BOOL, [None, *[1] * (rank + 1)]))
    return helper.make_graph(body.nodes, body.fresh("body"), inputs,
                             [helper.make_tensor_value_info(n, elem, None) for n in outs], body.initializers)


@emitter(RC.ConvLSTM1D, RC.ConvLSTM2D, RC.ConvLSTM3D)
def emit_conv_lstm(layer: RC.ConvLSTM, ctx: Ctx) -> str:
    """A Scan over the time-major input (go_backwards: the frames reversed first, so the scan output is in reading
    order, as Keras returns it), and the mask's steps beside the frames when the input carries one. Axis 0 and the forward direction only, though Scan has attributes for both:
    onnx's reference evaluator implements no other, and it is the one runtime here with float64 Conv."""
    g, rank = ctx.g, layer.RANK
    spatial, channels = ctx.split(layer, ctx.in_shape[1:])
    channels = ctx.known(channels, "the channel axis")
    body = _step_graph(layer, ctx, spatial, channels, masked=ctx.mask is not None)
    zeros = _state_zeros(layer, ctx)
    if ctx.mask is not None:  # the mask as (T, N, 1, ...), reversed with the frames: recurrent_masked.py
        frames, ms = time_major(g, ctx.x, rank + 3, ctx.mask, layer.go_backwards)
        scanned = [frames, ms]
    else:
        frames = g.transpose(ctx.x, [1, 0, *range(2, rank + 3)])
        scanned = [reverse_time(g, frames, axis=0) if layer.go_backwards else frames]
    sequences = layer.return_sequences
    outputs = g.node("Scan", [zeros, zeros, *scanned], outputs=3 if sequences else 2, body=body,
                     num_scan_inputs=len(scanned))
    last = ctx.channels_last(layer)
    if sequences:  # (T, N, filters, *spatial) -> (N, T, *spatial, filters), or (N, T, filters, *spatial)
        return g.transpose(outputs[2], [1, 0, *range(3, rank + 3), 2] if last else [1, 0, *range(2, rank + 3)])
    final = outputs[0]
    if ctx.mask is not None and layer.zero_output_for_mask:
        final = last_read(g, ms, final)
    return g.transpose(final, channels_last_perm(rank + 2)) if last else final
