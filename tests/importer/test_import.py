"""Keras 3 models built here, saved as .keras, .h5 and model JSON (and passed live): the imported spec checks, and
its records equal Keras's own layer by layer (output shape, count_params(), trainable parameters)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from keras_helpers import count_weights

from specbridge.check import check_text
from specbridge.crosscheck.inputs import random_inputs
from specbridge.crosscheck.randomize import poison_keras_weights, randomize_keras_weights
from specbridge.emit import to_keras
from specbridge.importer import import_keras
from specbridge.importer.original import copy_weights

SOURCES = ("keras", "h5", "json", "live")


def save(model, tmp_path, source: str):
    """The model as the importer gets it: a file path, or the live model."""
    if source == "live":
        return model
    path = tmp_path / f"{model.name}.{source}"
    if source == "json":
        path.write_text(model.to_json(), encoding="utf-8")
    else:
        model.save(path)
    return path


def sequential_cnn(keras):
    layers = keras.layers
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(8, 3, activation="relu", name="conv1"),
        layers.MaxPooling2D(name="pool1"),
        layers.BatchNormalization(name="bn1"),
        layers.Dropout(0.25, name="drop1"),
        layers.Conv2D(16, 3, padding="same", strides=2, use_bias=False, name="conv2"),
        layers.LeakyReLU(negative_slope=0.2, name="leaky"),
        layers.AveragePooling2D(2, name="pool2"),
        layers.Flatten(name="flat"),
        layers.Dense(10, name="logits"),
        layers.Activation("softmax", name="probs"),
    ], name="sequential_cnn")


def branches(keras):
    """Two inputs, two outputs, branches and merges, Bidirectional and TimeDistributed."""
    layers = keras.layers
    features = keras.Input((16,), name="features")
    series = keras.Input((10, 4), name="series")
    x = layers.Dense(8, activation="tanh", name="dense_features")(features)
    y = layers.Bidirectional(layers.LSTM(5, return_sequences=True), merge_mode="concat", name="bilstm")(series)
    y = layers.TimeDistributed(layers.Dense(3, activation="relu"), name="per_step")(y)
    y = layers.Bidirectional(layers.GRU(4), merge_mode="sum", name="bigru")(y)
    y = layers.Dense(8, name="dense_series")(y)
    z = layers.Concatenate(name="joined")([x, y])
    left, right = layers.Dense(3, name="left")(z), layers.Dense(3, name="right")(z)
    merged = layers.Add(name="added")([left, right])
    scaled = layers.Multiply(name="gated")([merged, layers.Dense(3, activation="sigmoid", name="gate")(z)])
    return keras.Model([features, series], [layers.Dense(2, name="score")(z), scaled], name="branches")


def text(keras):
    layers = keras.layers
    tokens = keras.Input((12,), dtype="int32", name="tokens")
    x = layers.Embedding(50, 8, name="embed")(tokens)
    x = layers.LSTM(6, return_sequences=True, name="lstm")(x)
    x = layers.GRU(5, return_sequences=True, name="gru")(x)
    x = layers.SimpleRNN(4, name="rnn")(x)
    x = layers.ReLU(name="relu")(x)
    x = layers.PReLU(name="prelu")(x)
    x = layers.ELU(name="elu")(x)
    x = layers.Dense(3, activation="gelu", name="dense")(x)
    return keras.Model(tokens, layers.Softmax(name="softmax")(x), name="text")


def nested(keras):
    """A functional model and a Sequential model used as layers of an outer model."""
    layers = keras.layers
    inner_in = keras.Input((6,), name="inner_in")
    inner = keras.Model(inner_in, layers.Dense(4, activation="relu", name="inner_dense")(inner_in), name="inner_f")
    stack = keras.Sequential([keras.Input((4,)), layers.Dense(3, name="stack_1"), layers.Dense(2, name="stack_2")],
                             name="inner_s")
    outer_in = keras.Input((6,), name="outer_in")
    x = stack(inner(outer_in))
    return keras.Model(outer_in, layers.Dense(1, name="head")(x), name="nested")


def nested_two_inputs(keras):
    """A nested model whose second input has the longer path: Keras lists that input's layers first."""
    layers = keras.layers
    features, series = keras.Input((16,), name="features"), keras.Input((10, 4), name="series")
    deep = layers.Dense(6, name="deep_2")(layers.LSTM(6, name="deep_1")(series))
    inner = keras.Model([features, series], layers.Concatenate(name="cat")([layers.Dense(6, name="shallow")(features),
                                                                          deep]), name="inner")
    a, b = keras.Input((16,), name="a"), keras.Input((10, 4), name="b")
    return keras.Model([a, b], layers.Dense(1, name="out")(inner([a, b])), name="nested_two_inputs")


