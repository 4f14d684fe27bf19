"""Dense, Embedding, Flatten, dropouts, Softmax and activations against real Keras 3, built symbolically."""

from __future__ import annotations

import pytest
from _keras_multi import assert_matches_keras, check_layer, error_codes, keras_result

from specbridge.report.steps import render_steps

pytestmark = pytest.mark.keras


def emb(**args):
    return {"type": "Embedding", "input_dim": 1000, "output_dim": 64, **args}


# (layer, input shape without batch, input dtype)
MATCHES_KERAS = [
    (emb(), (20,), "int32"),
    (emb(), (None,), "int64"),
    (emb(), (5, 3), "int32"),  # rank 2 ids: one vector per id
    (emb(), (), "int32"),  # one id per sample
    (emb(mask_zero=True), (7,), "int32"),
    (emb(trainable=False), (7,), "int32"),
    (emb(), (4,), "uint8"),
    ({"type": "Dense", "units": 10}, (784,), "float32"),
    ({"type": "Dense", "units": 4, "use_bias": False}, (None, 6), "float32"),
    ({"type": "Dense", "units": 4}, (3, 5, 6), "float32"),
    ({"type": "Flatten"}, (7, 7, 64), "float32"),
    ({"type": "Flatten"}, (), "float32"),
    ({"type": "Dropout", "rate": 0.5}, (3, 4), "float32"),
    ({"type": "SpatialDropout1D", "rate": 0.2}, (10, 4), "float32"),
    ({"type": "SpatialDropout1D", "rate": 0.2}, (None, 4), "float32"),
    ({"type": "SpatialDropout2D", "rate": 0.2}, (8, 8, 3), "float32"),
    ({"type": "SpatialDropout2D", "rate": 0.2, "data_format": "channels_first"}, (3, 8, 8), "float32"),
    ({"type": "SpatialDropout3D", "rate": 0.2}, (4, 8, 8, 3), "float32"),
    ({"type": "Softmax"}, (4, 5), "float32"),
    ({"type": "Softmax", "axis": 1}, (4, 5), "float32"),
    ({"type": "Softmax", "axis": -2}, (4, 5), "float32"),
    ({"type": "Activation", "activation": "softmax"}, (4, 5), "float32"),
    ({"type": "Activation", "activation": "relu"}, (None, 5), "float32"),
    ({"type": "ReLU", "max_value": 6.0}, (4,), "float32"),
    ({"type": "LeakyReLU"}, (4,), "float32"),
    ({"type": "ELU"}, (4,), "float32"),
]


def case_id(case):
    layer, shape, dtype = case
    args = {k: v for k, v in layer.items() if k not in ("type", "input_dim", "output_dim")}
    return f"{layer['type']}-{args}-{'x'.join('N' if d is None else str(d) for d in shape) or 'scalar'}-{dtype}"


@pytest.mark.parametrize("case", MATCHES_KERAS, ids=case_id)
def test_matches_keras(keras, case):
    layer, shape, dtype = case
    assert_matches_keras(keras, layer, [shape], dtype)


