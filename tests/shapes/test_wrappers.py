"""TimeDistributed against real Keras 3: the inner layer runs on each time step; params are the inner layer's."""

from __future__ import annotations

import pytest
from _keras_multi import assert_matches_keras, check_layer, error_codes, keras_result

from specbridge.check import check_text

pytestmark = pytest.mark.keras


def td(inner, **args):
    return {"type": "TimeDistributed", "layer": inner, **args}


MATCHES_KERAS = [
    (td({"type": "Dense", "units": 8}), (10, 4), "float32"),
    (td({"type": "Dense", "units": 8, "use_bias": False}), (None, 4), "float32"),
    (td({"type": "Dense", "units": 3}), (5, 6, 4), "float32"),
    (td({"type": "Dense", "units": 3, "trainable": False}), (5, 4), "float32"),
    (td({"type": "Conv2D", "filters": 8, "kernel_size": 3}), (5, 16, 16, 3), "float32"),
    (td({"type": "Conv2D", "filters": 8, "kernel_size": 3, "strides": 2, "padding": "same"}), (None, 15, 15, 3), "float32"),
    (td({"type": "Conv2D", "filters": 4, "kernel_size": 3, "data_format": "channels_first"}), (5, 3, 9, 9), "float32"),
    (td({"type": "Conv1D", "filters": 4, "kernel_size": 3}), (5, 12, 2), "float32"),
    (td({"type": "MaxPooling2D"}), (5, 4, 4, 3), "float32"),
    (td({"type": "MaxPooling2D", "pool_size": 3, "strides": 1, "padding": "same"}), (None, 7, 7, 2), "float32"),
    (td({"type": "GlobalAveragePooling2D"}), (5, 4, 4, 3), "float32"),
    (td({"type": "Flatten"}), (5, 4, 4, 3), "float32"),
    (td({"type": "Flatten"}), (None, 4, None), "float32"),
    (td({"type": "Dropout", "rate": 0.5}), (5, 4), "float32"),
    (td({"type": "BatchNormalization"}), (5, 4), "float32"),
    (td({"type": "LSTM", "units": 3}), (5, 4, 2), "float32"),
    (td({"type": "Bidirectional", "layer": {"type": "GRU", "units": 3}}), (5, 4, 2), "float32"),
    (td(td({"type": "Dense", "units": 3})), (5, 4, 2), "float32"),
    (td({"type": "Embedding", "input_dim": 10, "output_dim": 3}), (5, 4), "int32"),
    (td({"type": "Dense", "units": 3}, trainable=False), (5, 4), "float32"),
]


def case_id(case):
    layer, shape, _ = case
    inner = layer["layer"]
    return f"{inner['type']}-{'x'.join('N' if d is None else str(d) for d in shape)}"


@pytest.mark.parametrize("case", MATCHES_KERAS, ids=case_id)
def test_matches_keras(keras, case):
    layer, shape, dtype = case
    assert_matches_keras(keras, layer, [shape], dtype)


@pytest.mark.parametrize(
    ("layer", "shape", "code"),
    [
        (td({"type": "Dense", "units": 8}), (10,), "SB200"),  # rank 2: no time axis
        (td({"type": "Conv2D", "filters": 8, "kernel_size": 3}), (16, 16, 3), "SB200"),  # each step is rank 3
        (td({"type": "Conv2D", "filters": 8, "kernel_size": 5}), (5, 3, 3, 2), "SB201"),  # too small per step
        (td({"type": "Dense", "units": 2}), (5, None), "SB205"),
    ],
    ids=["dense-rank2", "conv2d-rank4", "conv2d-too-small", "dense-unknown"],
)
def test_rejected_like_keras(keras, layer, shape, code):
    with pytest.raises(ValueError):
        keras_result(keras, layer, [shape])
    result = check_layer(layer, [shape])
    assert error_codes(result) == [code]


