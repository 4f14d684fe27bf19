"""The cross-check is not vacuous: each planted translation bug fails it and is blamed on the right layer.

Defects are planted the way they happen in real translators: a weight converter that skips a layout step
(monkeypatching specbridge.emit.weights.WEIGHT_CONVERTERS) or a PyTorch module built with PyTorch's habits
instead of Keras's semantics (editing the live module that specbridge.emit.to_torch returns). Each test also
runs the intact translation of the same spec first, so a failure is the defect's doing, not the spec's.
"""

from __future__ import annotations

import numpy as np
import pytest
from crosscheck_helpers import checked, spec_text

import specbridge.emit
from specbridge.crosscheck import run_crosscheck
from specbridge.emit import weights
from specbridge.spec.layers.core import Dense
from specbridge.spec.layers.preprocessing import Normalization
from specbridge.spec.layers.recurrent import GRU


@pytest.fixture
def edit_torch_model(monkeypatch):
    """edit_torch_model(fn): every model to_torch builds from now on goes through fn(model) first."""

    def install(edit):
        original = specbridge.emit.to_torch

        def edited(source, *layout):
            model = original(source, *layout)
            edit(model)
            return model

        monkeypatch.setattr(specbridge.emit, "to_torch", edited)

    return install


def assert_blames(result, layer: str, *, at_least: float) -> None:
    """The intact translation passes; the defective one fails first at `layer` by a clear margin."""
    report = run_crosscheck(result)
    assert not report.ok, "the planted defect went unnoticed"
    assert report.first_divergence == layer, report.to_dict()
    blamed = report.layer(layer)
    assert blamed.max_abs_error > at_least
    for before in report.layers[: [x.name for x in report.layers].index(layer)]:
        assert before.ok  # the layers before the defect still agree: the blame is precise


def intact_ok(result) -> None:
    report = run_crosscheck(result)
    assert report.ok, report.to_dict()


CONV_FLATTEN_DENSE = [
    {"type": "Conv2D", "name": "conv", "filters": 4, "kernel_size": 3},
    {"type": "Flatten", "name": "flat"},
    {"type": "Dense", "name": "dense", "units": 5},
]


def test_flatten_in_pytorch_nchw_order(keras, torch, edit_torch_model):
    result = checked(spec_text([8, 8, 3], CONV_FLATTEN_DENSE))
    intact_ok(result)
    edit_torch_model(lambda model: setattr(model, "flat", torch.nn.Flatten()))  # flattens (c, h, w), not (h, w, c)
    assert_blames(result, "flat", at_least=0.1)


def test_dense_after_flatten_with_rows_in_nchw_order(keras, torch, monkeypatch):
    """The Dense rows permuted for an NCHW flatten while the torch Flatten follows Keras's (h, w, c) order."""
    result = checked(spec_text([8, 8, 3], CONV_FLATTEN_DENSE))
    intact_ok(result)
    h, w, c = 6, 6, 4  # the conv output

    def dense_rows_for_nchw_flatten(klayer, tmod, layer):
        (linear,) = weights.find(tmod, "Linear")
        # Keras row index h*W*C + w*C + c, reordered as if torch had flattened c*H*W + h*W + w.
        order = np.arange(h * w * c).reshape(h, w, c).transpose(2, 0, 1).reshape(-1)
        return [weights.Pair([klayer.kernel], [linear.weight], lambda v: [v[0][order].T], None),
                weights.same(klayer.bias, linear.bias)]

    monkeypatch.setitem(weights.WEIGHT_CONVERTERS.entries, Dense, dense_rows_for_nchw_flatten)
    assert_blames(result, "dense", at_least=0.1)


def test_tf_same_replaced_by_symmetric_padding(keras, torch, edit_torch_model):
    # 8 wide, kernel 3, stride 2: TF pads 0 before and 1 after; PyTorch's padding=1 pads 1 on both sides and
    # gives the same output size, so only the values can tell.
    layers = [{"type": "Conv2D", "name": "conv", "filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"},
              {"type": "GlobalAveragePooling2D", "name": "pool"}]
    result = checked(spec_text([8, 8, 3], layers))
    intact_ok(result)

    def symmetric_padding(model):
        pad, conv = model.conv  # the emitted ZeroPad2d((0, 1, 0, 1)) then the valid conv
        assert tuple(pad.padding) == (0, 1, 0, 1)
        conv.padding = (1, 1)
        model.conv = conv

    edit_torch_model(symmetric_padding)
    assert_blames(result, "conv", at_least=0.01)