def test_embedding_output_is_float_and_feeds_an_lstm(keras):
    from specbridge.check import check_text

    text = """
specbridge: 1
name: text_classifier
input: {shape: [100], dtype: int32}
layers:
  - {type: Embedding, input_dim: 5000, output_dim: 32}
  - {type: LSTM, units: 16}
  - {type: Dense, units: 1, activation: sigmoid}
"""
    result = check_text(text, lint=False)
    assert result.ok, result.diagnostics
    assert result.records[0].output.dtype == "float32"
    model = keras.Sequential([
        keras.Input((100,), dtype="int32"),
        keras.layers.Embedding(5000, 32),
        keras.layers.LSTM(16),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    assert [r.params for r in result.records] == [layer.count_params() for layer in model.layers]
    assert [r.output_shape for r in result.records] == [tuple(layer.output.shape[1:]) for layer in model.layers]


@pytest.mark.parametrize("dtype", ["float32", "float64", "bool"])
def test_embedding_on_non_integer_input_is_refused(keras, dtype):
    # Keras accepts float ids symbolically (and casts them when run), so Keras is not the judge here:
    # PyTorch is. nn.Embedding refuses every index dtype but int32/int64, and specbridge emits PyTorch too.
    torch = pytest.importorskip("torch")
    assert keras_result(keras, emb(), [(5,)], dtype)[0] == (5, 64)
    with pytest.raises(RuntimeError, match="indices"):
        torch.nn.Embedding(10, 4)(torch.zeros(5, dtype=getattr(torch, dtype)))
    result = check_layer(emb(), [(5,)], dtype)
    assert error_codes(result) == ["SB207"]
    (err,) = result.errors
    assert dtype in err.message and "set dtype: int32 on the input" in err.hint


@pytest.mark.parametrize(
    ("layer", "shape"),
    [
        ({"type": "SpatialDropout1D", "rate": 0.5}, (4,)),
        ({"type": "SpatialDropout1D", "rate": 0.5}, (4, 5, 6)),
        ({"type": "SpatialDropout2D", "rate": 0.5}, (4, 5)),
        ({"type": "SpatialDropout3D", "rate": 0.5}, (4, 5, 6)),
        ({"type": "Dense", "units": 3}, ()),
    ],
    ids=["sd1-rank2", "sd1-rank4", "sd2-rank3", "sd3-rank4", "dense-rank1"],
)
def test_rank_rejected_like_keras(keras, layer, shape):
    with pytest.raises(ValueError, match="expected (min_)?ndim="):
        keras_result(keras, layer, [shape])
    assert error_codes(check_layer(layer, [shape])) == ["SB200"]


def test_dense_on_unknown_features_rejected_like_keras(keras):
    with pytest.raises(ValueError):
        keras_result(keras, {"type": "Dense", "units": 3}, [(None,)])
    assert error_codes(check_layer({"type": "Dense", "units": 3}, [(None,)])) == ["SB205"]


@pytest.mark.parametrize("axis", [3, -4])
def test_softmax_axis_out_of_range_fails_when_keras_runs(keras, axis):
    # Keras builds any Softmax axis symbolically; the error only comes when data runs through it.
    import numpy as np

    model = keras.Sequential([keras.Input((4, 5)), keras.layers.Softmax(axis=axis)])
    with pytest.raises(Exception, match="must be in the range"):
        model(np.ones((2, 4, 5), "float32"))
    result = check_layer({"type": "Softmax", "axis": axis}, [(4, 5)])
    assert error_codes(result) == ["SB210"]
    assert "[-3, 3)" in result.errors[0].message


def test_embedding_steps_show_the_arithmetic():
    record = check_layer(emb(), [(20,)], "int32").records[0]
    assert "1000 * 64 = 64,000" in " ".join(render_steps(record.steps))
    params = record.steps[1]
    assert (params.topic, params.formula, params.result) == ("params", "input_dim * output_dim", 64000)
    assert params.values["input_dim"] == 1000 and params.values["output_dim"] == 64


def test_dense_steps_carry_the_numbers():
    record = check_layer({"type": "Dense", "units": 10}, [(5, 21600)]).records[0]
    acts, params, kernel = record.steps
    assert acts.values["leading"] == (5,) and acts.result == 10
    assert (params.formula, dict(params.values), params.result) == (
        "features * units + units", {"features": 21600, "units": 10}, 216010
    )
    assert render_steps(record.steps) == [
        "Dense acts on the last axis: 21600 features -> 10 units; the leading axes (None, 5) pass through "
        "(same weights at every position)",
        "params = 21600*10 + 10 = 216,010",
        "kernel shape: Keras (21600, 10), PyTorch Linear weight (10, 21600)",
    ]


# ---------------------------------------------------------------- PReLU


def prelu(**args):
    return {"type": "PReLU", **args}


PRELU_MATCHES_KERAS = [
    (prelu(), (8, 8, 3)),  # one alpha per input position: 192
    (prelu(), (5,)),
    (prelu(shared_axes=[1, 2]), (8, 8, 3)),  # one alpha per channel
    (prelu(shared_axes=[1, 2]), (None, None, 3)),  # shared axes may be unknown
    (prelu(shared_axes=1), (None, 4)),  # a single int
    (prelu(shared_axes=[1, 2, 3]), (4, 4, 2)),
    (prelu(shared_axes=[2, 2]), (4, 5)),  # a repeated axis is harmless
    (prelu(trainable=False), (4, 5)),
]


@pytest.mark.parametrize("case", PRELU_MATCHES_KERAS, ids=lambda c: f"{c[0]}-{c[1]}".replace(" ", ""))
def test_prelu_matches_keras(keras, case):
    layer, shape = case
    assert_matches_keras(keras, layer, [shape])


@pytest.mark.parametrize(
    ("layer", "shape", "code", "keras_error"),
    [
        (prelu(), (None, 3), "SB205", ValueError),  # alpha cannot have an unknown size
        (prelu(shared_axes=[2]), (None, 3), "SB205", ValueError),
        (prelu(shared_axes=4), (8, 8, 3), "SB210", IndexError),
    ],
    ids=["unknown", "unknown-not-shared", "axis-out-of-range"],
)
def test_prelu_rejected_like_keras(keras, layer, shape, code, keras_error):
    with pytest.raises(keras_error):
        keras_result(keras, layer, [shape])
    result = check_layer(layer, [shape])
    assert error_codes(result) == [code]
    assert result.errors[0].message.startswith("PReLU")


@pytest.mark.parametrize("shared_axes", [0, -1, [1, 0]])
def test_prelu_shared_axes_count_from_one(keras, shared_axes):
    # Keras indexes param_shape[axis - 1], so 0 or -1 silently shares the *last* axis (or another one): a
    # spec asking for that meant something else, so specbridge refuses it where Keras does not.
    keras_result(keras, prelu(shared_axes=shared_axes), [(4, 5)])
    assert error_codes(check_layer(prelu(shared_axes=shared_axes), [(4, 5)])) == ["SB012"]


def test_prelu_steps_show_the_arithmetic():
    from specbridge.report.steps import render_steps

    record = check_layer(prelu(shared_axes=[1, 2]), [(8, 8, 3)]).records[0]
    assert record.steps[-1].result == 3 and record.steps[-1].values["alpha"] == (1, 1, 3)
    assert render_steps(record.steps)[-1] == (
        "params = alpha, shaped like the input with the shared axes [1, 2] set to 1: 1*1*3 = 3"
    )
