"""Weight transfer between the emitted Keras and PyTorch models, in both directions.

Each layer kind with weights has one converter, registered in WEIGHT_CONVERTERS (weight_pairs.py, with Pair and
the pair makers), that pairs Keras variables with PyTorch tensors and says how to map values each way (layouts,
gate order, bias split; see REFERENCE.md section 3); the attention layers' are in weights_attention.py. Tests may
replace one converter to plant a defect.
"""

from __future__ import annotations

import numpy as np

from ..spec.catalog import Stage, StageGap
from ..spec.layers import conv as C
from ..spec.layers import core as K
from ..spec.layers import normalization as N
from ..spec.layers import preprocessing as PP
from ..spec.layers import recurrent as RC
from ..spec.layers import wrappers as W
from . import weights_attention  # noqa: F401  (its @converter entries: the attention layers)
from .errors import NotExpressible, SpecHasErrors
from .plan import as_result
from .weight_pairs import WEIGHT_CONVERTERS, Arrays, Converter, Pair, converter, find, permuted, same

__all__ = ["WEIGHT_CONVERTERS", "Arrays", "Converter", "Pair", "converter", "converter_for", "find", "keras_to_torch",
           "load_stage", "permuted", "same", "torch_to_keras"]


def converter_for(layer, name: str | None = None) -> Converter | None:
    """The mapping of a layer's class; None for a layer without weights. A layer with weights and no mapping
    raises: transferring around it would leave the target's random weights in place without a word."""
    if not type(layer).has_weights():
        return None
    try:
        return WEIGHT_CONVERTERS.entry(type(layer))
    except StageGap as gap:
        raise NotExpressible(name or layer.name, f"its weights cannot be transferred: {gap}") from None


def load_stage() -> Stage:
    return WEIGHT_CONVERTERS


def kernel_perm(rank: int) -> tuple[int, ...]:
    """Keras (k1..kr, in, out) -> PyTorch (out, in, k1..kr); also (k, out, in) -> (in, out, k) for transposed."""
    return (rank + 1, rank) + tuple(range(rank))


def _bias(klayer, conv) -> list[Pair]:
    bias = getattr(klayer, "bias", None)
    return [same(bias, conv.bias)] if bias is not None else []


@converter(K.Dense)
def dense(klayer, tmod, layer) -> list[Pair]:
    (linear,) = find(tmod, "Linear")
    return [permuted(klayer.kernel, linear.weight, (1, 0))] + _bias(klayer, linear)


@converter(C.Conv1D, C.Conv2D, C.Conv3D, C.Conv1DTranspose, C.Conv2DTranspose, C.Conv3DTranspose)
def conv(klayer, tmod, layer) -> list[Pair]:
    (module,) = find(tmod, *(f"Conv{r}d" for r in (1, 2, 3)), *(f"ConvTranspose{r}d" for r in (1, 2, 3)))
    return [permuted(klayer.kernel, module.weight, kernel_perm(layer.RANK))] + _bias(klayer, module)


def depthwise_pair(keras_var, torch_tensor, rank: int) -> Pair:
    """Keras (k..., in, dm) <-> PyTorch grouped conv (in*dm, 1, k...)."""

    def to_torch(v):
        k = v[0]
        flat = k.reshape(k.shape[:rank] + (-1,))
        return [np.moveaxis(flat, -1, 0)[:, None]]

    def to_keras(v):
        shape = tuple(keras_var.shape)
        return [np.moveaxis(v[0][:, 0], 0, -1).reshape(shape)]

    return Pair([keras_var], [torch_tensor], to_torch, to_keras)


@converter(C.DepthwiseConv1D, C.DepthwiseConv2D)
def depthwise(klayer, tmod, layer) -> list[Pair]:
    (module,) = find(tmod, "Conv1d", "Conv2d")
    return [depthwise_pair(klayer.kernel, module.weight, layer.RANK)] + _bias(klayer, module)


@converter(C.SeparableConv1D, C.SeparableConv2D)
def separable(klayer, tmod, layer) -> list[Pair]:
    depth, point = find(tmod, "Conv1d", "Conv2d")
    return [
        depthwise_pair(klayer.depthwise_kernel, depth.weight, layer.RANK),
        permuted(klayer.pointwise_kernel, point.weight, kernel_perm(layer.RANK)),
    ] + _bias(klayer, point)


@converter(N.BatchNormalization)
def batch_norm(klayer, tmod, layer) -> list[Pair]:
    (bn,) = find(tmod, "BatchNorm1d", "BatchNorm2d", "BatchNorm3d")
    pairs = [same(klayer.moving_mean, bn.running_mean), same(klayer.moving_variance, bn.running_var)]
    affine = bn if layer.scale == layer.center else find(tmod, "BatchNormPartialAffine")[0]  # one term only
    if layer.scale:
        pairs.append(same(klayer.gamma, affine.weight))
    if layer.center:
        pairs.append(same(klayer.beta, affine.bias))
    return pairs


