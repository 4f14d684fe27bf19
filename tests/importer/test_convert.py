"""`specbridge convert` / specbridge.convert: a trained Keras model -> PyTorch, ONNX or Keras 3 files that load on
their own and compute what the original computes, and a verification that catches a conversion that does not.

The models are built here, every variable set to a non-trivial value (non-zero biases, BatchNormalization
statistics away from 0 and 1, as after training), and saved as Keras would save them: .keras, .h5, a model .json
with a .weights.h5, and genuine Keras 2 .h5 files written by tf_keras. The ground truth is the original model's own
predictions; the written files are loaded without specbridge (exec'd source, torch.load, onnxruntime,
load_weights) and compared with them within float32 tolerances.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from converting import assert_close, inputs_for, predict, run_written, trained

import specbridge
from specbridge.emit import weights
from specbridge.importer import model_config, original
from specbridge.spec.layers.core import Dense

pytestmark = [pytest.mark.keras, pytest.mark.torch,
              pytest.mark.filterwarnings("ignore:You are saving your model as an HDF5 file:UserWarning")]

TARGETS = ("pytorch", "onnx", "keras")
OUT = {"pytorch": "model.py", "onnx": "model.onnx", "keras": "model.py"}


# ---------------------------------------------------------------- models


def image_model(fw):
    """Conv, BatchNormalization, a depthwise branch merged by Add, pooling, Flatten (NCHW order in PyTorch), Dense."""
    L = fw.layers
    image = fw.Input((10, 10, 3), name="image")
    x = L.Conv2D(6, 3, padding="same", name="conv")(image)
    x = L.BatchNormalization(name="bn")(x)
    x = L.Activation("relu", name="relu")(x)
    branch = L.DepthwiseConv2D(3, padding="same", name="depthwise")(x)
    x = L.Add(name="add")([L.Conv2D(6, 1, name="pointwise")(x), branch])
    x = L.MaxPooling2D(2, name="pool")(x)
    x = L.Flatten(name="flatten")(x)
    x = L.Dense(8, activation="tanh", name="dense")(x)
    x = L.Dropout(0.3, name="dropout")(x)
    return fw.Model(image, L.Dense(4, activation="softmax", name="head")(x), name="image_net")


def sequence_model(fw, keras2: bool = False):
    """GRU (both reset_after conventions in Keras 2), LSTM, Dense."""
    L = fw.layers
    steps = fw.Input((7, 5), name="steps")
    x = L.GRU(6, return_sequences=True, name="gru")(steps)
    if keras2:
        x = L.GRU(5, return_sequences=True, reset_after=False, name="gru_v1")(x)
    x = L.LSTM(4, name="lstm")(x)
    return fw.Model(steps, L.Dense(3, name="head")(x), name="sequence_net")


@pytest.fixture(scope="module")
def saved(keras, tmp_path_factory):
    """The trained image model, saved as .keras, .h5 and .json + .weights.h5: (model, {format: (path, weights)})."""
    keras.backend.clear_session()
    model = trained(image_model(keras))
    directory = tmp_path_factory.mktemp("saved")
    model.save(directory / "image_net.keras")
    model.save(directory / "image_net.h5")
    (directory / "image_net.json").write_text(model.to_json(), encoding="utf-8")
    model.save_weights(directory / "image_net.weights.h5")
    files = {"keras": (directory / "image_net.keras", None), "h5": (directory / "image_net.h5", None),
             "json": (directory / "image_net.json", directory / "image_net.weights.h5")}
    return model, files


def test_the_models_are_trained_like(keras):
    """No default values left for a dropped bias or swapped statistics to hide behind."""
    model = trained(image_model(keras))
    for variable in model.weights:
        values = np.asarray(variable.numpy())
        assert np.all(values != 0), variable.path
        if variable.name in ("moving_variance", "gamma"):
            assert np.all(np.abs(values) != 1), variable.path


# ---------------------------------------------------------------- the written files on their own


@pytest.mark.parametrize("file_format", ["keras", "h5", "json"])
@pytest.mark.parametrize("to", TARGETS)
def test_converted_files_load_on_their_own_and_match_the_original(saved, to, file_format, tmp_path, torch,
                                                                  onnxruntime):
    model, files = saved
    path, weights_file = files[file_format]
    converted = specbridge.convert(path, to=to, out=tmp_path / OUT[to], weights=weights_file, samples=2)
    assert converted.report.ok, converted.report.to_dict()
    assert [layer.name for layer in converted.report.layers] == [layer.name for layer in model.layers[1:]]
    assert all(p.exists() for p in converted.files)
    inputs = inputs_for(model)
    assert_close(run_written(to, converted.files, inputs, torch, onnxruntime), predict(model, inputs))


def test_the_cli_writes_and_verifies(saved, run, tmp_path, torch):
    path = saved[1]["keras"][0]
    state_dict = tmp_path / "trained.pt"
    result = run("convert", str(path), "--to", "pytorch", "-o", str(tmp_path / "model.py"),
                 "--state-dict", str(state_dict), "--samples", "2")
    assert result.exit_code == 0, result.output
    assert f"wrote {tmp_path / 'model.py'}" in result.stdout and f"wrote {state_dict}" in result.stdout
    assert "the original Keras model vs the converted PyTorch model" in result.stdout
    assert f"ok: all {len(saved[0].layers) - 1} layers agree" in result.stdout
    assert state_dict.exists()


def test_json_format_has_the_files_and_the_verification(saved, run, tmp_path, onnxruntime):
    out = tmp_path / "model.onnx"
    result = run("convert", str(saved[1]["h5"][0]), "--to", "onnx", "-o", str(out), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["files"] == [str(out)]
    verification = data["verification"]
    assert verification["ok"] and verification["backends"] == ["original", "onnx"]
    assert [layer["name"] for layer in verification["layers"]] == [layer.name for layer in saved[0].layers[1:]]


# ---------------------------------------------------------------- planted defects


def skip_dense_bias(monkeypatch) -> None:
    """The PyTorch weight mapping of Dense forgets the bias: the Linear keeps PyTorch's own random one."""
    monkeypatch.setitem(weights.WEIGHT_CONVERTERS.entries, Dense,
                        lambda klayer, tmod, layer: weights.dense(klayer, tmod, layer)[:1])


