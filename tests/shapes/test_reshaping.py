"""ZeroPadding, Cropping, UpSampling, Reshape, Permute and RepeatVector, compared with real Keras 3."""

from __future__ import annotations

import pytest
from keras_helpers import param_id

from specbridge.check import check_text
from specbridge.report.steps import render_steps

pytestmark = pytest.mark.keras


MATCHES_KERAS = [
    ("ZeroPadding1D", {}, (5, 3)),
    ("ZeroPadding1D", {"padding": [1, 2]}, (None, 3)),
    ("ZeroPadding1D", {"padding": 2, "data_format": "channels_first"}, (3, 5)),
    ("ZeroPadding2D", {}, (28, 28, 1)),
    ("ZeroPadding2D", {"padding": [[1, 2], [3, 4]]}, (2, 3, 4)),
    ("ZeroPadding2D", {"padding": [2, [0, 1]]}, (5, 6, 1)),
    ("ZeroPadding2D", {"padding": 3, "data_format": "channels_first"}, (1, 5, None)),
    ("ZeroPadding3D", {}, (2, 3, 4, 5)),
    ("ZeroPadding3D", {"padding": [[1, 2], [3, 4], [0, 1]], "data_format": "channels_first"}, (2, 3, 4, 5)),
    ("ZeroPadding3D", {"padding": [1, 2, 3]}, (2, 3, 4, 5)),
    ("Cropping1D", {}, (5, 2)),
    ("Cropping1D", {"cropping": [2, 3]}, (6, 2)),
    ("Cropping1D", {"cropping": 4}, (None, 2)),
    ("Cropping2D", {"cropping": [[2, 3], [0, 0]]}, (6, 5, 2)),
    ("Cropping2D", {"cropping": [1, 2]}, (6, 5, 2)),
    ("Cropping2D", {"cropping": 1, "data_format": "channels_first"}, (2, 3, 4)),
    ("Cropping2D", {}, (7, 7, 1)),
    ("Cropping3D", {}, (3, 5, 5, 2)),
    ("Cropping3D", {"cropping": [[0, 1], 2, [1, 0]], "data_format": "channels_first"}, (2, 3, 5, 4)),
    ("UpSampling1D", {}, (4, 3)),
    ("UpSampling1D", {"size": 3}, (None, 4)),
    ("UpSampling2D", {"size": [2, 3]}, (None, 4, 5)),
    ("UpSampling2D", {"size": [2, 3], "data_format": "channels_first"}, (1, None, 4)),
    ("UpSampling2D", {"size": 2, "interpolation": "bilinear"}, (7, 5, 3)),
    ("UpSampling3D", {"size": [2, 3, 1]}, (2, 3, 4, 5)),
    ("UpSampling3D", {"data_format": "channels_first"}, (5, 2, 3, 4)),
    ("Reshape", {"target_shape": [3, 4]}, (12,)),
    ("Reshape", {"target_shape": [-1, 8]}, (4, 4, 8)),
    ("Reshape", {"target_shape": [4, -1]}, (3, 4, 5)),
    ("Reshape", {"target_shape": [2, -1, 3]}, (6, 6)),
    ("Reshape", {"target_shape": [-1, 5]}, (None, 10)),
    ("Reshape", {"target_shape": [-1, 5]}, (3, None)),
    ("Reshape", {"target_shape": [3, 5]}, (None,)),
    ("Reshape", {"target_shape": [-1]}, (2, 3, 4)),
    ("Permute", {"dims": [2, 1]}, (10, 64)),
    ("Permute", {"dims": [2, 1]}, (None, 4)),
    ("Permute", {"dims": [3, 1, 2]}, (2, 3, 4)),
    ("Permute", {"dims": [1]}, (7,)),
    ("RepeatVector", {"n": 3}, (5,)),
    ("RepeatVector", {"n": 3}, (None,)),
]


@pytest.mark.parametrize("layer_type,args,shape", MATCHES_KERAS, ids=param_id)
def test_shape_matches_keras(layer_type, args, shape, assert_matches_keras):
    record = assert_matches_keras(layer_type, args, shape)
    assert record.params == 0


@pytest.mark.parametrize("layer_type,args,shape", [
    ("ZeroPadding2D", {"padding": [[1, 2], [3, 4]]}, (2, 3, 4)),
    ("Cropping3D", {"cropping": [[0, 1], 2, [1, 0]]}, (2, 3, 5, 4)),
    ("UpSampling2D", {"size": [2, 3]}, (1, 5, 4)),
], ids=param_id)
def test_spec_level_channels_first_matches_keras(layer_type, args, shape, assert_matches_keras):
    assert_matches_keras(layer_type, args, shape, data_format="channels_first")


def test_one_dimensional_layers_ignore_the_spec_data_format(specbridge_result, keras_layer_result):
    # Cropping1D and UpSampling1D have no data_format in Keras: always (batch, steps, features).
    for layer_type, args in (("Cropping1D", {"cropping": [1, 2]}), ("UpSampling1D", {"size": 2})):
        result = specbridge_result(layer_type, args, (6, 3), data_format="channels_first")
        assert result.records[0].output_shape == keras_layer_result(layer_type, args, (6, 3))[0]


