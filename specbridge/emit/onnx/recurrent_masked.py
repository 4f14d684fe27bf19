"""SimpleRNN, LSTM and GRU reading a Keras mask: a Scan over time whose body is Keras's cell, the output and the
states kept where a step is masked, as keras/src/backend/tensorflow/rnn.py's while loop computes it.

ONNX's RNN ops take sequence_lens, which covers right padding only; a Keras mask may pad on the left or have holes,
and Keras keeps the states through a masked step (they are not reset). Per step t, in reading order (go_backwards
reverses the mask with the inputs):

    new_output, new_states = cell(x_t, states)
    output_t = where(mask_t, new_output, output_{t-1})      (zero_output_for_mask: where(mask_t, new_output, 0))
    states   = where(mask_t, new_states, states)

output_{-1} and the states start at zeros, and every cell's output is its new h, so without zero_output_for_mask the
output is the h state itself; the last output is output_{T-1} (0 with zero_output_for_mask when the last step read
is masked). The cells' formulas are Keras 3.15's (implementation 2: one matmul for every gate).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ...spec.layers import recurrent as RC
from .activations import activation
from .graph import BOOL, GraphBuilder
from .stage import Ctx

STATES = {RC.SimpleRNN: 1, RC.LSTM: 2, RC.GRU: 1}  # h (and LSTM's carry c)
INT64_MIN = -(2**63)


def step_builder(ctx: Ctx) -> tuple[GraphBuilder, Ctx]:
    """A builder for a Scan body sharing the outer graph's namespace (a body value may not shadow an outer one),
    and a Ctx whose emitters write into it."""
    g = ctx.g
    body = GraphBuilder(g.dtype.name)
    body._taken = g._taken
    body.prefix = f"{g.prefix}/step"
    return body, dataclasses.replace(ctx, g=body)


def _matmul(b: GraphBuilder, x: str, hint: str, array: np.ndarray) -> str:
    return b.node("MatMul", [x, b.weight(hint, array)])


def _simple_rnn(layer: RC.SimpleRNN, ctx: Ctx, step: Ctx, cell: str, x: str, states: list[str]):
    """SimpleRNNCell: activation(x . kernel + bias + h . recurrent_kernel)."""
    b, units, features = step.g, layer.units, _features(ctx)
    h = _matmul(b, x, "kernel", ctx.weight(cell + "kernel", (features, units)))
    if layer.use_bias:
        h = b.node("Add", [h, b.weight("bias", ctx.weight(cell + "bias", (units,)))])
    recurrent = _matmul(b, states[0], "recurrent_kernel", ctx.weight(cell + "recurrent_kernel", (units, units)))
    out = activation(layer.activation, b.node("Add", [h, recurrent]), step)
    return out, [out]


def _lstm(layer: RC.LSTM, ctx: Ctx, step: Ctx, cell: str, x: str, states: list[str]):
    """LSTMCell: z = x . kernel + h . recurrent_kernel + bias, split i, f, c, o; c = f * c + i * act(z_c);
    h = o * act(c)."""
    b, units, features = step.g, layer.units, _features(ctx)
    h_prev, c_prev = states
    z = _matmul(b, x, "kernel", ctx.weight(cell + "kernel", (features, 4 * units)))
    recurrent = ctx.weight(cell + "recurrent_kernel", (units, 4 * units))
    z = b.node("Add", [z, _matmul(b, h_prev, "recurrent_kernel", recurrent)])
    if layer.use_bias:
        z = b.node("Add", [z, b.weight("bias", ctx.weight(cell + "bias", (4 * units,)))])
    z_i, z_f, z_c, z_o = b.node("Split", [z], outputs=4, axis=-1, num_outputs=4)
    ra, act = layer.recurrent_activation, layer.activation
    i, f = activation(ra, z_i, step), activation(ra, z_f, step)
    c = b.node("Add", [b.node("Mul", [f, c_prev]), b.node("Mul", [i, activation(act, z_c, step)])])
    h = b.node("Mul", [activation(ra, z_o, step), activation(act, c, step)])
    return h, [h, c]


def _gru(layer: RC.GRU, ctx: Ctx, step: Ctx, cell: str, x: str, states: list[str]):
    """GRUCell: z, r from the input and recurrent projections; reset_after applies r to the recurrent projection
    (its own bias row included), else to h before its projection; h = z * h + (1 - z) * act(x_h + recurrent_h)."""
    b, units, features = step.g, layer.units, _features(ctx)
    (h_prev,) = states
    kernel = ctx.weight(cell + "kernel", (features, 3 * units))
    recurrent = ctx.weight(cell + "recurrent_kernel", (units, 3 * units))
    bias = None
    if layer.use_bias:
        bias = ctx.weight(cell + "bias", (2, 3 * units) if layer.reset_after else (3 * units,))
    projected = _matmul(b, x, "kernel", kernel)
    if bias is not None:
        projected = b.node("Add", [projected, b.weight("input_bias", bias[0] if layer.reset_after else bias)])
    x_z, x_r, x_h = b.node("Split", [projected], outputs=3, axis=-1, num_outputs=3)
    if layer.reset_after:
        inner = _matmul(b, h_prev, "recurrent_kernel", recurrent)
        if bias is not None:
            inner = b.node("Add", [inner, b.weight("recurrent_bias", bias[1])])
        r_z, r_r, r_h = b.node("Split", [inner], outputs=3, axis=-1, num_outputs=3)
    else:
        inner = _matmul(b, h_prev, "recurrent_kernel_zr", recurrent[:, :2 * units])
        r_z, r_r = b.node("Split", [inner], outputs=2, axis=-1, num_outputs=2)
    ra = layer.recurrent_activation
    z = activation(ra, b.node("Add", [x_z, r_z]), step)
    r = activation(ra, b.node("Add", [x_r, r_r]), step)
    if layer.reset_after:
        r_h = b.node("Mul", [r, r_h])
    else:
        r_h = _matmul(b, b.node("Mul", [r, h_prev]), "recurrent_kernel_h", recurrent[:, 2 * units:])
    candidate = activation(layer.activation, b.node("Add", [x_h, r_h]), step)
    kept = b.node("Mul", [b.node("Sub", [b.scalar("one", 1.0), z]), candidate])
    h = b.node("Add", [b.node("Mul", [z, h_prev]), kept])
    return h, [h]


CELLS = {RC.SimpleRNN: _simple_rnn, RC.LSTM: _lstm, RC.GRU: _gru}


def _features(ctx: Ctx) -> int:
    return ctx.known(ctx.in_shape[-1], "the input's feature axis")


def _body(layer, ctx: Ctx, cell: str, zero_output: bool, sequences: bool):
    """Scan's body: (states..., x_t, mask_t) -> (states..., [output_t])."""
    from . import proto as helper

    body, step = step_builder(ctx)
    count = STATES[type(layer)]
    states = [body.fresh(name) for name in ("h_prev", "c_prev")[:count]]
    x, mask = body.fresh("x_t"), body.fresh("mask_t")
    new_output, new_states = CELLS[type(layer)](layer, ctx, step, cell, x, states)
    kept = [body.node("Where", [mask, new, old]) for new, old in zip(new_states, states, strict=True)]
    outs = list(kept)
    if sequences:
        outs.append(body.node("Where", [mask, new_output, body.scalar("zero", 0.0)]) if zero_output
                    else body.node("Identity", [kept[0]]))
    elem = helper.np_dtype_to_tensor_dtype(body.dtype)
    inputs = [helper.make_tensor_value_info(n, elem, [None, layer.units]) for n in states]
    inputs += [helper.make_tensor_value_info(x, elem, [None, _features(ctx)]),
               helper.make_tensor_value_info(mask, BOOL, [None, 1])]
    return helper.make_graph(body.nodes, body.fresh("body"), inputs,
                             [helper.make_tensor_value_info(n, elem, None) for n in outs], body.initializers)


