"""Emitters of spec/layers/recurrent.py: SimpleRNN, LSTM, GRU and Bidirectional, as batch-first torch RNNs;
ConvLSTM1D/2D/3D as runtime_recurrent.py's ConvLSTM (two Conv1d/2d/3d, looped over time). The modules take the
input's Keras mask as `mask=` (assemble.py passes it) and then run Keras's masked recurrence (runtime_recurrent.py)."""

from __future__ import annotations

from ...shapes.rules import as_tuple, same_padding
from ...spec.layers import recurrent as RC
from ..source import call, compact, literal
from .activations import activation_stage
from .conv import conv_kwargs
from .layout import KERAS, conv_padding
from .stage import Built, Ctx, emitter

RNN_CLASSES = {RC.SimpleRNN: "nn.RNN", RC.LSTM: "nn.LSTM", RC.GRU: "nn.GRU"}


def _gru_reset_before(layer: RC.GRU, input_size: int, kwargs: dict, ctx: Ctx) -> str:
    """GRUResetBefore (runtime_recurrent.py), passing the activations that differ from the spec class's defaults."""
    args = [str(input_size), str(layer.units)]
    args += [f"{k}={literal(v)}" for k, v in kwargs.items() if k != "batch_first"]
    for arg in ("activation", "recurrent_activation"):
        name = getattr(layer, arg)
        if name != type(layer).model_fields[arg].default:
            # Applied to one (batch, units) gate at a time: the per-sample shape is (units,).
            stage = activation_stage(name, (layer.units,), KERAS, ctx)
            args.append(f"{arg}={stage or 'nn.Identity()'}")
    return f"{ctx.helper('GRUResetBefore')}({', '.join(args)})"


def rnn_module(layer: RC.RNN, input_size: int, ctx: Ctx, bidirectional: bool = False) -> str:
    """A batch-first PyTorch RNN computing the Keras recurrent layer's recurrence."""
    kwargs: dict = {"batch_first": True}
    if not layer.use_bias:
        kwargs["bias"] = False
    if bidirectional:
        kwargs["bidirectional"] = True
    if isinstance(layer, RC.GRU) and not layer.reset_after:
        return _gru_reset_before(layer, input_size, kwargs, ctx)
    torch_class = RNN_CLASSES[type(layer)]
    if isinstance(layer, RC.SimpleRNN):
        if layer.activation not in ("tanh", "relu"):
            raise ctx.fail(f"SimpleRNN activation {layer.activation!r}: {torch_class} supports tanh and relu only")
        if layer.activation == "relu":
            kwargs["nonlinearity"] = "relu"
    elif layer.activation != "tanh" or layer.recurrent_activation != "sigmoid":
        raise ctx.fail(
            f"{layer.kind} with activation={layer.activation!r}, recurrent_activation={layer.recurrent_activation!r}: "
            f"{torch_class} is fixed to tanh and sigmoid"
        )
    return call(torch_class, str(input_size), str(layer.units), **kwargs)


@emitter(RC.SimpleRNN, RC.LSTM, RC.GRU)
def emit_recurrent(layer, ctx: Ctx) -> Built:
    rnn = rnn_module(layer, ctx.in_shape[-1], ctx)
    args = [rnn, f"return_sequences={literal(layer.return_sequences)}"]
    if layer.go_backwards:
        args.append("go_backwards=True")
    if layer.zero_output_for_mask:  # read only with a mask (runtime_recurrent.py's masked recurrence)
        args.append("zero_output_for_mask=True")
    return Built([f"{ctx.helper('Recurrent')}({', '.join(args)})"], KERAS, KERAS)


@emitter(RC.Bidirectional)
def emit_bidirectional(layer, ctx: Ctx) -> Built:
    inner = layer.layer
    if layer.merge_mode is None:
        raise ctx.fail("merge_mode None returns two tensors; give a merge_mode")
    if inner.go_backwards:
        raise ctx.fail("Bidirectional over a go_backwards layer swaps the directions; drop go_backwards")
    rnn = rnn_module(inner, ctx.in_shape[-1], ctx, bidirectional=True)
    args = [rnn, f"units={inner.units}", f"merge_mode={literal(layer.merge_mode)}",
            f"return_sequences={literal(inner.return_sequences)}"]
    return Built([f"{ctx.helper('Bidirectional')}({', '.join(args)})"], KERAS, KERAS)


@emitter(RC.ConvLSTM1D, RC.ConvLSTM2D, RC.ConvLSTM3D)
def emit_conv_lstm(layer: RC.ConvLSTM, ctx: Ctx) -> Built:
    """The input conv pads as Keras's (TF 'same', maybe asymmetric); the recurrent conv is 'same' at stride 1."""
    rank, conv = layer.RANK, f"nn.Conv{layer.RANK}d"
    spatial, channels = ctx.split(layer, ctx.in_shape[1:])
    kernel, strides, dilation = (as_tuple(v, rank) for v in (layer.kernel_size, layer.strides, layer.dilation_rate))
    pre, pad_kw = conv_padding(layer, ctx, spatial, kernel, strides, dilation)
    f, size = layer.filters, literal(compact(kernel))
    input_kw = conv_kwargs(strides, dilation, **pad_kw, **({} if layer.use_bias else {"bias": False}))
    pads = [same_padding(None, k, 1) for k in kernel]
    same = compact(b for b, _ in pads) if all(b == a for b, a in pads) else "same"
    args = [call(conv, str(channels), str(4 * f), size, **input_kw),
            call(conv, str(f), str(4 * f), size, padding=same, bias=False),
            f"channels_last={literal(ctx.channels_last(layer))}", f"return_sequences={literal(layer.return_sequences)}"]
    if layer.go_backwards:
        args.append("go_backwards=True")
    if layer.zero_output_for_mask:
        args.append("zero_output_for_mask=True")
    args += [f"pad={stage}" for stage in pre]
    state = ctx.out_shape[1:] if layer.return_sequences else ctx.out_shape  # one step's (*spatial, f)
    for arg in ("activation", "recurrent_activation"):
        name = getattr(layer, arg)
        if name != type(layer).model_fields[arg].default:
            args.append(f"{arg}={activation_stage(name, state, ctx.spatial_layout(layer), ctx) or 'nn.Identity()'}")
    return Built([f"{ctx.helper('ConvLSTM')}({', '.join(args)})"], KERAS, KERAS)
