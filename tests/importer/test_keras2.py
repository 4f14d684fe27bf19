"""Genuine Keras 2 files, written by tf_keras (the Keras 2 API) during the test: .h5 (model_config attribute,
batch_input_shape, Keras 2 layer configs), model JSON and tf_keras's .keras. The imported spec's records must equal
tf_keras's own output shapes, count_params() and trainable counts, layer by layer."""

from __future__ import annotations

import copy
import json
import warnings

import pytest
from keras_helpers import count_weights

from specbridge.importer import import_keras


def save(model, tmp_path, source: str):
    path = tmp_path / f"{model.name}.{source}"
    if source == "json":
        path.write_text(model.to_json(), encoding="utf-8")
        return path
    with warnings.catch_warnings():  # tf_keras calls .h5 legacy
        warnings.simplefilter("ignore", UserWarning)
        model.save(str(path))
    return path


def sequential_cnn(k):
    layers = k.layers
    return k.Sequential([
        layers.Conv2D(6, 3, activation="relu", input_shape=(14, 14, 3), name="conv"),
        layers.BatchNormalization(name="bn"),
        layers.LeakyReLU(alpha=0.1, name="leaky"),
        layers.MaxPooling2D(name="pool"),
        layers.Dropout(0.3, name="drop"),
        layers.Conv2D(4, 3, padding="same", strides=2, name="conv_2"),
        layers.Flatten(name="flat"),
        layers.Dense(5, activation="softmax", name="probs"),
    ], name="k2_sequential")


def recurrent(k):
    layers = k.layers
    series = k.Input((9, 5), name="series")
    x = layers.GRU(6, return_sequences=True, name="gru_default")(series)  # reset_after=True in tf.keras 2.x
    x = layers.GRU(4, return_sequences=True, reset_after=False, name="gru_classic")(x)
    x = layers.LSTM(5, return_sequences=True, name="lstm")(x)
    x = layers.Bidirectional(layers.LSTM(3, return_sequences=True), name="bilstm")(x)
    x = layers.TimeDistributed(layers.Dense(2, activation="tanh"), name="per_step")(x)
    x = layers.Bidirectional(layers.GRU(2), merge_mode="ave", name="bigru")(x)
    return k.Model(series, layers.Dense(1, name="head")(x), name="k2_recurrent")


def two_inputs_frozen(k):
    """Two inputs, a merge, and a frozen nested Sequential with BatchNormalization."""
    layers = k.layers
    base = k.Sequential([layers.Dense(8, input_shape=(10,), name="base_dense"),
                         layers.BatchNormalization(name="base_bn")], name="base")
    base.trainable = False
    a, b = k.Input((10,), name="a"), k.Input((6, 4), name="b")
    x = base(a)
    y = layers.Conv1D(8, 3, name="conv1d")(b)
    y = layers.GlobalAveragePooling1D(name="gap")(y)
    z = layers.Concatenate(name="joined")([x, y])
    return k.Model([a, b], layers.Dense(2, name="out")(z), name="k2_two_inputs")


def conv_family(k):
    """Conv's subclasses: Keras 2 writes Conv's groups=1 into each, though none of them has the argument."""
    layers = k.layers
    image, signal = k.Input((12, 12, 3), name="image"), k.Input((10, 3), name="signal")
    x = layers.DepthwiseConv2D(3, depth_multiplier=2, name="depthwise")(image)
    x = layers.SeparableConv2D(8, 3, padding="same", name="separable")(x)
    x = layers.Conv2DTranspose(4, 3, strides=2, name="transposed")(x)
    x = layers.GlobalMaxPooling2D(name="gmp")(x)
    y = layers.SeparableConv1D(6, 3, name="separable_1d")(signal)
    y = layers.Conv1DTranspose(4, 2, strides=2, name="transposed_1d")(y)
    y = layers.GlobalAveragePooling1D(name="gap")(y)
    return k.Model([image, signal], layers.Concatenate(name="joined")([x, y]), name="k2_conv_family")


