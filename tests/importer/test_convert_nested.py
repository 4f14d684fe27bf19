"""`convert` of models holding models: every layer of every nested model, at any depth, is verified against what
that layer returned in a run of the original model (original.original_outputs hooks each layer's call).

The shapes: a Sequential inside a functional model, a functional model inside a Sequential, a functional model
inside a functional model inside a functional model, and keras.io's transfer-learning pattern (augmentation,
Rescaling, a frozen keras.applications base called with training=False, pooling, Dropout, Dense) with MobileNetV2
and EfficientNetB0 bases. Each is built with "trained" weights and saved by Keras 3 (.keras) and by tf_keras as a
genuine Keras 2 .h5; the written PyTorch and ONNX files are also run on their own against the original's prediction.
A layer or nested model called twice (shared weights) becomes one spec layer per call, the later calls `shares:`
the first, and each call is verified against its own output in the original's run.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from converting import assert_close, inputs_for, keras_leaves, predict, run_written, trained

from specbridge.check import check_text
from specbridge.importer import import_keras, model_config, original

pytestmark = [pytest.mark.keras, pytest.mark.torch,
              pytest.mark.filterwarnings("ignore:You are saving your model as an HDF5 file:UserWarning")]

OUT = {"pytorch": "model.py", "onnx": "model.onnx"}


# ---------------------------------------------------------------- models (fw: keras or tf_keras)


def sequential_in_functional(fw):
    L = fw.layers
    block = fw.Sequential([fw.Input((8, 8, 3)), L.Conv2D(4, 3, padding="same", name="block_conv"),
                           L.BatchNormalization(name="block_bn"), L.ReLU(name="block_relu")], name="block")
    image = fw.Input((8, 8, 3), name="image")
    x = L.GlobalAveragePooling2D(name="gap")(block(image))
    return fw.Model(image, L.Dense(3, name="head")(x), name="sequential_in_functional")


def functional_in_sequential(fw):
    L = fw.layers
    inner_in = fw.Input((6,), name="inner_in")
    x = L.Dense(5, activation="tanh", name="inner_a")(inner_in)
    inner = fw.Model(inner_in, L.Add(name="inner_add")([x, L.Dense(5, name="inner_b")(inner_in)]), name="inner")
    return fw.Sequential([fw.Input((6,)), L.Dense(6, name="pre"), inner, L.Dense(2, name="post")],
                         name="functional_in_sequential")


def functional_in_functional(fw):
    """Three levels: the innermost model's layers are two models away from the outer graph."""
    L = fw.layers
    core_in = fw.Input((7,), name="core_in")
    core = fw.Model(core_in, L.Dense(4, activation="relu", name="core_dense")(core_in), name="core")
    middle_in = fw.Input((7,), name="middle_in")
    middle = fw.Model(middle_in, L.Dense(3, name="middle_dense")(core(middle_in)), name="middle")
    outer_in = fw.Input((7,), name="outer_in")
    x = L.BatchNormalization(name="outer_bn")(middle(L.Dense(7, name="outer_pre")(outer_in)))
    return fw.Model(outer_in, L.Dense(2, name="outer_head")(x), name="functional_in_functional")


def transfer(fw, application: str, size: int):
    """keras.io "Transfer learning & fine-tuning", as written there (default layer names included)."""
    L = fw.layers
    base = getattr(fw.applications, application)(include_top=False, weights=None, input_shape=(size, size, 3))
    base.trainable = False
    inputs = fw.Input((size, size, 3))
    x = L.RandomFlip("horizontal")(inputs)
    x = L.RandomRotation(0.1)(x)
    x = L.Rescaling(1.0 / 127.5, offset=-1)(x)
    x = base(x, training=False)
    x = L.GlobalAveragePooling2D()(x)
    x = L.Dropout(0.2)(x)
    return fw.Model(inputs, L.Dense(1)(x), name=f"transfer_{application.lower()}")


def siamese_dense(fw):
    """One Dense called on two inputs, its second call listed before the first in the run (depth order)."""
    L = fw.layers
    shared = L.Dense(4, activation="tanh", name="shared")
    a, b = fw.Input((6,), name="a"), fw.Input((6,), name="b")
    right = shared(L.Dense(6, name="pre")(b))
    return fw.Model([a, b], L.Subtract(name="diff")([shared(a), right]), name="siamese_dense")


def shared_sequential(fw):
    """keras.io's siamese network: one Sequential encoder called on two inputs."""
    L = fw.layers
    encoder = fw.Sequential([fw.Input((8, 8, 2)), L.Conv2D(3, 3, name="enc_conv"), L.BatchNormalization(name="enc_bn"),
                             L.GlobalAveragePooling2D(name="enc_gap")], name="encoder")
    a, b = fw.Input((8, 8, 2), name="a"), fw.Input((8, 8, 2), name="b")
    joined = L.Concatenate(name="joined")([encoder(a), encoder(b)])
    return fw.Model([a, b], L.Dense(1, name="head")(joined), name="shared_sequential")