def reverse_time(g: GraphBuilder, x: str, axis: int = 1) -> str:
    """x reversed along `axis`, any length (Keras's go_backwards returns the steps in the order it read them)."""
    return g.node("Slice", [x, g.ints("starts", [-1]), g.ints("ends", [INT64_MIN]), g.ints("axes", [axis]),
                            g.ints("steps", [-1])])


def time_major(g: GraphBuilder, x: str, rank: int, mask: str, go_backwards: bool) -> tuple[str, str]:
    """(x of `rank` axes as (T, N, ...), the (N, T) mask as (T, N, 1, ...) of as many axes), reversed in time
    for go_backwards: Where broadcasts it over the units (or filters and frame) of a step's output and states."""
    xs = g.transpose(x, [1, 0, *range(2, rank)])
    ms = g.node("Unsqueeze", [g.transpose(mask, [1, 0]), g.ints("axes", range(2, rank))])
    if go_backwards:
        xs, ms = reverse_time(g, xs, axis=0), reverse_time(g, ms, axis=0)
    return xs, ms


def last_read(g: GraphBuilder, ms: str, value: str) -> str:
    """zero_output_for_mask's last output: the final h where the last step read counts, else 0."""
    last = g.node("Gather", [ms, g.constant("last", np.asarray(-1, np.int64))], axis=0)
    return g.node("Where", [last, value, g.scalar("zero", 0.0)])


def masked_rnn(layer, ctx: Ctx, cell: str, go_backwards: bool, zero_output: bool) -> str:
    """The layer's output, Keras's layout: (N, T, units) in reading order for return_sequences, else (N, units).
    `cell`: where the cell's weights are ("cell.", "forward_layer.cell."...)."""
    from . import proto as numpy_helper

    g, sequences = ctx.g, layer.return_sequences
    xs, ms = time_major(g, ctx.x, 3, ctx.mask, go_backwards)
    batch = g.node("Shape", [ctx.x], end=1)
    shape = g.node("Concat", [batch, g.ints("units", [layer.units])], axis=0)
    zeros = g.node("ConstantOfShape", [shape], value=numpy_helper.from_array(np.zeros(1, g.dtype)))
    count = STATES[type(layer)]
    body = _body(layer, ctx, cell, zero_output, sequences)
    outs = g.node("Scan", [zeros] * count + [xs, ms], outputs=count + sequences, body=body, num_scan_inputs=2)
    outs = [outs] if isinstance(outs, str) else outs
    if sequences:
        return g.transpose(outs[-1], [1, 0, 2])
    return last_read(g, ms, outs[0]) if zero_output else outs[0]