def test_gru_gates_not_reordered(keras, torch, monkeypatch):
    layers = [{"type": "GRU", "name": "gru", "units": 4, "return_sequences": True},
              {"type": "Dense", "name": "dense", "units": 2}]
    result = checked(spec_text([6, 5], layers))
    intact_ok(result)

    def gru_gates_in_keras_order(klayer, tmod, layer):
        """Transposes only: Keras's (z, r, h) blocks land where PyTorch expects (r, z, n)."""
        (rnn,) = weights.find(tmod, "GRU")
        cell = klayer.cell
        return [weights.permuted(cell.kernel, rnn.weight_ih_l0, (1, 0)),
                weights.permuted(cell.recurrent_kernel, rnn.weight_hh_l0, (1, 0)),
                weights.Pair([cell.bias], [rnn.bias_ih_l0, rnn.bias_hh_l0], lambda v: [v[0][0], v[0][1]], None)]

    monkeypatch.setitem(weights.WEIGHT_CONVERTERS.entries, GRU, gru_gates_in_keras_order)
    assert_blames(result, "gru", at_least=0.01)


def test_batchnorm_epsilon_left_at_pytorch_default(keras, torch, edit_torch_model):
    layers = [{"type": "Dense", "name": "dense", "units": 6}, {"type": "BatchNormalization", "name": "bn"}]
    result = checked(spec_text([5], layers))
    intact_ok(result)

    def pytorch_default_eps(model):
        assert model.bn.eps == pytest.approx(1e-3)  # Keras's default, as emitted
        model.bn.eps = 1e-5

    edit_torch_model(pytorch_default_eps)
    assert_blames(result, "bn", at_least=1e-4)


def test_bidirectional_taking_the_last_time_step(keras, torch, edit_torch_model):
    layers = [{"type": "Bidirectional", "name": "bi", "layer": {"type": "LSTM", "units": 3}},
              {"type": "Dense", "name": "dense", "units": 2}]
    result = checked(spec_text([7, 4], layers))
    intact_ok(result)

    def last_step(self, x):
        out, _ = self.rnn(x)
        return out[:, -1]  # the backward direction's last step has seen one input, not the whole sequence

    edit_torch_model(lambda model: setattr(model.bi, "forward", last_step.__get__(model.bi)))
    assert_blames(result, "bi", at_least=0.01)


def test_a_weight_the_transfer_forgets_poisons_its_layer(keras, torch, monkeypatch):
    """PyTorch's own initialization would look plausible; the harness NaNs every torch weight before the copy."""
    result = checked(spec_text([5], [{"type": "Dense", "name": "dense", "units": 3},
                                     {"type": "Dense", "name": "head", "units": 2}]))
    monkeypatch.setitem(weights.WEIGHT_CONVERTERS.entries, Dense,
                        lambda klayer, tmod, layer: [] if layer.name == "head" else weights.dense(klayer, tmod, layer))
    report = run_crosscheck(result)
    assert report.first_divergence == "head" and "NaN" in report.layer("head").note
    assert report.layer("dense").ok


def test_normalization_statistics_swapped(keras, torch, monkeypatch):
    layers = [{"type": "Dense", "name": "dense", "units": 4}, {"type": "Normalization", "name": "norm"}]
    result = checked(spec_text([5], layers))
    intact_ok(result)

    def swapped(klayer, tmod, layer):
        (module,) = weights.find(tmod, "KerasNormalization")
        return [weights.same(klayer.adapt_mean, module.adapt_variance),
                weights.same(klayer.adapt_variance, module.adapt_mean)]

    monkeypatch.setitem(weights.WEIGHT_CONVERTERS.entries, Normalization, swapped)
    assert_blames(result, "norm", at_least=0.01)


def test_normalization_with_batch_norm_s_epsilon(keras, torch, edit_torch_model):
    """sqrt(variance + epsilon), BatchNormalization's habit, where Keras's Normalization divides by
    max(sqrt(variance), 1e-7): a zero variance shows it."""
    layers = [{"type": "Normalization", "name": "norm", "mean": [0.5, -1.0, 2.0], "variance": [4.0, 0.0, 1.0]}]
    result = checked(spec_text([4, 3], layers))
    intact_ok(result)

    def batch_norm_epsilon(model):
        module = model.norm
        module.forward = lambda x: (x - module.mean) / torch.sqrt(module.variance + 1e-3)

    edit_torch_model(batch_norm_epsilon)
    assert_blames(result, "norm", at_least=1.0)
