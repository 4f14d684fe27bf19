"""Dot, Resizing and CenterCrop in a saved .keras model and in Keras model code: imported (without TensorFlow for
the file, statically for the code) to the spec whose shapes are the real model's, layer for layer."""

from __future__ import annotations

import json

import pytest
from frameworks import import_framework

from specbridge.check import check_text
from specbridge.importer import import_keras
from specbridge.pycode import read_python

pytestmark = pytest.mark.keras

CODE = """
import keras
from keras import layers

inputs = keras.Input(shape=(9, 7, 3))
x = layers.Resizing(6, 3, crop_to_aspect_ratio=True, name="resize")(inputs)
x = layers.CenterCrop(4, 2, name="crop")(x)
x = layers.Reshape((8, 3))(x)
a = layers.Dense(5, name="a")(x)
b = layers.Dense(5, name="b")(x)
y = layers.Dot(axes=(2, 2), normalize=True, name="dot")([a, b])
z = layers.dot([a, b], axes=1, name="dot_fn")
model = keras.Model(inputs, [y, z])
"""


def real_model():
    import_framework("keras")
    namespace: dict = {}
    exec(CODE, namespace)  # the test's own code: the model the reader reads statically
    return namespace["model"]


def keras_shapes(model) -> dict:
    return {layer.name: tuple(layer.output.shape[1:]) for layer in model.layers if layer.name in {
        "resize", "crop", "dot", "dot_fn"}}


def spec_shapes(spec: dict) -> dict:
    result = check_text(json.dumps(spec), lint=False)
    assert result.ok, [d.message for d in result.errors]
    return {r.name: r.output_shape for r in result.records if r.name in {"resize", "crop", "dot", "dot_fn"}}


def test_saved_model_imports_with_the_real_shapes(tmp_path):
    model = real_model()
    path = tmp_path / "model.keras"
    model.save(path)
    imported = import_keras(str(path))
    assert imported.ok, [d.message for d in imported.diagnostics]
    layers = {layer["name"]: layer for layer in imported.spec["layers"]}
    assert layers["resize"] == {"type": "Resizing", "name": "resize", "height": 6, "width": 3,
                                "crop_to_aspect_ratio": True}
    assert layers["dot"]["axes"] == [2, 2] and layers["dot"]["normalize"] is True
    assert spec_shapes(imported.spec) == keras_shapes(model)


def test_model_code_is_read_with_the_real_shapes():
    result = read_python(CODE, "model.py")
    assert result.ok, [d.message for d in result.errors]
    (found,) = result.models
    spec, problems = found.spec()
    assert spec is not None, problems
    layers = {layer["name"]: layer for layer in spec["layers"]}
    assert layers["crop"] == {"type": "CenterCrop", "name": "crop", "height": 4, "width": 2}
    assert layers["dot_fn"]["axes"] == 1  # keras.layers.dot(inputs, axes=...) is a Dot
    assert spec_shapes(spec) == keras_shapes(real_model())
