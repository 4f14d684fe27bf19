"""Activations in saved Keras models: the newer built-in names, and KerasHub's gelu_approximate (the tanh form of
gelu), which a saved config names "keras_hub>gelu_approximate" (Keras 2 files: the bare string, KerasNLP's files:
keras_nlp>). The imported spec computes what the saved model computes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from specbridge.check import check_text
from specbridge.crosscheck.inputs import random_inputs
from specbridge.crosscheck.randomize import randomize_keras_weights
from specbridge.emit import keras_source, to_keras
from specbridge.importer import import_keras
from specbridge.importer.original import copy_weights


@pytest.fixture(scope="module")
def gelu_approximate(keras):
    """KerasHub's keras_hub.src.utils.keras_utils.gelu_approximate (0.32), registered as KerasHub registers it."""

    @keras.saving.register_keras_serializable(package="keras_hub")
    def gelu_approximate(x):
        return keras.activations.gelu(x, approximate=True)

    return gelu_approximate


def activations_model(keras, gelu_approximate):
    layers = keras.layers
    return keras.Sequential([
        keras.Input((6,)),
        layers.Dense(6, activation="log_sigmoid", name="log_sigmoid"),
        layers.Activation(keras.activations.sparse_sigmoid, name="sparse_sigmoid"),
        layers.Dense(6, activation=gelu_approximate, name="gelu_tanh"),
        layers.Reshape((3, 2), name="reshape"),
        layers.Conv1D(4, 2, activation=gelu_approximate, name="conv"),
        layers.Activation(gelu_approximate, name="gelu_layer"),
    ], name="activations")


ACTIVATIONS = {"log_sigmoid": "log_sigmoid", "sparse_sigmoid": "sparse_sigmoid", "gelu_tanh": "gelu_approximate",
               "conv": "gelu_approximate", "gelu_layer": "gelu_approximate"}


def _outputs(model, inputs) -> np.ndarray:
    return np.asarray(model(inputs[0], training=False))


@pytest.mark.parametrize("suffix", ["keras", "h5", "json"])
def test_saved_activations_import_and_compute_the_same(keras, gelu_approximate, tmp_path, suffix):
    model = activations_model(keras, gelu_approximate)
    randomize_keras_weights(model, seed=3)
    path = tmp_path / f"model.{suffix}"
    if suffix == "json":
        path.write_text(model.to_json(), encoding="utf-8")
    else:
        model.save(path)
    imported = import_keras(path)
    assert {layer["name"]: layer.get("activation") for layer in imported.spec["layers"]
            if layer["name"] in ACTIVATIONS} == ACTIVATIONS
    result = check_text(imported.text())
    assert result.ok, [d.message for d in result.errors]
    rebuilt = to_keras(result)
    copy_weights(model, rebuilt, [entry.name for entry in result.document.entries])
    inputs = random_inputs(result, 4, 0, "float32")
    inputs = [x * 4 for x in inputs]  # past the clips of sparse_sigmoid
    np.testing.assert_array_equal(_outputs(rebuilt, inputs), _outputs(model, inputs))


@pytest.mark.parametrize("saved", ["keras_hub>gelu_approximate", "keras_nlp>gelu_approximate"])
def test_keras2_string_form_imports(keras, gelu_approximate, tmp_path, saved):
    """Keras 2 (tf.keras, KerasNLP) serialized a registered function as its registered name, a plain string."""
    config = json.loads(activations_model(keras, gelu_approximate).to_json())
    dense = next(layer for layer in config["config"]["layers"] if layer["config"]["name"] == "gelu_tanh")
    dense["config"]["activation"] = saved
    path = tmp_path / "model.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    assert next(layer for layer in import_keras(path).spec["layers"]
                if layer["name"] == "gelu_tanh")["activation"] == "gelu_approximate"


def test_emitted_model_saves_as_kerashub_does(keras, gelu_approximate, tmp_path):
    """The emitted Keras source's gelu_approximate saves under KerasHub's registered name, and imports back."""
    text = ("specbridge: 1\nname: t\ninput: {shape: [4]}\nlayers:\n"
            "  - {type: Dense, name: d, units: 3, activation: gelu_approximate}\n")
    assert "activation=gelu_approximate" in keras_source(text)
    model = to_keras(check_text(text))
    config = model.get_layer("d").get_config()["activation"]
    assert config == keras.saving.serialize_keras_object(gelu_approximate)
    model.save(tmp_path / "t.keras")
    assert import_keras(tmp_path / "t.keras").spec["layers"][0]["activation"] == "gelu_approximate"
