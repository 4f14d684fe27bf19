"""The cross-check's parts on their own: comparison, layouts, random weights and inputs."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from crosscheck_helpers import checked, spec_text

from specbridge.check import check_text
from specbridge.crosscheck import TORCH_TO_KERAS, SpecHasErrors, build_pair, run_crosscheck
from specbridge.crosscheck.compare import compare_outputs, keras_to_torch_layout, torch_to_keras_layout
from specbridge.crosscheck.inputs import random_inputs
from specbridge.crosscheck.randomize import randomize_keras_weights
from specbridge.crosscheck.render import render_text
from specbridge.crosscheck.report import CrosscheckReport, LayerComparison


def test_ok_means_abs_error_within_atol_plus_rtol_times_output_scale():
    keras_out = np.array([[10.0, -20.0]])
    inside = compare_outputs("d", "Dense", keras_out, keras_out + 1e-3, atol=1e-5, rtol=1e-4)  # 1e-3 <= 2.00001e-3
    outside = compare_outputs("d", "Dense", keras_out, keras_out + 3e-3, atol=1e-5, rtol=1e-4)
    assert inside.ok and not outside.ok
    assert outside.max_abs_error == pytest.approx(3e-3)
    assert outside.max_rel_error == pytest.approx(3e-3 / 20.0)
    assert outside.max_abs_output == 20.0


def test_shape_mismatch_and_nan_are_never_ok():
    a = np.zeros((2, 3))
    mismatch = compare_outputs("x", "Flatten", a, np.zeros((2, 4)), atol=1.0, rtol=1.0)
    assert not mismatch.ok and "(2, 3) in Keras but (2, 4) in PyTorch" in mismatch.note
    poisoned = compare_outputs("x", "Dense", a, np.full((2, 3), np.nan), atol=1.0, rtol=1.0)
    assert not poisoned.ok and math.isinf(poisoned.max_abs_error) and "NaN" in poisoned.note


def test_layouts_round_trip_and_move_the_channel_axis():
    nhwc = np.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5)
    nchw = keras_to_torch_layout(nhwc, "channels_first")
    assert nchw.shape == (2, 5, 3, 4) and nchw[1, 4, 2, 3] == nhwc[1, 2, 3, 4]
    assert np.array_equal(torch_to_keras_layout(nchw, "channels_first"), nhwc)
    assert torch_to_keras_layout(nhwc, "keras") is nhwc
    with pytest.raises(ValueError, match="unknown layout"):
        torch_to_keras_layout(nhwc, "NHWC")


def test_report_verdict_names_the_first_divergent_layer_in_spec_order():
    layers = [LayerComparison("a", "Conv2D", 0.0, 0.0, 1.0, True),
              LayerComparison("b", "Flatten", 2.0, 1.0, 2.0, False),
              LayerComparison("c", "Dense", math.inf, math.inf, 1.0, False, note="shape")]
    report = CrosscheckReport("m", "float32", 4, 0, 1e-5, 1e-4, layers)
    assert not report.ok and report.first_divergence == "b"
    data = report.to_dict()
    assert data["ok"] is False and data["first_divergence"] == "b"
    assert data["max_abs_error"] is None  # inf is not JSON: null
    assert [row["name"] for row in data["layers"]] == ["a", "b", "c"]
    text = render_text(report)
    assert "diverge first at layer 'b' (Flatten)" in text and "2 of 3 layers differ" in text


def test_every_keras_weight_is_randomized_and_variances_stay_positive(keras):
    model = keras.Sequential([
        keras.Input((6, 5)),
        keras.layers.Bidirectional(keras.layers.GRU(3, return_sequences=True)),
        keras.layers.LSTM(4),
        keras.layers.BatchNormalization(),
        keras.layers.Dense(2),
    ])
    before = {v.path: np.array(v.numpy()) for v in model.weights}
    assert randomize_keras_weights(model, seed=3) == len(before)
    for v in model.weights:
        value = v.numpy()
        assert not np.allclose(value, before[v.path]), v.path  # zero biases, unit variances... all replaced
        assert len(np.unique(value)) > 1, v.path  # no constant vector either
        if v.name == "moving_variance":
            assert value.min() > 0
    again = {v.path: np.array(v.numpy()) for v in model.weights}
    randomize_keras_weights(model, seed=3)
    assert all(np.array_equal(v.numpy(), again[v.path]) for v in model.weights)


def test_embedding_inputs_get_ids_inside_the_vocabulary():
    result = checked(spec_text([12], [{"type": "Embedding", "input_dim": 7, "output_dim": 3},
                                      {"type": "GlobalAveragePooling1D"}], dtype="int32"))
    (ids,) = random_inputs(result, samples=50, seed=0, float_dtype="float32")
    assert ids.dtype == np.int32 and ids.shape == (50, 12)
    assert ids.min() == 0 and ids.max() == 6  # the whole range [0, 7) is drawn, nothing outside


def test_float_inputs_follow_the_crosscheck_dtype():
    result = checked(spec_text([4, 3], [{"type": "Dense", "units": 2}]))
    (x,) = random_inputs(result, samples=2, seed=0, float_dtype="float64")
    assert x.dtype == np.float64 and x.shape == (2, 4, 3)


def test_a_spec_with_errors_is_refused():
    result = check_text(spec_text([28, 28], [{"type": "Conv2D", "filters": 4, "kernel_size": 3}]))
    assert not result.ok
    with pytest.raises(SpecHasErrors):
        run_crosscheck(result)


def test_a_one_layer_spec_compares_the_whole_batch(keras, torch):
    report = run_crosscheck(checked(spec_text([5], [{"type": "Dense", "name": "only", "units": 3}])), samples=3)
    assert report.ok and [layer.name for layer in report.layers] == ["only"]
    assert report.layer("only").max_abs_output > 0


def test_two_inputs_an_embedding_and_two_outputs(keras, torch):
    """Inputs reach torch in named_inputs() order and layouts; ids stay inside the vocabulary."""
    text = json.dumps({
        "specbridge": 1, "name": "two_inputs",
        "inputs": [{"name": "tokens", "shape": [6], "dtype": "int32"}, {"name": "image", "shape": [6, 6, 2]}],
        "layers": [
            {"type": "Embedding", "name": "embed", "input_dim": 11, "output_dim": 4, "inputs": ["tokens"]},
            {"type": "GlobalAveragePooling1D", "name": "text_vec"},
            {"type": "Conv2D", "name": "conv", "filters": 3, "kernel_size": 3, "inputs": ["image"]},
            {"type": "GlobalMaxPooling2D", "name": "image_vec"},
            {"type": "Concatenate", "name": "joined", "inputs": ["text_vec", "image_vec"]},
            {"type": "Dense", "name": "head", "units": 2},
        ],
        "outputs": ["head", "conv"],
    })
    result = checked(text)
    for dtype in ("float32", "float64"):
        report = run_crosscheck(result, dtype=dtype)
        assert report.ok, report.to_dict()
        assert [layer.name for layer in report.layers] == ["embed", "text_vec", "conv", "image_vec", "joined", "head"]


def test_a_layer_reaching_no_output_is_reported_as_skipped(keras, torch):
    text = json.dumps({
        "specbridge": 1, "name": "dead_end", "input": {"shape": [5]},
        "layers": [{"type": "Dense", "name": "a", "units": 3},
                   {"type": "Dense", "name": "dead", "units": 2, "inputs": ["a"]},
                   {"type": "Dense", "name": "out", "units": 2, "inputs": ["a"]}],
        "outputs": ["out"],
    })
    result = checked(text)
    assert "SB103" in [d.code for d in result.diagnostics]  # a warning, so the spec is valid
    report = run_crosscheck(result)
    assert report.ok and [layer.name for layer in report.layers] == ["a", "out"]
    assert report.skipped == ["dead"] and report.to_dict()["skipped"] == ["dead"]
    assert "not compared (reach no model output, so no model computes them): dead" in render_text(report)


def test_torch_to_keras_draws_torch_weights_and_copies_them_into_keras(keras, torch):
    result = checked(spec_text([6, 6, 2], [{"type": "Conv2D", "name": "conv", "filters": 3, "kernel_size": 3},
                                           {"type": "BatchNormalization", "name": "bn"},
                                           {"type": "Flatten", "name": "flat"},
                                           {"type": "Dense", "name": "head", "units": 2}]))
    report = run_crosscheck(result, direction=TORCH_TO_KERAS)
    assert report.ok, report.to_dict()
    assert report.direction == TORCH_TO_KERAS and report.to_dict()["direction"] == TORCH_TO_KERAS
    two = run_crosscheck(result, direction=TORCH_TO_KERAS, backends=["keras", "pytorch"])
    assert render_text(two).startswith("crosscheck crosscheck_test: PyTorch vs Keras, float32, 4 samples, seed 0\n"
                                       "random weights drawn for PyTorch, copied to Keras\n")
    _, torch_model = build_pair(result, "float32", seed=0, direction=TORCH_TO_KERAS)
    bn = torch_model.get_submodule(torch_model.SPEC_LAYERS["bn"])
    assert not torch.allclose(bn.running_var, torch.ones_like(bn.running_var))  # statistics drawn too
    assert bool((bn.running_var > 0).all())
    with pytest.raises(ValueError, match="direction must be one of"):
        run_crosscheck(result, direction="sideways")


def test_a_weight_torch_to_keras_forgets_is_nan_in_keras(keras, torch, monkeypatch):
    from specbridge.emit import weights

    result = checked(spec_text([5], [{"type": "Dense", "name": "a", "units": 3}]))
    monkeypatch.setattr(weights, "torch_to_keras", lambda *args: None)
    report = run_crosscheck(result, direction=TORCH_TO_KERAS)
    assert not report.ok and report.first_divergence == "a"
    assert report.layer("a").note == "Keras output has NaN or infinite values (a weight not transferred?)"


def test_forward_must_return_what_the_output_modules_computed(keras, torch, monkeypatch):
    import specbridge.emit

    original = specbridge.emit.to_torch

    def doubled(source, *layout):
        model = original(source, *layout)
        forward = model.forward
        model.forward = lambda *xs: forward(*xs) * 2
        return model

    monkeypatch.setattr(specbridge.emit, "to_torch", doubled)
    result = checked(spec_text([5], [{"type": "Dense", "name": "a", "units": 3}, {"type": "Dense", "name": "b", "units": 2}]))
    report = run_crosscheck(result)
    assert [layer.ok for layer in report.layers] == [True, False]
    assert "forward() returns a different tensor" in report.layer("b").note


@pytest.mark.parametrize("direction", ["keras_to_torch", TORCH_TO_KERAS])
def test_normalization_statistics_are_drawn_positive_and_used(keras, torch, direction):
    """Both directions draw mean and variance (variance > 0, as moving_variance), leave the int64 count alone, and
    the Keras layer computes with what was drawn (refresh_keras_state: Keras reads them in finalize_state)."""
    result = checked(spec_text([4, 3], [{"type": "Normalization", "name": "norm", "axis": [1, 2]}]))
    keras_model, torch_model = build_pair(result, "float32", seed=0, direction=direction)
    layer = keras_model.get_layer("norm")
    mean, variance, count = (np.asarray(v.numpy()) for v in layer.weights)
    assert not np.allclose(mean, 0) and bool((variance > 0).all()) and not np.allclose(variance, 1)
    assert count.dtype == np.int64 and count == 0
    module = torch_model.get_submodule(torch_model.SPEC_LAYERS["norm"])
    np.testing.assert_allclose(module.adapt_variance.numpy(), variance)
    x = np.random.default_rng(0).normal(size=(2, 4, 3)).astype("float32")
    expected = (x - mean) / np.maximum(np.sqrt(variance), 1e-7)
    np.testing.assert_allclose(np.asarray(keras_model(x, training=False)), expected, rtol=1e-5, atol=1e-6)