def test_pooling_of_the_wrong_rank_per_step_is_refused(keras):
    # Keras's TimeDistributed(MaxPooling2D) on (5, 4, 3) builds symbolically with a meaningless shape
    # (5, 2, 2, 3) (pooling skips its input-spec check there) and only fails once data runs.
    import numpy as np

    layer = {"type": "TimeDistributed", "layer": {"type": "MaxPooling2D"}}
    model = keras.Sequential([keras.Input((5, 4, 3)), keras.layers.TimeDistributed(keras.layers.MaxPooling2D())])
    with pytest.raises(ValueError, match="ksize"):
        model(np.ones((2, 5, 4, 3), "float32"))
    (err,) = check_layer(layer, [(5, 4, 3)]).errors
    assert err.code == "SB200" and "MaxPooling2D expects ndim=4" in err.message


def test_rank_message_echoes_keras():
    (err,) = check_layer(td({"type": "Dense", "units": 8}), [(10,)]).errors
    assert "TimeDistributed Layer should be passed an input_shape with at least 3 dimensions" in err.message
    assert "received: (None, 10)" in err.message


def test_inner_errors_name_the_inner_layer_and_point_at_it():
    text = (
        "specbridge: 1\nname: t\ninput: {shape: [5, 3, 3, 2]}\nlayers:\n"
        "  - type: TimeDistributed\n"
        "    layer: {type: Conv2D, filters: 8, kernel_size: 5}\n"
    )
    (err,) = check_text(text, lint=False).errors
    assert err.code == "SB201" and err.line == 6
    assert err.message.startswith("TimeDistributed(Conv2D) on each time step (None, 3, 3, 2): ")
    (rank,) = check_layer(td({"type": "Conv2D", "filters": 8, "kernel_size": 3}), [(16, 16, 3)]).errors
    assert "Conv2D expects ndim=4" in rank.message and "without TimeDistributed" in rank.hint


def test_inner_layer_cannot_carry_graph_fields():
    result = check_layer(td({"type": "Dense", "units": 2, "inputs": ["x"]}), [(5, 4)])
    assert error_codes(result) == ["SB210"]
    result = check_layer(td({"type": "Dense", "units": 2, "expect": {"params": 10}}), [(5, 4)])
    assert error_codes(result) == ["SB210"]


def test_cnn_lstm_stack_matches_keras(keras):
    """The seed's conv + LSTM fix: TimeDistributed convs, Flatten per frame, then an LSTM."""
    text = """
specbridge: 1
name: cnn_lstm
input: {shape: [8, 32, 32, 3]}
layers:
  - {type: TimeDistributed, layer: {type: Conv2D, filters: 16, kernel_size: 3, activation: relu}}
  - {type: TimeDistributed, layer: {type: MaxPooling2D, pool_size: 2}}
  - {type: TimeDistributed, layer: {type: Flatten}}
  - {type: LSTM, units: 32}
  - {type: Dense, units: 5}
"""
    result = check_text(text, lint=False)
    assert result.ok, result.diagnostics
    L = keras.layers
    model = keras.Sequential([
        keras.Input((8, 32, 32, 3)),
        L.TimeDistributed(L.Conv2D(16, 3, activation="relu")),
        L.TimeDistributed(L.MaxPooling2D(2)),
        L.TimeDistributed(L.Flatten()),
        L.LSTM(32),
        L.Dense(5),
    ])
    for record, layer in zip(result.records, model.layers, strict=True):
        assert record.output_shape == tuple(layer.output.shape[1:])
        assert record.params == layer.count_params()


def test_explain_steps_of_the_inner_layer_are_marked_as_such():
    from specbridge.report.steps import render_steps

    record = check_layer(td({"type": "Dense", "units": 8}), [(10, 4)]).records[0]
    folds, *inner, params = record.steps
    assert folds.result == (10, 8) and folds.values["frame"] == (4,)
    assert [s.within for s in inner] == [("Dense",)] * 3
    assert [s.topic for s in inner] == ["features", "params", "kernel shape"]
    assert inner[1].result == 40 and params.result == 40
    assert render_steps(record.steps)[2] == "Dense: params = 4*8 + 8 = 40"
