"""Shared layers (`shares:`): one Keras layer object called several times, one PyTorch submodule called again, one
set of ONNX initializers; Keras vs PyTorch vs ONNX layer by layer, each call compared with its own output."""

from __future__ import annotations

import numpy as np
import pytest
from frameworks import import_framework

from specbridge.check import check_text
from specbridge.crosscheck import TORCH_TO_KERAS

from .specs import crosscheck, why

pytestmark = [pytest.mark.keras, pytest.mark.torch]

TWO = "specbridge: 1\nname: shared\ninputs: [{{name: a, shape: {shape}}}, {{name: b, shape: {shape}}}]\nlayers:\n"

CASES = {
    "dense": ("[5]", "  - {type: Dense, units: 4, activation: tanh, name: enc, inputs: [a]}\n"
                     "  - {type: Dense, units: 4, activation: tanh, name: enc_call_2, inputs: [b], shares: enc}\n"
                     "  - {type: Subtract, name: diff, inputs: [enc, enc_call_2]}\n"),
    "conv_bn": ("[8, 8, 3]", "  - {type: Conv2D, filters: 4, kernel_size: 3, strides: 2, padding: same, name: c, inputs: [a]}\n"
                             "  - {type: BatchNormalization, name: bn}\n"
                             "  - {type: Conv2D, filters: 4, kernel_size: 3, strides: 2, padding: same, name: c2, inputs: [b], shares: c}\n"
                             "  - {type: BatchNormalization, name: bn2, shares: bn}\n"
                             "  - {type: Concatenate, name: joined, inputs: [bn, bn2]}\n"
                             "  - {type: GlobalAveragePooling2D, name: gap}\n"),
    "lstm_wrapper": ("[6, 3]", "  - {type: TimeDistributed, layer: {type: Dense, units: 5}, name: td, inputs: [a]}\n"
                               "  - {type: TimeDistributed, layer: {type: Dense, units: 5}, name: td2, inputs: [b], shares: td}\n"
                               "  - {type: LSTM, units: 4, name: rnn, inputs: [td]}\n"
                               "  - {type: LSTM, units: 4, name: rnn2, inputs: [td2], shares: rnn}\n"
                               "  - {type: Add, name: add, inputs: [rnn, rnn2]}\n"),
    # called on its own output, three times (a chain of `shares` resolves to the first call)
    "chain": ("[4]", "  - {type: Dense, units: 4, name: d, inputs: [a]}\n"
                     "  - {type: Dense, units: 4, name: d2, shares: d}\n"
                     "  - {type: Dense, units: 4, name: d3, shares: d2}\n"
                     "  - {type: Add, name: add, inputs: [d3, b]}\n"),
}


def _text(case: str) -> str:
    shape, layers = CASES[case]
    return TWO.format(shape=shape) + layers


@pytest.mark.parametrize("direction", ["keras_to_torch", TORCH_TO_KERAS])
@pytest.mark.parametrize("case", sorted(CASES))
def test_shared_layers_agree_layer_by_layer_in_every_backend(case, direction):
    report = crosscheck(_text(case), direction)
    assert report.ok, f"{case}: {why(report)}"
    names = [e.name for e in check_text(_text(case)).document.entries]
    assert [layer.name for layer in report.layers] == names  # every call compared, none skipped
    assert set(report.backends) == {"keras", "pytorch", "onnx"}


@pytest.mark.parametrize("case", sorted(CASES))
def test_parameters_count_once_as_keras_and_torch_count_them(case):
    from specbridge.emit import to_keras, to_onnx, to_torch

    result = check_text(_text(case))
    assert result.ok, [d.message for d in result.errors]
    model = to_keras(result)
    assert result.total_params == model.count_params()
    assert result.trainable_params == sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    if case != "lstm_wrapper":  # PyTorch's LSTM has two biases: its own count differs (REFERENCE.md section 4)
        torch_model = to_torch(result)
        assert sum(p.numel() for p in torch_model.parameters()) == result.trainable_params
    onnx_model = to_onnx(result, model)
    sharers = {e.name for e in result.document.entries if e.layer.shares}
    assert not [i.name for i in onnx_model.graph.initializer if i.name.split("/")[0] in sharers
                and i.dims and len(i.dims) > 1]  # a call again reuses the first call's initializers


def test_each_call_is_captured_with_its_own_output():
    """The Keras capture of the second call is that call's output (layer.output would be the first call's): checked
    against NumPy on the Keras model's own weights."""
    import_framework("keras")
    from specbridge.crosscheck.backends import keras_outputs
    from specbridge.emit import to_keras

    result = check_text(_text("dense"))
    model = to_keras(result)
    kernel, bias = model.get_layer("enc").get_weights()
    rng = np.random.default_rng(1)
    a, b = (rng.normal(size=(3, 5)).astype("float32") for _ in range(2))
    got = keras_outputs(result, model, ["enc", "enc_call_2"], [a, b])
    np.testing.assert_allclose(got["enc"], np.tanh(a @ kernel + bias), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got["enc_call_2"], np.tanh(b @ kernel + bias), rtol=1e-5, atol=1e-6)


def test_the_emitted_code_calls_one_object_and_one_module():
    from specbridge.emit import keras_source, torch_source

    result = check_text(_text("dense"))
    keras_code, torch_code = keras_source(result), torch_source(result)
    assert "enc_layer = layers.Dense(" in keras_code and "enc_call_2 = enc_layer(b)" in keras_code
    assert keras_code.count("layers.Dense(") == 1
    assert "enc_call_2 = self.enc(b)" in torch_code and torch_code.count("nn.Linear(") == 1