@converter(N.LayerNormalization)
def layer_norm(klayer, tmod, layer) -> list[Pair]:
    if not (layer.scale or layer.center):
        return []  # nothing to copy (and maybe no nn.LayerNorm: see LayerNormUnsized)
    (ln,) = find(tmod, "LayerNorm")
    pairs = []
    if layer.scale:
        pairs.append(Pair([klayer.gamma], [ln.weight], lambda v: [v[0].reshape(ln.weight.shape)],
                          lambda v: [v[0].reshape(klayer.gamma.shape)]))
    if layer.center:
        pairs.append(Pair([klayer.beta], [ln.bias], lambda v: [v[0].reshape(ln.bias.shape)],
                          lambda v: [v[0].reshape(klayer.beta.shape)]))
    return pairs


@converter(N.RMSNormalization)
def rms_norm(klayer, tmod, layer) -> list[Pair]:
    (rms,) = find(tmod, "RMSNorm")
    return [same(klayer.scale, rms.weight)]  # nn.RMSNorm's weight has Keras's scale shape (the normalized sizes)


@converter(K.Embedding)
def embedding(klayer, tmod, layer) -> list[Pair]:
    (emb,) = find(tmod, "Embedding")
    return [same(klayer.embeddings, emb.weight)]


@converter(N.GroupNormalization)
def group_norm(klayer, tmod, layer) -> list[Pair]:
    (gn,) = find(tmod, "GroupNorm")
    return [same(klayer.gamma, gn.weight), same(klayer.beta, gn.bias)] if layer.scale else []


@converter(K.EinsumDense)
def einsum_dense(klayer, tmod, layer) -> list[Pair]:
    """runtime_einsum.KerasEinsumDense holds the kernel and bias in Keras's shapes: the same values."""
    (module,) = find(tmod, "KerasEinsumDense")
    return [same(klayer.kernel, module.kernel)] + _bias(klayer, module)


@converter(K.PReLU)
def prelu(klayer, tmod, layer) -> list[Pair]:
    (module,) = find(tmod, "KerasPReLU")
    return [same(klayer.alpha, module.alpha)]


@converter(PP.Normalization)
def normalization(klayer, tmod, layer) -> list[Pair]:
    """The adapted statistics: Keras's variables are the attributes adapt_mean and adapt_variance (`mean` is the
    tensor computed from them); count, an int64 nothing reads at inference, has no PyTorch counterpart."""
    if layer.mean is not None:
        return []  # given as arguments: constants in both models, no variables
    (module,) = find(tmod, "KerasNormalization")
    return [same(klayer.adapt_mean, module.adapt_mean), same(klayer.adapt_variance, module.adapt_variance)]


# ---------------------------------------------------------------- recurrent


def swap_first_two_gates(w: np.ndarray, axis: int) -> np.ndarray:
    """Keras GRU (z, r, h) <-> PyTorch (r, z, n): swapping the first two blocks is its own inverse."""
    z, r, h = np.split(w, 3, axis=axis)
    return np.concatenate([r, z, h], axis=axis)


def recurrent_pairs(cell, rnn, layer, suffix: str) -> list[Pair]:
    """One direction of a Keras RNN cell <-> a PyTorch RNN's tensors with this suffix ('_l0', '_l0_reverse')."""
    def tensor(name):
        return getattr(rnn, name + suffix)

    if type(rnn).__name__ == "GRUResetBefore":  # Keras gate order and a single bias: plain transposes
        pairs = [permuted(cell.kernel, tensor("weight_ih"), (1, 0)),
                 permuted(cell.recurrent_kernel, tensor("weight_hh"), (1, 0))]
        if layer.use_bias:
            pairs.append(same(cell.bias, tensor("bias")))
        return pairs
    if isinstance(layer, RC.GRU):
        def gate_t(v):
            return [swap_first_two_gates(v[0], 1).T]

        def gate_k(v):
            return [swap_first_two_gates(v[0].T, 1)]

        pairs = [Pair([cell.kernel], [tensor("weight_ih")], gate_t, gate_k),
                 Pair([cell.recurrent_kernel], [tensor("weight_hh")], gate_t, gate_k)]
        if layer.use_bias:  # Keras bias (2, 3u): input bias row, recurrent bias row
            pairs.append(Pair(
                [cell.bias], [tensor("bias_ih"), tensor("bias_hh")],
                lambda v: [swap_first_two_gates(v[0][0], 0), swap_first_two_gates(v[0][1], 0)],
                lambda v: [np.stack([swap_first_two_gates(v[0], 0), swap_first_two_gates(v[1], 0)])],
            ))
        return pairs
    # LSTM (gates i, f, c, o in both) and SimpleRNN: transposes; Keras has one bias, PyTorch two.
    pairs = [permuted(cell.kernel, tensor("weight_ih"), (1, 0)),
             permuted(cell.recurrent_kernel, tensor("weight_hh"), (1, 0))]
    if layer.use_bias:
        pairs.append(Pair(
            [cell.bias], [tensor("bias_ih"), tensor("bias_hh")],
            lambda v: [v[0], np.zeros_like(v[0])], lambda v: [v[0] + v[1]],
        ))
    return pairs