def corrupt_copied_conv(monkeypatch) -> None:
    """The trained weights reach the spec's model, then one kernel is nudged (a wrong layout would do as much)."""
    copy = original.copy_weights

    def corrupted(source, emitted, names, **kwargs):
        count = copy(source, emitted, names, **kwargs)
        kernel = emitted.get_layer("conv").kernel
        kernel.assign(kernel.numpy() + 0.05)
        return count

    monkeypatch.setattr(original, "copy_weights", corrupted)


@pytest.mark.parametrize(("to", "plant", "layer"), [
    ("pytorch", skip_dense_bias, "dense"),
    ("pytorch", corrupt_copied_conv, "conv"),
    ("onnx", corrupt_copied_conv, "conv"),
    ("keras", corrupt_copied_conv, "conv"),
])
def test_a_planted_defect_fails_the_verification_at_its_layer(saved, run, tmp_path, monkeypatch, to, plant, layer,
                                                              torch, onnxruntime):
    plant(monkeypatch)
    path = str(saved[1]["keras"][0])
    result = run("convert", path, "--to", to, "-o", str(tmp_path / OUT[to]), "--samples", "2")
    assert result.exit_code == 1, result.output
    assert f"FAILED: the models diverge first at layer '{layer}'" in result.stdout
    converted = specbridge.convert(path, to=to, out=tmp_path / OUT[to], samples=2)
    report = converted.report
    assert report.first_divergence == layer
    names = [x.name for x in report.layers]
    assert all(x.ok for x in report.layers[:names.index(layer)])  # the blame is precise


def test_no_verify_skips_the_verification(saved, run, tmp_path, monkeypatch, onnxruntime):
    corrupt_copied_conv(monkeypatch)  # would fail the verification: --no-verify does not run it
    out = tmp_path / "model.onnx"
    result = run("convert", str(saved[1]["keras"][0]), "--to", "onnx", "-o", str(out), "--no-verify")
    assert result.exit_code == 0, result.output
    assert "not verified (--no-verify)" in result.stdout and "original" not in result.stdout
    assert out.exists()
    assert specbridge.convert(saved[1]["keras"][0], to="onnx", out=out, verify=False).report is None


# ---------------------------------------------------------------- Keras 2 files