REJECTED_BY_BOTH = [
    ("Cropping1D", {"cropping": [2, 3]}, (5, 2), "SB201"),
    ("Cropping1D", {"cropping": [2, 3]}, (4, 2), "SB201"),
    ("Cropping2D", {"cropping": [[2, 3], [0, 0]]}, (5, 5, 2), "SB201"),
    ("Cropping2D", {"cropping": [[2, 3], [0, 0]], "data_format": "channels_first"}, (2, 5, 5), "SB201"),
    ("Cropping3D", {"cropping": 1}, (2, 5, 5, 2), "SB201"),
    ("Reshape", {"target_shape": [3, 5]}, (12,), "SB202"),
    ("Reshape", {"target_shape": [-1, 5]}, (12,), "SB202"),
    ("Reshape", {"target_shape": [7, -1]}, (4, 4, 8), "SB202"),
    ("RepeatVector", {"n": 3}, (4, 5), "SB200"),
    ("Permute", {"dims": [2, 1]}, (3, 4, 5), "SB200"),
    ("ZeroPadding2D", {"padding": [[1, 2], [0, 0]]}, (5, 5), "SB200"),
    ("UpSampling2D", {"size": 2}, (5, 5), "SB200"),
    ("UpSampling1D", {}, (5,), "SB200"),
    ("Cropping3D", {}, (5, 5, 5), "SB200"),
]


@pytest.mark.parametrize("layer_type,args,shape,code", REJECTED_BY_BOTH, ids=param_id)
def test_rejected_by_specbridge_and_keras(layer_type, args, shape, code, assert_both_reject):
    diagnostic = assert_both_reject(layer_type, args, shape, code)
    assert diagnostic.hint


def test_reshape_messages_show_the_arithmetic(specbridge_result):
    (error,) = specbridge_result("Reshape", {"target_shape": [3, 5]}, (12,)).errors
    assert "(12 values per sample)" in error.message and "(3 * 5 = 15 values)" in error.message
    assert "-1" in error.hint
    (error,) = specbridge_result("Reshape", {"target_shape": [7, -1]}, (4, 4, 8)).errors
    assert "(4 * 4 * 8 = 128 values per sample)" in error.message and "128 / 7 = 18.2857" in error.message
    (record,) = specbridge_result("Reshape", {"target_shape": [-1, 8]}, (4, 4, 8)).records
    assert "-1 = 128 / 8 = 16" in render_steps(record.steps)
    size, minus_one, target = record.steps
    assert (size.result, minus_one.result, target.result) == (128, 16, (16, 8))
    (record,) = specbridge_result("Reshape", {"target_shape": [2, -1, 3]}, (6, 6)).records
    assert "-1 = 36 / (2 * 3) = 6" in render_steps(record.steps)
    assert dict(record.steps[1].values) == {"size": 36, "known_dims": [2, 3], "known": 6}


def test_cropping_message_and_steps(specbridge_result):
    (error,) = specbridge_result("Cropping2D", {"cropping": [[2, 3], [0, 0]]}, (5, 5, 2)).errors
    assert error.message == (
        "output rows would be 0 (zero or negative): 5 - 2 - 3 = 0; input shape (None, 5, 5, 2), "
        "cropping [[2, 3], [0, 0]]"
    )
    (record,) = specbridge_result("ZeroPadding2D", {"padding": [[1, 2], [3, 4]]}, (2, 3, 4)).records
    text = render_steps(record.steps)
    assert "rows: 2 + 1 + 2 = 5" in text and "cols: 3 + 3 + 4 = 10" in text
    rows = record.steps[1]
    assert (rows.topic, rows.formula, dict(rows.values), rows.result) == (
        "rows", "L + before + after", {"L": 2, "before": 1, "after": 2}, 5
    )
    (record,) = specbridge_result("UpSampling2D", {"size": [2, 3]}, (4, 5, 1)).records
    assert "cols: 5 * 3 = 15" in render_steps(record.steps)
    assert record.steps[2].values["size"] == 3 and record.steps[2].result == 15


def test_permute_rank_error_points_at_dims():
    result = check_text(
        "specbridge: 1\nname: t\ninput: {shape: [3, 4, 5]}\nlayers:\n"
        "  - type: Permute\n    dims: [2, 1]\n", lint=False,
    )
    (error,) = result.errors
    assert (error.code, error.line) == ("SB200", 6)
    assert "[1, 2, 3]" in error.hint


# Arguments the spec model refuses: the error points at the argument's line, and Keras refuses them too.
@pytest.mark.parametrize("layer_type,args,shape", [
    ("Reshape", {"target_shape": [-1, -1]}, (6, 6, 2)),
    ("Reshape", {"target_shape": [0, 4]}, (6, 6, 2)),
    ("Permute", {"dims": [1, 3]}, (6, 6)),
    ("ZeroPadding2D", {"padding": [1, 2, 3]}, (6, 6, 2)),
    ("Cropping1D", {"cropping": [1, 2, 3]}, (6, 2)),
    ("UpSampling2D", {"size": [2, 2, 2]}, (6, 6, 2)),
], ids=param_id)
def test_argument_errors_point_at_the_argument(layer_type, args, shape, keras):
    ((key, value),) = args.items()
    text = (
        f"specbridge: 1\nname: t\ninput: {{shape: {list(shape)}}}\nlayers:\n"
        f"  - type: {layer_type}\n    {key}: {value}\n"
    )
    result = check_text(text, lint=False)
    assert [(d.code, d.line) for d in result.errors] == [("SB012", 6)]
    assert f"`{key}`" in result.errors[0].message
    with pytest.raises((ValueError, TypeError)):
        getattr(keras.layers, layer_type)(**args)(keras.Input(shape))