def _rnn(tmod):
    (rnn,) = find(tmod, "RNN", "LSTM", "GRU", "GRUResetBefore")
    return rnn


def _suffixes(rnn) -> tuple[str, str]:
    return ("", "_reverse") if type(rnn).__name__ == "GRUResetBefore" else ("_l0", "_l0_reverse")


@converter(RC.SimpleRNN, RC.LSTM, RC.GRU)
def recurrent(klayer, tmod, layer) -> list[Pair]:
    rnn = _rnn(tmod)
    return recurrent_pairs(klayer.cell, rnn, layer, _suffixes(rnn)[0])


@converter(RC.ConvLSTM1D, RC.ConvLSTM2D, RC.ConvLSTM3D)
def conv_lstm(klayer, tmod, layer) -> list[Pair]:
    """Kernels (*k, in, 4f) -> ConvNd (4f, in, *k); the gate blocks i, f, c, o are in the same order."""
    (module,) = find(tmod, "ConvLSTM")
    cell, perm = klayer.cell, kernel_perm(layer.RANK)
    return [permuted(cell.kernel, module.input_conv.weight, perm),
            permuted(cell.recurrent_kernel, module.recurrent_conv.weight, perm)] + _bias(cell, module.input_conv)


@converter(RC.Bidirectional)
def bidirectional(klayer, tmod, layer) -> list[Pair]:
    rnn = _rnn(tmod)
    forward, backward = _suffixes(rnn)
    return (recurrent_pairs(klayer.forward_layer.cell, rnn, layer.layer, forward)
            + recurrent_pairs(klayer.backward_layer.cell, rnn, layer.layer, backward))


@converter(W.TimeDistributed)
def time_distributed(klayer, tmod, layer) -> list[Pair]:
    inner = converter_for(layer.layer)
    if inner is None:
        return []
    (wrapper,) = find(tmod, "TimeDistributed")
    return inner(klayer.layer, wrapper.layer, layer.layer)


# ---------------------------------------------------------------- transfer


def _pairs(keras_model, torch_model, result) -> list[Pair]:
    result = as_result(result)
    if not result.ok:
        raise SpecHasErrors(result)
    attributes = type(torch_model).SPEC_LAYERS
    # A functional Keras model drops layers that reach no output (warning SB103): nothing to copy there.
    in_keras = {layer.name for layer in keras_model.layers}
    pairs = []
    for entry in result.ordered_entries():
        if entry.name in result.graph.shares:
            continue  # a layer called again: its weights are the first call's, copied there
        convert = converter_for(entry.layer, entry.name)
        if convert is None or entry.name not in in_keras or entry.name not in attributes:
            continue
        klayer, tmodule = keras_model.get_layer(entry.name), torch_model.get_submodule(attributes[entry.name])
        pairs += convert(klayer, tmodule, entry.layer)
    return pairs


def keras_to_torch(keras_model, torch_model, result) -> None:
    """Copy every Keras weight (incl. BatchNorm moving statistics) into the emitted PyTorch model."""
    import torch

    with torch.no_grad():
        for pair in _pairs(keras_model, torch_model, result):
            values = pair.to_torch([np.asarray(v.numpy()) for v in pair.keras])
            for tensor, value in zip(pair.torch, values, strict=True):
                if tuple(tensor.shape) != value.shape:
                    raise ValueError(f"shape mismatch: torch {tuple(tensor.shape)} vs converted {value.shape}")
                # ascontiguousarray makes a 0-d array (a scalar variable) 1-d: reshape it back.
                tensor.copy_(torch.from_numpy(np.ascontiguousarray(value).reshape(value.shape)).to(tensor.dtype))


def torch_to_keras(torch_model, keras_model, result) -> None:
    """Copy every PyTorch weight into the emitted Keras model (the inverse of keras_to_torch)."""
    for pair in _pairs(keras_model, torch_model, result):
        values = pair.to_keras([t.detach().cpu().numpy() for t in pair.torch])
        for var, value in zip(pair.keras, values, strict=True):
            if tuple(var.shape) != value.shape:
                raise ValueError(f"shape mismatch: keras {tuple(var.shape)} vs converted {value.shape}")
            var.assign(value.astype(var.dtype))
    refresh_keras_state(keras_model)


def refresh_keras_state(keras_model) -> None:
    """Make Keras layers compute with the values just assigned to their variables.

    Keras's Normalization divides by tensors it derives from its variables in finalize_state(), which adapt() and
    loading saved weights call; assign() and set_weights() do not, so without this the layer keeps computing with
    the statistics it had before (measured on Keras 3.15).
    """
    for layer in keras_model.layers:
        for each in (layer, getattr(layer, "layer", None)):  # the layer a TimeDistributed wraps too
            finalize = getattr(each, "finalize_state", None)
            if callable(finalize):
                finalize()