@pytest.fixture(scope="module")
def keras2_files(tf_keras, tmp_path_factory):
    """Genuine Keras 2 .h5 files (tf_keras writes them): {name: (path, model, inputs, prediction)}."""
    directory = tmp_path_factory.mktemp("keras2")
    found = {}
    for build in (image_model, lambda fw: sequence_model(fw, keras2=True)):
        tf_keras.backend.clear_session()
        model = trained(build(tf_keras), seed=3)
        path = directory / f"{model.name}.h5"
        model.save(str(path))
        inputs = inputs_for(model)
        found[model.name] = (path, model, inputs, predict(model, inputs))
    return found


@pytest.mark.parametrize("to", ["pytorch", "onnx"])
@pytest.mark.parametrize("name", ["image_net", "sequence_net"])
def test_a_keras2_h5_converts_and_verifies(keras2_files, run, tmp_path, to, name, torch, onnxruntime):
    path, model, inputs, prediction = keras2_files[name]
    assert model_config(path).keras2  # a Keras 2 file indeed
    result = run("convert", str(path), "--to", to, "-o", str(tmp_path / OUT[to]), "--samples", "2")
    assert result.exit_code == 0, result.output
    assert f"ok: all {len(model.layers) - 1} layers agree" in result.stdout
    files = [tmp_path / OUT[to]] + ([tmp_path / "model.pt"] if to == "pytorch" else [])
    assert_close(run_written(to, files, inputs, torch, onnxruntime), prediction)


def test_keras2_names_with_a_slash_are_renamed_for_keras3(tf_keras, keras, run, tmp_path):
    """Keras 2 allowed 'conv1/conv' (DenseNet121 has such names); Keras 3, which the weights go through, does not.
    The converted model gets '_' for '/', unique (the Dense below already has the plain name), and says so."""
    tf_keras.backend.clear_session()
    L = tf_keras.layers
    inputs = tf_keras.Input((6, 6, 2))
    x = L.BatchNormalization(name="conv1/bn")(L.Conv2D(3, 3, name="conv1/conv")(inputs))
    model = trained(tf_keras.Model(inputs, L.Dense(2, name="conv1_conv")(L.Flatten(name="flatten")(x))), seed=5)
    model.save(str(tmp_path / "slashed.h5"))
    out = tmp_path / "model.py"
    result = run("convert", str(tmp_path / "slashed.h5"), "--to", "keras", "-o", str(out), "--samples", "2")
    assert result.exit_code == 0, result.output
    assert ("renamed 2 layers ('/' is not allowed in Keras 3 names): 'conv1/conv' -> 'conv1_conv_1', "
            "'conv1/bn' -> 'conv1_bn'") in result.stdout
    assert "ok: all 4 layers agree" in result.stdout
    inputs_ = inputs_for(model)
    assert_close(run_written("keras", [out, tmp_path / "model.weights.h5"], inputs_), predict(model, inputs_))


# ---------------------------------------------------------------- refusals


def test_a_custom_layer_is_sb500_and_nothing_is_written(keras, run, tmp_path):
    @keras.saving.register_keras_serializable(package="specbridge_tests")
    class Doubling(keras.layers.Layer):
        def call(self, x):
            return 2.0 * x

    keras.backend.clear_session()
    inputs = keras.Input((4,), name="x")
    x = Doubling(name="twice")(keras.layers.Dense(4, name="dense")(inputs))
    model = keras.Model(inputs, keras.layers.Dense(2, name="head")(Doubling(name="again")(x)), name="custom_net")
    path = tmp_path / "custom_net.keras"
    model.save(path)
    out = tmp_path / "model.py"
    result = run("convert", str(path), "--to", "pytorch", "-o", str(out))
    assert result.exit_code == 1, result.output
    assert result.output.count("SB500") == 2
    assert "layer 'twice' at layers[2] of model 'custom_net' is class 'Doubling'" in result.output
    assert "layer 'again' at layers[3] of model 'custom_net' is class 'Doubling'" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["custom_net.keras"]


def test_a_model_json_without_weights_is_a_usage_error(saved, run, tmp_path):
    out = tmp_path / "model.onnx"
    result = run("convert", str(saved[1]["json"][0]), "--to", "onnx", "-o", str(out))
    assert result.exit_code == 2, result.output
    assert "a model JSON holds the architecture only, not the trained weights" in result.stderr
    assert "--weights" in result.stderr
    assert not out.exists()