def shared_in_sequential(fw):
    """A functional model calling a functional encoder twice, itself a layer of a Sequential."""
    L = fw.layers
    enc_in = fw.Input((5,), name="enc_in")
    encoder = fw.Model(enc_in, L.Dense(5, activation="relu", name="enc_dense")(enc_in), name="encoder")
    inner_in = fw.Input((5,), name="inner_in")
    twice = L.Add(name="inner_add")([encoder(inner_in), encoder(L.Dense(5, name="inner_pre")(inner_in))])
    inner = fw.Model(inner_in, twice, name="inner")
    return fw.Sequential([fw.Input((5,)), L.Dense(5, name="first"), inner, L.Dense(2, name="last")],
                         name="shared_in_sequential")


NESTINGS = {"sequential_in_functional": sequential_in_functional, "functional_in_sequential": functional_in_sequential,
            "functional_in_functional": functional_in_functional}
SHARED = {"siamese_dense": siamese_dense, "shared_sequential": shared_sequential,
          "shared_in_sequential": shared_in_sequential, "shared_encoder": lambda fw: shared_encoder(fw)}
TRANSFER = {"mobilenetv2": ("MobileNetV2", 64), "efficientnetb0": ("EfficientNetB0", 32)}
VERSIONS = {"keras3": ".keras", "keras2": ".h5"}  # Keras 3 writes .keras, tf_keras a Keras 2 .h5


def _save(model, path):
    model.save(str(path))
    return path


@pytest.fixture(scope="module")
def saved(keras, tf_keras, tmp_path_factory):
    """(shape, version) -> (path, model, inputs, prediction): each model built, trained and saved once."""
    directory = tmp_path_factory.mktemp("nested")
    builders = {**NESTINGS, **SHARED, **{key: (lambda fw, app=app, size=size: transfer(fw, app, size))
                               for key, (app, size) in TRANSFER.items()}}
    found = {}
    for shape, build in builders.items():
        for version, suffix in VERSIONS.items():
            fw = keras if version == "keras3" else tf_keras
            fw.backend.clear_session()
            model = trained(build(fw), seed=11)
            inputs = inputs_for(model, samples=2)
            found[shape, version] = (_save(model, directory / f"{shape}_{version}{suffix}"), model, inputs,
                                     predict(model, inputs))
    return found


CASES = [pytest.param(shape, version, id=f"{shape}-{version}", marks=[pytest.mark.slow] if shape in TRANSFER else [])
         for shape in [*NESTINGS, *TRANSFER] for version in VERSIONS]


@pytest.mark.parametrize(("shape", "version"), CASES)
def test_nested_models_import_like_keras(saved, imports_like_keras, shape, version):
    path, model, _, _ = saved[shape, version]
    assert model_config(path).keras2 == (version == "keras2")
    imported, result = imports_like_keras(model, path)
    assert result.total_params == model.count_params()


def converted_and_verified(run, path, to: str, out) -> dict:
    """`specbridge convert` to `to`: exit 0, verified, no layer skipped; its JSON verification report."""
    result = run("convert", str(path), "--to", to, "-o", str(out), "--samples", "2", "--format", "json")
    assert result.exit_code == 0, result.output
    verification = json.loads(result.stdout)["verification"]
    assert verification["ok"], verification["first_divergence"]
    assert verification["skipped"] == []
    return verification


@pytest.mark.parametrize("to", ["pytorch", "onnx"])
@pytest.mark.parametrize(("shape", "version"), CASES)
def test_nested_models_convert_verified_layer_by_layer(saved, run, tmp_path, shape, version, to, torch, onnxruntime):
    path, model, inputs, prediction = saved[shape, version]
    out = tmp_path / OUT[to]
    verification = converted_and_verified(run, path, to, out)
    leaves = list(keras_leaves(model))
    # every layer of every nested model was compared with its own output in the original's run, none left out
    assert sorted(layer["name"] for layer in verification["layers"]) == sorted(leaves)
    files = [out] + ([tmp_path / "model.pt"] if to == "pytorch" else [])
    assert_close(run_written(to, files, inputs, torch, onnxruntime), prediction)


@pytest.mark.slow
def test_the_cli_says_verified_for_the_tutorial_model(saved, run, tmp_path, torch):
    path, model, _, _ = saved["mobilenetv2", "keras3"]
    result = run("convert", str(path), "--to", "pytorch", "-o", str(tmp_path / "model.py"), "--samples", "2")
    assert result.exit_code == 0, result.output
    assert f"ok: all {len(keras_leaves(model))} layers agree" in result.stdout
    assert "Traceback" not in result.output and "internal error" not in result.output


# ---------------------------------------------------------------- the capture itself


