"""Shared helpers for the shape-rule tests: the real Keras result of one layer, and specbridge's.

`keras_layer_result(type, args, input_shape)` builds keras.layers.<type>(**args) on keras.Input(input_shape)
symbolically (no data runs, so channels_first convs work on TF CPU) and returns
(output shape without batch, count_params, trainable count).
`specbridge_result(type, args, input_shape)` drives the whole pipeline (check_text on a tiny YAML spec) and
returns the CheckResult.
"""

from __future__ import annotations

import json
import os

import pytest
from frameworks import import_framework
from keras_helpers import count_weights

from specbridge.check import check_text

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


@pytest.fixture(scope="session")
def keras():
    return import_framework("keras")


@pytest.fixture(scope="session")
def keras_layer_result(keras):
    """A function (type, args, input_shape, dtype='float32') -> (shape, params, trainable_params)."""

    def build(layer_type: str, args: dict, input_shape, dtype: str = "float32"):
        layer = getattr(keras.layers, layer_type)(**args)
        out = layer(keras.Input(shape=tuple(input_shape), dtype=dtype))
        trainable = count_weights(layer.trainable_weights)
        return tuple(out.shape[1:]), layer.count_params(), trainable

    return build


def spec_text(input_shape, layer: dict, *, data_format: str | None = None, dtype: str | None = None) -> str:
    """A one-layer spec (JSON is valid YAML, and keeps the layer's line predictable)."""
    spec = {"specbridge": 1, "name": "one_layer", "input": {"shape": list(input_shape)}}
    if dtype:
        spec["input"]["dtype"] = dtype
    if data_format:
        spec["data_format"] = data_format
    spec["layers"] = [layer]
    return json.dumps(spec)


@pytest.fixture(scope="session")
def specbridge_result():
    """A function (type, args, input_shape, **spec options) -> CheckResult of a one-layer spec."""

    def run(layer_type: str, args: dict, input_shape, **options):
        return check_text(spec_text(input_shape, {"type": layer_type, **args}, **options), lint=False)

    return run


@pytest.fixture(scope="session")
def assert_matches_keras(keras_layer_result, specbridge_result):
    """A function (type, args, input_shape, data_format=None) that asserts specbridge == Keras.

    `data_format` is set on the spec (not the layer) and passed to Keras explicitly, which exercises
    the spec-level default. Returns the specbridge LayerRecord for further checks.
    """

    def check(layer_type: str, args: dict, input_shape, data_format: str | None = None):
        result = specbridge_result(layer_type, args, input_shape, data_format=data_format)
        assert result.ok, [(d.code, d.message) for d in result.errors]
        (record,) = result.records
        keras_args = dict(args, data_format=data_format) if data_format else args
        shape, params, trainable = keras_layer_result(layer_type, keras_args, input_shape)
        assert (record.output_shape, record.params, record.trainable_params) == (shape, params, trainable)
        return record

    return check


@pytest.fixture(scope="session")
def assert_both_reject(keras, specbridge_result):
    """A function (type, args, input_shape, code) asserting specbridge reports `code` and Keras raises.

    Returns the specbridge Diagnostic."""

    def check(layer_type: str, args: dict, input_shape, code: str, data_format: str | None = None):
        result = specbridge_result(layer_type, args, input_shape, data_format=data_format)
        assert [d.code for d in result.errors] == [code], [(d.code, d.message) for d in result.errors]
        keras_args = dict(args, data_format=data_format) if data_format else args
        with pytest.raises((ValueError, TypeError)):
            layer = getattr(keras.layers, layer_type)(**keras_args)
            layer(keras.Input(shape=tuple(input_shape)))
        return result.errors[0]

    return check

