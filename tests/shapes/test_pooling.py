"""Pooling shape rules, each case compared with real Keras 3 (built symbolically)."""

from __future__ import annotations

import pytest
from keras_helpers import param_id

from specbridge.check import check_text
from specbridge.report.steps import render_steps

pytestmark = pytest.mark.keras


MATCHES_KERAS = [
    ("MaxPooling1D", {}, (11, 4)),
    ("MaxPooling1D", {"pool_size": 3, "strides": 1}, (11, 4)),
    ("MaxPooling1D", {"pool_size": 2, "strides": 3, "data_format": "channels_first"}, (4, 11)),
    ("AveragePooling1D", {"pool_size": 4, "padding": "same"}, (13, 2)),
    ("AveragePooling1D", {"pool_size": 5}, (None, 2)),
    ("MaxPooling2D", {"pool_size": 2}, (26, 26, 32)),
    ("MaxPooling2D", {"pool_size": 2}, (25, 25, 32)),
    ("MaxPooling2D", {"pool_size": 2, "strides": 1, "padding": "same"}, (25, 25, 8)),
    ("MaxPooling2D", {"pool_size": 5, "padding": "same"}, (3, 3, 2)),
    ("MaxPooling2D", {"pool_size": [3, 2], "strides": [2, 1]}, (7, 8, 3)),
    ("AveragePooling2D", {"pool_size": 3, "strides": 2, "padding": "same", "data_format": "channels_first"}, (2, 7, 8)),
    ("AveragePooling2D", {"pool_size": 3, "strides": 2}, (None, 8, None)),
    ("MaxPooling3D", {"pool_size": [1, 2, 3]}, (4, 6, 9, 2)),
    ("AveragePooling3D", {"pool_size": 2, "strides": 1, "data_format": "channels_first"}, (2, 4, 5, 6)),
    ("AveragePooling3D", {"pool_size": 2, "padding": "same"}, (3, 5, 7, 1)),
    ("GlobalMaxPooling1D", {}, (None, 3)),
    ("GlobalMaxPooling1D", {"keepdims": True}, (7, 3)),
    ("GlobalAveragePooling1D", {"data_format": "channels_first"}, (3, 7)),
    ("GlobalMaxPooling2D", {"keepdims": True, "data_format": "channels_first"}, (2, 3, 4)),
    ("GlobalAveragePooling2D", {}, (5, 5, 64)),
    ("GlobalAveragePooling2D", {"keepdims": True}, (None, None, 16)),
    ("GlobalMaxPooling3D", {}, (2, 3, 4, 5)),
    ("GlobalAveragePooling3D", {"keepdims": True, "data_format": "channels_first"}, (5, 2, 3, 4)),
    ("GlobalAveragePooling3D", {"keepdims": True}, (2, 3, 4, 5)),
]


@pytest.mark.parametrize("layer_type,args,shape", MATCHES_KERAS, ids=param_id)
def test_shape_matches_keras(layer_type, args, shape, assert_matches_keras):
    record = assert_matches_keras(layer_type, args, shape)
    assert record.params == 0


@pytest.mark.parametrize("layer_type,args,shape", [
    ("MaxPooling2D", {"pool_size": 3, "strides": 2}, (4, 9, 10)),
    ("GlobalAveragePooling2D", {"keepdims": True}, (4, 9, 10)),
    ("AveragePooling1D", {"pool_size": 2}, (4, 9)),
], ids=param_id)
def test_spec_level_channels_first_matches_keras(layer_type, args, shape, assert_matches_keras):
    assert_matches_keras(layer_type, args, shape, data_format="channels_first")