@pytest.mark.parametrize("version", list(VERSIONS))
def test_the_capture_is_each_inner_layers_own_output(keras, tf_keras, version):
    """What original_outputs records for an inner layer is what that layer computes on what reaches it: checked
    against a model Keras builds over the nested model's own graph, fed what the outer graph gives it."""
    fw = keras if version == "keras3" else tf_keras
    model = trained(functional_in_functional(fw), seed=2)
    inputs = inputs_for(model, samples=3)
    names = ["outer_pre", "core_dense", "middle_dense", "outer_bn", "outer_head"]
    captured = original.original_outputs(model, names, inputs)
    middle = model.get_layer("middle")
    core = middle.get_layer("core")
    fed = predict(fw.Model(model.input, model.get_layer("outer_pre").output), inputs)
    np.testing.assert_allclose(captured["core_dense"][0], predict(core, [fed]), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(captured["middle_dense"][0], predict(middle, [fed]), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(captured["outer_head"][0], predict(model, inputs), rtol=1e-6, atol=1e-6)
    assert all(len(captured[name]) == 1 for name in names)
    assert not any("call" in vars(layer) for layer in original.leaf_operations(model).values())  # hooks removed


def shared_encoder(fw):
    L = fw.layers
    encoder_in = fw.Input((6,), name="encoder_in")
    encoder = fw.Model(encoder_in, L.Dense(4, name="encoder_dense")(encoder_in), name="encoder")
    a, b = fw.Input((6,), name="a"), fw.Input((6,), name="b")
    return fw.Model([a, b], L.Dense(1, name="head")(L.Add(name="add")([encoder(a), encoder(b)])), name="siamese")


def test_a_nested_model_called_twice_is_captured_per_call(keras):
    model = trained(shared_encoder(keras), seed=4)
    inputs = inputs_for(model, samples=3)
    captured = original.original_outputs(model, ["encoder_dense", "add"], inputs)
    encoder = model.get_layer("encoder")
    assert len(captured["encoder_dense"]) == 2  # one array per call, in call order
    for call, x in zip(captured["encoder_dense"], inputs, strict=True):
        np.testing.assert_allclose(call, predict(encoder, [x]), rtol=1e-6, atol=1e-6)


SHARED_CASES = [pytest.param(shape, version, id=f"{shape}-{version}") for shape in SHARED for version in VERSIONS]


@pytest.mark.parametrize(("shape", "version"), SHARED_CASES)
def test_shared_layers_import_one_spec_layer_per_call(saved, shape, version):
    """Keras counts a layer's weights once however often it is called: so do the spec's totals; the first call
    holds them, every later call `shares:` it."""
    path, model, _, _ = saved[shape, version]
    imported = import_keras(path)
    assert imported.ok, [d.message for d in imported.errors]
    result = check_text(imported.text(), "shared.spec.yaml")
    assert result.ok, [d.message for d in result.errors]
    assert result.total_params == model.count_params()
    assert result.trainable_params == sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    calls = original.call_paths(model)
    by_layer: dict = {}
    for record in result.records:
        by_layer.setdefault(record.shares or record.name, []).append(record)
    assert sorted(by_layer) == sorted(keras_leaves(model))
    for name, layer in keras_leaves(model).items():
        first, *later = by_layer[name]
        assert len(by_layer[name]) == len(calls[name])  # one spec layer per call
        assert first.params == layer.count_params() and all(r.params == 0 and r.shares == name for r in later)
        assert [r.name for r in later] == [f"{name}_call_{k}" for k in range(2, len(later) + 2)]


@pytest.mark.parametrize("to", ["pytorch", "onnx"])
@pytest.mark.parametrize(("shape", "version"), SHARED_CASES)
def test_shared_layers_convert_verified_call_by_call(saved, run, tmp_path, shape, version, to, torch, onnxruntime):
    path, model, inputs, prediction = saved[shape, version]
    out = tmp_path / OUT[to]
    verification = converted_and_verified(run, path, to, out)
    compared = [layer["name"] for layer in verification["layers"]]
    assert len(compared) == sum(len(paths) for paths in original.call_paths(model).values())  # every call
    assert any("_call_2" in name for name in compared)
    files = [out] + ([tmp_path / "model.pt"] if to == "pytorch" else [])
    assert_close(run_written(to, files, inputs, torch, onnxruntime), prediction)


def test_each_call_is_verified_against_its_own_output(keras, tmp_path):
    """Swapping which captured call a spec layer is compared with makes the verification fail: the comparison
    really is call by call (the two calls of `shared` read different inputs)."""
    from specbridge.importer import convert as conversion

    path = _save(trained(siamese_dense(keras), seed=5), tmp_path / "siamese.keras")
    good = conversion.convert(path, "pytorch", tmp_path / "model.py", samples=2)
    assert good.report.ok
    original_paths = original.call_paths

    def swapped(model, *args):
        found = original_paths(model, *args)
        return {name: paths[::-1] for name, paths in found.items()}

    original.call_paths = swapped
    try:
        bad = conversion.convert(path, "pytorch", tmp_path / "model2.py", samples=2)
    finally:
        original.call_paths = original_paths
    assert not bad.report.ok and bad.report.first_divergence in ("shared", "shared_call_2")
