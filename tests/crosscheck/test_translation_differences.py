"""Issue 6.8, translation side: the emitted Keras and PyTorch models of these specs build, run and agree; and a
difference that is TensorFlow's own is attributed to it by the NumPy reference (crosscheck/reference.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from crosscheck_helpers import checked, spec_text

from specbridge.crosscheck import run_crosscheck
from specbridge.crosscheck.reference import evaluate, verdict
from specbridge.crosscheck.render import render_text


def test_time_distributed_conv_with_integer_padding_keeps_its_padding_in_keras(keras):
    # The old Keras emitter dropped `padding: 1` inside TimeDistributed: (3, 6, 6, 4) instead of (3, 8, 8, 4).
    from specbridge.emit import to_keras

    layers = [{"type": "TimeDistributed", "layer": {"type": "Conv2D", "filters": 4, "kernel_size": 3, "padding": 1}}]
    result = checked(spec_text([3, 8, 8, 2], layers))
    assert result.records[-1].output_shape == (3, 8, 8, 4)
    model = to_keras(result)
    assert tuple(model(np.ones((2, 3, 8, 8, 2), "float32")).shape) == (2, 3, 8, 8, 4)
    assert run_crosscheck(result).ok


def graph(inputs: dict, layers: list, outputs: list) -> str:
    return json.dumps({"specbridge": 1, "name": "g", "inputs": [{"name": n, "shape": s} for n, s in inputs.items()],
                       "outputs": outputs, "layers": layers})


def test_merges_of_different_ranks_broadcast_like_keras(keras, torch):
    # Keras gives the lower-rank input size-1 axes after the batch axis; PyTorch's own broadcasting crashed.
    text = graph(
        {"a": [3, 6], "b": [1], "img": [8, 8, 3], "v": [3]},
        [
            {"type": "Add", "name": "add", "inputs": ["a", "b"]},
            {"type": "Subtract", "name": "sub", "inputs": ["b", "a"]},
            {"type": "Conv2D", "name": "conv", "filters": 3, "kernel_size": 1, "inputs": ["img"]},
            {"type": "Multiply", "name": "mul", "inputs": ["conv", "v"]},  # channels_first inside PyTorch
        ],
        ["add", "sub", "mul"],
    )
    report = run_crosscheck(checked(text))
    assert report.ok, report.to_dict()


def test_single_input_merges_and_an_unsized_layer_norm_translate(keras, torch):
    text = graph(
        {"x": [3, 4]},
        [
            {"type": "Add", "name": "add", "inputs": ["x"]},
            {"type": "Concatenate", "name": "cat", "inputs": ["add"]},
            {"type": "Average", "name": "avg", "inputs": ["cat"]},
        ],
        ["avg"],
    )
    assert run_crosscheck(checked(text)).ok
    layers = [{"type": "LayerNormalization", "center": False, "scale": False}]
    assert run_crosscheck(checked(spec_text([3, None], layers))).ok


def test_a_tensorflow_bug_is_not_blamed_on_the_translation(keras, torch):
    # Keras 3.15 / TF 2.21 CPU: channels_first Conv1D adds the bias along the wrong axis when the output length
    # equals the number of filters. PyTorch matches an independent NumPy evaluation; the report says so.
    layers = [{"type": "Conv1D", "name": "conv", "filters": 4, "kernel_size": 1}]
    report = run_crosscheck(checked(spec_text([5, 4], layers, data_format="channels_first")))
    if report.ok:
        pytest.skip("this TensorFlow computes the channels_first Conv1D correctly")
    assert report.layer("conv").reference == "pytorch"
    assert report.to_dict()["layers"][0]["reference"] == "pytorch"
    assert "PyTorch agrees with it" in render_text(report)


def test_numpy_reference_matches_keras_where_keras_is_right(keras):
    from specbridge.check import check_text

    cases = [
        ({"type": "Conv2D", "filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"}, (7, 7, 2)),
        ({"type": "Conv1D", "filters": 3, "kernel_size": 2, "dilation_rate": 2, "padding": "causal"}, (9, 2)),
        ({"type": "Dense", "units": 3, "activation": "relu"}, (4, 5)),
        ({"type": "AveragePooling2D", "pool_size": 3, "strides": 2, "padding": "same"}, (6, 6, 2)),
        ({"type": "MaxPooling1D", "pool_size": 2, "padding": "same"}, (5, 3)),
    ]
    rng = np.random.default_rng(0)
    for layer, shape in cases:
        spec = json.loads(spec_text(list(shape), [layer]))
        result = check_text(json.dumps(spec))
        klayer = getattr(keras.layers, layer["type"])(**{k: v for k, v in layer.items() if k != "type"})
        x = rng.normal(size=(2, *shape)).astype("float32")
        out = np.asarray(klayer(x))
        weights = [rng.normal(size=w.shape) for w in klayer.get_weights()]
        if weights:
            klayer.set_weights(weights)
            out = np.asarray(klayer(x))
        reference = evaluate(result.document.entries[0].layer, weights, [x], "channels_last")
        assert verdict(reference, out, out + 1, 1e-4, 1e-4) == "keras", layer


def test_layers_without_a_reference_say_so(keras, torch):
    from specbridge.check import check_text

    result = check_text(spec_text([4, 3], [{"type": "LSTM", "units": 2}]))
    assert evaluate(result.document.entries[0].layer, [], [np.ones((1, 4, 3))], "channels_last") is None