REJECTED_BY_BOTH = [
    # Keras checks a valid pool larger than the input symbolically, so we reject it as well.
    ("MaxPooling2D", {"pool_size": 5}, (3, 3, 2), "SB201"),
    ("AveragePooling1D", {"pool_size": 4, "strides": 1}, (3, 2), "SB201"),
    ("MaxPooling3D", {"pool_size": [1, 1, 3]}, (4, 4, 2, 1), "SB201"),
    ("MaxPooling2D", {"pool_size": 4}, (3, 8, 8), "SB201"),  # channels_last reads (3, 8, 8) as 3x8, 8 channels
    ("MaxPooling1D", {}, (10,), "SB200"),
    ("MaxPooling2D", {}, (28, 28), "SB200"),
    ("MaxPooling1D", {}, (28, 28, 1), "SB200"),
    ("AveragePooling3D", {"pool_size": 2}, (8, 8, 3), "SB200"),
    ("GlobalMaxPooling2D", {}, (2, 3, 4, 5), "SB200"),
    ("GlobalAveragePooling1D", {}, (10,), "SB200"),
]


@pytest.mark.parametrize("layer_type,args,shape,code", REJECTED_BY_BOTH, ids=param_id)
def test_rejected_by_specbridge_and_keras(layer_type, args, shape, code, assert_both_reject):
    diagnostic = assert_both_reject(layer_type, args, shape, code)
    assert diagnostic.hint


def test_wrong_rank_hint_names_the_pooling_that_fits(specbridge_result):
    (error,) = specbridge_result("MaxPooling2D", {}, (100, 16)).errors
    assert "expects ndim=4" in error.message and "found ndim=3" in error.message
    assert "MaxPooling1D" in error.hint
    (error,) = specbridge_result("GlobalAveragePooling1D", {}, (5, 5, 8)).errors
    assert "GlobalAveragePooling2D" in error.hint
    (error,) = specbridge_result("AveragePooling2D", {"pool_size": 2}, (28, 28)).errors
    assert "(28, 28, 1)" in error.hint  # the missing channel axis


def test_too_small_message_has_the_arithmetic(specbridge_result):
    (error,) = specbridge_result("MaxPooling2D", {"pool_size": 5}, (3, 3, 2)).errors
    assert "floor((3 - 5) / 5) + 1 = 0" in error.message


def test_unknown_channels_pass_through(specbridge_result):
    # No weights: an unknown channel axis is fine for pooling (Keras agrees: it has nothing to size).
    (record,) = specbridge_result("MaxPooling2D", {}, (8, 8, None)).records
    assert record.output_shape == (4, 4, None)


def test_explain_steps(specbridge_result):
    (record,) = specbridge_result("MaxPooling2D", {"pool_size": 2}, (26, 26, 32)).records
    text = render_steps(record.steps)
    assert "rows: floor((26 - 2) / 2) + 1 = 13" in text
    assert any("strides default to pool_size" in s for s in text)
    window, rows, cols, channels = record.steps
    assert dict(window.values) == {"mode": "max", "pool": (2, 2), "strides": (2, 2), "padding": "valid"}
    assert (rows.topic, rows.formula, dict(rows.values), rows.result) == (
        "rows", "floor((L - pool) / s) + 1", {"L": 26, "pool": 2, "s": 2}, 13
    )
    assert channels.result == 32
    (record,) = specbridge_result("GlobalAveragePooling2D", {"keepdims": True}, (5, 5, 64)).records
    assert any("(1, 1, 64)" in s for s in render_steps(record.steps))
    assert record.steps[1].result == (1, 1, 64)


def test_pool_too_big_uses_the_shared_message(specbridge_result):
    (error,) = specbridge_result("MaxPooling2D", {"pool_size": 5}, (3, 8, 2)).errors
    assert error.code == "SB201" and error.message == (
        "output rows would be 0 (zero or negative): floor((3 - 5) / 5) + 1 = 0; "
        "input shape (None, 3, 8, 2), pool_size [5, 5]"
    )


def test_pool_argument_errors_point_at_the_argument():
    result = check_text(
        "specbridge: 1\nname: t\ninput: {shape: [8, 8, 3]}\nlayers:\n"
        "  - type: MaxPooling2D\n    pool_size: [2, 2, 2]\n    padding: causal\n"
        "  - type: AveragePooling1D\n    pool_size: 2\n    padding: 1\n", lint=False,
    )
    found = sorted((d.code, d.line) for d in result.errors)
    assert found == [("SB012", 6), ("SB012", 7), ("SB012", 10)]