@pytest.mark.parametrize("source", ["h5", "json", "keras"])
@pytest.mark.parametrize("build", [sequential_cnn, recurrent, two_inputs_frozen, conv_family], ids=lambda f: f.__name__)
def test_keras2_file_matches_tf_keras(tf_keras, tmp_path, imports_like_keras, build, source):
    model = build(tf_keras)
    path = save(model, tmp_path, source)
    imported, result = imports_like_keras(model, path)
    assert imported.source.keras2 and imported.source.keras_version == tf_keras.__version__
    assert result.total_params == model.count_params()
    assert result.trainable_params == count_weights(model.trainable_weights)
    spec_inputs = imported.spec.get("inputs") or [imported.spec["input"]]
    assert [i["shape"] for i in spec_inputs] == [list(t.shape[1:]) for t in model.inputs]


def test_keras2_arguments_are_translated(tf_keras, tmp_path):
    model = sequential_cnn(tf_keras)
    config = json.loads(model.to_json())["config"]["layers"]
    bn = next(layer["config"] for layer in config if layer["class_name"] == "BatchNormalization")
    assert isinstance(bn["axis"], list), "tf_keras no longer stores axis as a list: this test checks nothing"
    layers = {layer["name"]: layer for layer in import_keras(save(model, tmp_path, "h5")).spec["layers"]}
    assert layers["leaky"].get("negative_slope", 0.3) == pytest.approx(0.1)
    assert "alpha" not in layers["leaky"]
    assert layers["bn"].get("axis", -1) in (-1, 3)


def test_gru_reset_after_follows_the_file(tf_keras, tmp_path):
    model = recurrent(tf_keras)
    layers = {layer["name"]: layer for layer in import_keras(save(model, tmp_path, "h5")).spec["layers"]}
    assert layers["gru_default"].get("reset_after", True) is True
    assert layers["gru_classic"]["reset_after"] is False


def _without_reset_after(model_json: str) -> str:
    """The model JSON as Keras 2.0 wrote it: GRU configs have no reset_after (it meant False)."""
    config = json.loads(model_json)
    for layer in config["config"]["layers"]:
        inner = layer["config"].get("layer", {}).get("config", layer["config"])
        if "GRU" in (layer["class_name"], layer["config"].get("layer", {}).get("class_name")):
            del inner["reset_after"]
    return json.dumps(config)


def test_keras20_gru_without_reset_after_is_classic(tf_keras, imports_like_keras):
    layers = tf_keras.layers
    series = tf_keras.Input((7, 3), name="series")
    x = layers.GRU(5, return_sequences=True, reset_after=False, name="gru")(series)
    x = layers.Bidirectional(layers.GRU(2, reset_after=False), name="bigru")(x)
    classic = tf_keras.Model(series, x, name="keras20_gru")
    text = _without_reset_after(classic.to_json())
    assert "reset_after" not in text
    imported, _ = imports_like_keras(classic, text)  # the ground truth: tf_keras's GRU with reset_after=False
    assert imported.spec["layers"][0]["reset_after"] is False
    assert imported.spec["layers"][1]["layer"]["reset_after"] is False


def test_keras20_sequential_config_is_its_layer_list(tf_keras, imports_like_keras):
    """Keras 2.0-2.2 wrote a Sequential's config as the list of its layers, the first with batch_input_shape."""
    model = tf_keras.Sequential([tf_keras.layers.Dense(4, input_shape=(6,), name="first"),
                                 tf_keras.layers.Dense(2, name="second")], name="old_sequential")
    config = json.loads(model.to_json())
    old = copy.deepcopy(config)
    old["config"] = [layer for layer in config["config"]["layers"] if layer["class_name"] != "InputLayer"]
    assert "batch_input_shape" in old["config"][0]["config"]
    imported, _ = imports_like_keras(model, json.dumps(old))
    spec_inputs = imported.spec.get("inputs") or [imported.spec["input"]]
    assert [i["shape"] for i in spec_inputs] == [[6]]