def frozen_base(keras):
    """A frozen base model (BatchNormalization inside) under a trainable head, and one frozen layer of its own."""
    layers = keras.layers
    base = keras.Sequential([keras.Input((16, 16, 3)), layers.Conv2D(8, 3, name="base_conv"),
                             layers.BatchNormalization(name="base_bn"), layers.ReLU(name="base_relu")], name="base")
    base.trainable = False
    image = keras.Input((16, 16, 3), name="image")
    x = layers.GlobalAveragePooling2D(name="gap")(base(image))
    x = layers.Dense(6, name="frozen_dense", trainable=False)(x)
    x = layers.BatchNormalization(name="head_bn")(x)
    return keras.Model(image, layers.Dense(2, name="head")(x), name="frozen_base")


def conv_zoo(keras):
    layers = keras.layers
    image = keras.Input((20, 20, 3), name="image")
    x = layers.ZeroPadding2D(1, name="pad")(image)
    x = layers.SeparableConv2D(8, 3, strides=2, name="sep")(x)
    x = layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2, name="depthwise")(x)
    x = layers.Conv2DTranspose(6, 3, strides=2, name="up_conv")(x)
    x = layers.Cropping2D(((1, 0), (2, 1)), name="crop")(x)
    x = layers.UpSampling2D(2, name="upsample")(x)
    x = layers.LayerNormalization(name="ln")(x)
    x = layers.SpatialDropout2D(0.1, name="sdrop")(x)
    x = layers.GlobalMaxPooling2D(name="gmp")(x)
    x = layers.RepeatVector(5, name="repeat")(x)
    x = layers.Conv1D(4, 2, dilation_rate=2, padding="causal", name="conv1d")(x)
    x = layers.Permute((2, 1), name="permute")(x)
    x = layers.Reshape((2, 10), name="reshape")(x)
    return keras.Model(image, x, name="conv_zoo")


def options(keras):
    """Settings that do not change inference (dropout rates and seeds) next to ones that do, with non-defaults."""
    layers = keras.layers
    series = keras.Input((6, 5), name="series")
    x = layers.LSTM(4, dropout=0.1, recurrent_dropout=0.2, seed=3, return_sequences=True, name="lstm")(series)
    x = layers.Dropout(0.2, seed=1, noise_shape=(None, 1, 4), name="drop")(x)
    x = layers.Conv1D(6, 2, groups=2, name="grouped")(x)
    x = layers.BatchNormalization(momentum=0.9, epsilon=1e-2, center=False, name="bn")(x)
    x = layers.ReLU(max_value=6.0, negative_slope=0.1, name="relu6")(x)
    x = layers.Activation(keras.activations.swish, name="swish")(x)
    x = layers.GlobalAveragePooling1D(name="gap")(x)
    return keras.Model(series, layers.Dense(2, use_bias=False, name="out")(x), name="options")


MODELS = [sequential_cnn, branches, text, nested, nested_two_inputs, frozen_base, conv_zoo, options]


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("build", MODELS, ids=lambda f: f.__name__)
def test_imported_spec_matches_keras(keras, tmp_path, imports_like_keras, build, source):
    model = build(keras)
    imported, result = imports_like_keras(model, save(model, tmp_path, source))
    assert imported.name == model.name
    assert result.total_params == model.count_params()
    assert result.trainable_params == count_weights(model.trainable_weights)
    spec = imported.spec
    spec_inputs = spec.get("inputs") or [spec["input"]]
    assert [i["shape"] for i in spec_inputs] == [list(t.shape[1:]) for t in model.inputs]
    assert [i.get("dtype", "float32") for i in spec_inputs] == [t.dtype for t in model.inputs]
    outputs = getattr(model, "output_names", None) or [model.layers[-1].name]  # a Sequential has none
    assert spec.get("outputs", [spec["layers"][-1]["name"]]) == list(outputs)


def _call(model, inputs: list) -> list:
    outputs = model(inputs if len(inputs) > 1 else inputs[0], training=False)
    return [np.asarray(out) for out in (outputs if isinstance(outputs, (list, tuple)) else [outputs])]


@pytest.mark.parametrize("build", MODELS, ids=lambda f: f.__name__)
def test_imported_spec_computes_what_the_model_computes(keras, tmp_path, build):
    """The spec's Keras model, given the original's (random) weights by name, gives the original's outputs."""
    model = build(keras)
    randomize_keras_weights(model, seed=5)
    result = check_text(import_keras(save(model, tmp_path, "keras")).text())
    rebuilt = to_keras(result)
    poison_keras_weights(rebuilt)  # a weight the copy misses is NaN
    copy_weights(model, rebuilt, [entry.name for entry in result.document.entries])
    inputs = random_inputs(result, 3, 0, "float32")
    for got, expected in zip(_call(rebuilt, inputs), _call(model, inputs), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_nested_models_are_inlined_with_their_names(keras, tmp_path):
    imported = import_keras(save(nested(keras), tmp_path, "keras"))
    names = [layer["name"] for layer in imported.spec["layers"]]
    assert names == ["inner_dense", "stack_1", "stack_2", "head"]
    assert imported.aliases == {"inner_f": "inner_dense", "inner_s": "stack_2"}
    assert imported.spec["layers"][0].get("inputs", ["outer_in"]) == ["outer_in"]  # the inner input is gone


def test_frozen_base_splits_parameters_as_keras(keras, tmp_path, run):
    model = frozen_base(keras)
    path = save(model, tmp_path, "keras")
    spec_file = tmp_path / "frozen.spec.yaml"
    assert run("import", str(path), "-o", str(spec_file)).exit_code == 0
    result = run("summary", str(spec_file), "--format", "json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    layers = {}
    for layer in model.layers:
        layers.update({inner.name: inner for inner in getattr(layer, "layers", [layer])})
    for row in summary["layers"]:
        layer = layers[row["name"]]
        assert (row["params"], row["trainable_params"]) == (layer.count_params(), count_weights(layer.trainable_weights))
    assert summary["trainable_params"] == count_weights(model.trainable_weights)
    assert summary["non_trainable_params"] == count_weights(model.non_trainable_weights)
    assert summary["non_trainable_params"] > 0 and summary["trainable_params"] > 0


def test_explicit_mirror_backward_layer_imports(keras, tmp_path, imports_like_keras):
    layers = keras.layers
    series = keras.Input((7, 3), name="series")
    bi = layers.Bidirectional(layers.LSTM(4), backward_layer=layers.LSTM(4, go_backwards=True), name="bi")
    model = keras.Model(series, bi(series), name="mirror")
    imports_like_keras(model, save(model, tmp_path, "keras"))


def test_cli_prints_yaml_and_sends_diagnostics_to_stderr(keras, tmp_path, run):
    model = sequential_cnn(keras)
    path = save(model, tmp_path, "keras")
    result = run("import", str(path))
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout) == import_keras(path).spec
    assert "SB502" in result.stderr and "SB502" not in result.stdout  # initializers left out: info, on stderr


def test_cli_writes_json_with_o(keras, tmp_path, run):
    model = branches(keras)
    path = save(model, tmp_path, "h5")
    out = tmp_path / "branches.json"
    result = run("import", str(path), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text()) == import_keras(path).spec
    assert "SB502" in result.output  # reported while the spec went to the file


# What a spec cannot represent: every such layer reported in one run, with its class and its place; no spec.


@pytest.fixture(scope="session")
def doubling(keras):
    """A custom layer class, registered so that Keras can save and reload it."""

    @keras.saving.register_keras_serializable(package="specbridge_importer_tests")
    class Doubling(keras.layers.Layer):
        def call(self, x):
            return x * 2.0

    return Doubling


def custom_model(keras, doubling):
    layers = keras.layers
    inner = keras.Sequential([keras.Input((4,)), layers.Dense(4, name="inner_dense"),
                              layers.Lambda(lambda t: t - 1.0, name="inner_lambda")], name="inner_seq")
    values = keras.Input((4,), name="values")
    x = layers.Lambda(lambda t: t + 1.0, name="plus_one")(doubling(name="doubling")(values))
    return keras.Model(values, layers.Dense(2, name="head")(inner(x)), name="custom")


def _place(model, name: str) -> str:
    """Where Keras's own config lists the layer: "layers[i] of model 'm'"."""
    for holder in [model, *(layer for layer in model.layers if hasattr(layer, "layers"))]:
        names = [layer["config"]["name"] for layer in holder.get_config()["layers"]]
        if name in names:
            return f"layers[{names.index(name)}] of model {holder.name!r}"
    raise AssertionError(f"{name} is not in the model")


@pytest.mark.parametrize("source", ["keras", "h5", "live"])
def test_custom_class_and_lambdas_are_all_reported(keras, doubling, tmp_path, run, source):
    model = custom_model(keras, doubling)
    path = save(model, tmp_path, source)
    imported = import_keras(path)
    assert imported.spec is None and not imported.ok
    errors = {d.layer: d for d in imported.errors}
    assert sorted(errors) == ["doubling", "inner_lambda", "plus_one"]
    assert all(d.code == "SB500" for d in errors.values())
    assert "Doubling" in errors["doubling"].message
    assert "Lambda" in errors["plus_one"].message and "Lambda" in errors["inner_lambda"].message
    for name, diagnostic in errors.items():
        assert _place(model, name) in diagnostic.message, diagnostic.message
    with pytest.raises(ValueError, match="plus_one"):
        imported.text()
    if source == "live":
        return
    out = tmp_path / "custom.spec.yaml"
    result = run("import", str(path), "-o", str(out))
    assert result.exit_code == 1, result.output
    assert not out.exists()
    for name in errors:
        assert f"layer {name!r}" in result.stdout


def _functional(keras, build, name: str):
    inputs = keras.Input((5, 3), name="series")
    return keras.Model(inputs, build(keras.layers, inputs), name=name)


def _shared(L, x):
    dense = L.Dense(3, name="shared")
    return L.Add(name="add")([dense(x), dense(L.ReLU(name="relu")(x))])


@pytest.mark.parametrize("source", ["keras", "live"])
def test_a_layer_called_twice_imports_one_layer_per_call(keras, tmp_path, source):
    """Each call is placed once what it reads is known (a shared layer's later call may read a layer listed after
    it, as Keras's deserializer allows); the weights count once, as count_params() counts them."""
    model = _functional(keras, _shared, "shared")
    imported = import_keras(save(model, tmp_path, source))
    assert imported.ok, [d.message for d in imported.errors]
    result = check_text(imported.text())
    assert result.ok, [d.message for d in result.errors]
    assert sorted((r.name, r.inputs, r.shares) for r in result.records) == sorted([
        ("shared", ("series",), None), ("relu", ("series",), None), ("shared_call_2", ("relu",), "shared"),
        ("add", ("shared", "shared_call_2"), None)])
    layer = model.get_layer("shared")
    assert result.record("shared").params == layer.count_params() and result.record("shared_call_2").params == 0
    assert result.total_params == model.count_params()
    assert [result.record(n).output_shape for n in ("shared", "shared_call_2")] == [
        tuple(node.output_tensors[0].shape[1:]) for node in layer._inbound_nodes]


REFUSED = {  # model -> (build, the layer reported, what its message says)
    "state_read": (lambda L, x: L.Dense(2, name="d")(L.LSTM(4, return_state=True, name="lstm")(x)[1]),
                   "d", "reads output 1 of layer 'lstm'"),
    "state_unread": (lambda L, x: L.Dense(2, name="d")(L.LSTM(4, return_state=True, name="lstm")(x)[0]),
                     "lstm", "return_state=True"),
    "backward": (lambda L, x: L.Bidirectional(L.LSTM(4), backward_layer=L.GRU(3, go_backwards=True), name="bi")(x),
                 "bi", "backward_layer="),
}


@pytest.mark.parametrize("source", ["keras", "live"])
@pytest.mark.parametrize("case", sorted(REFUSED))
def test_calls_a_spec_cannot_hold_are_errors(keras, tmp_path, case, source):
    build, layer, says = REFUSED[case]
    model = _functional(keras, build, case)
    imported = import_keras(save(model, tmp_path, source))
    assert not imported.ok
    reported = [d for d in imported.errors if d.layer == layer and says in d.message]
    assert reported and reported[0].code == "SB501", [d.message for d in imported.errors]
    assert len(reported[0].message) < 400  # a message, not a config dump


def test_stateful_layer_is_an_error(keras, tmp_path):
    model = keras.Sequential([keras.Input((5, 3), batch_size=2), keras.layers.GRU(4, stateful=True, name="gru")])
    imported = import_keras(save(model, tmp_path, "keras"))
    assert [(d.code, d.layer) for d in imported.errors] == [("SB501", "gru")]
    assert "stateful=True" in imported.errors[0].message


def test_unbuilt_sequential_is_an_error(keras):
    imported = import_keras(keras.Sequential([keras.layers.Dense(3)], name="unbuilt"))
    assert not imported.ok and "no input shape" in imported.errors[0].message


def test_regularizers_are_left_out_with_info(keras, tmp_path, imports_like_keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((6,)),
        layers.Dense(4, name="reg_dense", kernel_regularizer=keras.regularizers.L2(0.01), activity_regularizer="l1"),
        layers.Dense(2, name="plain", kernel_constraint=keras.constraints.MaxNorm(2.0)),
    ], name="regularized")
    imported, _ = imports_like_keras(model, save(model, tmp_path, "keras"))
    infos = {d.message.split(" ")[0]: d for d in imported.diagnostics if d.code == "SB502"}
    assert all(d.severity.value == "info" for d in infos.values())
    assert "kernel_regularizer" in infos["regularizers"].message
    assert "activity_regularizer" in infos["regularizers"].message
    assert "'reg_dense'" in infos["regularizers"].message and "'plain'" not in infos["regularizers"].message
    assert "kernel_constraint" in infos["constraints"].message and "'plain'" in infos["constraints"].message
    assert not any("regularizer" in key or "constraint" in key for layer in imported.spec["layers"] for key in layer)
