"""ConvLSTM1D and ConvLSTM3D in saved Keras files: `import` gives Keras's shapes and parameter counts layer by layer,
`convert` writes PyTorch, ONNX and Keras 3 files that compute what the trained original computes, and the settings
a spec cannot represent (return_state, stateful) are refused by name."""

from __future__ import annotations

import numpy as np
import pytest
from converting import assert_close, assert_converted_files_compute_the_original, inputs_for, run_written, trained

from specbridge.importer import import_keras

pytestmark = [pytest.mark.keras, pytest.mark.torch]


def signal_model(keras):
    """Two ConvLSTM1D: strided 'same' read backwards with a non-default gate, then one without bias."""
    L = keras.layers
    frames = keras.Input((4, 9, 2), name="frames")
    x = L.ConvLSTM1D(3, 3, strides=2, padding="same", return_sequences=True, go_backwards=True,
                     recurrent_activation="hard_sigmoid", name="first")(frames)
    x = L.ConvLSTM1D(2, 2, use_bias=False, name="second")(x)
    return keras.Model(frames, x, name="signals")


def channels_first_model(keras):
    """Both ranks channels_first. TensorFlow's standard CPU kernels cannot run a channels_first convolution ("only
    supports the NHWC tensor format") where its oneDNN ones can: convert and the cross-check fall back to XLA."""
    L = keras.layers
    signals = keras.Input((4, 2, 9), name="signals")
    volumes = keras.Input((3, 2, 5, 4, 6), name="volumes")
    a = L.ConvLSTM1D(3, 3, padding="same", data_format="channels_first", name="signal_lstm")(signals)
    b = L.ConvLSTM3D(2, (2, 1, 3), data_format="channels_first", return_sequences=True, name="volume_lstm")(volumes)
    return keras.Model([signals, volumes], [a, b], name="channels_first")


def volume_model(keras):
    """ConvLSTM3D with per-axis kernel and dilation, a dropout setting (inference: none), into a strided one."""
    L = keras.layers
    volumes = keras.Input((3, 5, 4, 6, 2), name="volumes")
    x = L.ConvLSTM3D(2, (2, 1, 3), dilation_rate=(1, 2, 1), padding="same", dropout=0.2, return_sequences=True,
                     name="first")(volumes)
    x = L.ConvLSTM3D(3, 2, strides=(2, 1, 2), activation="relu", unit_forget_bias=False, name="second")(x)
    return keras.Model(volumes, x, name="volumes")


@pytest.fixture(scope="module", params=["signals", "volumes"])
def saved(request, keras, tmp_path_factory):
    keras.backend.clear_session()
    model = trained((signal_model if request.param == "signals" else volume_model)(keras))
    path = tmp_path_factory.mktemp("conv_lstm") / f"{request.param}.keras"
    model.save(path)
    return model, path


def test_import_matches_keras_layer_by_layer(saved, imports_like_keras):
    model, path = saved
    imported, _ = imports_like_keras(model, path)
    assert [layer["type"] for layer in imported.spec["layers"]] == [type(layer).__name__ for layer in model.layers[1:]]


def test_channels_first_imports_like_keras(keras, tmp_path, imports_like_keras):
    model = channels_first_model(keras)
    model.save(tmp_path / "channels_first.keras")
    imported, _ = imports_like_keras(model, tmp_path / "channels_first.keras")
    assert {layer["data_format"] for layer in imported.spec["layers"]} == {"channels_first"}


@pytest.mark.parametrize("to", ["pytorch", "onnx", "keras"])
def test_converted_files_compute_what_the_original_computes(saved, to, tmp_path, torch, onnxruntime):
    assert_converted_files_compute_the_original(*saved, to, tmp_path, torch, onnxruntime)


@pytest.mark.parametrize(("kind", "shape", "argument"), [
    ("ConvLSTM1D", (3, 9, 2), "return_state"),
    ("ConvLSTM3D", (3, 4, 4, 4, 2), "stateful"),
])
def test_what_a_spec_cannot_represent_is_refused(keras, tmp_path, kind, shape, argument):
    frames = keras.Input(shape, batch_size=2)  # a stateful layer needs a fixed batch size
    out = getattr(keras.layers, kind)(2, 1, **{argument: True})(frames)
    model = keras.Model(frames, out[0] if isinstance(out, list) else out)  # return_state: (output, h, c)
    model.save(tmp_path / "model.keras")
    imported = import_keras(tmp_path / "model.keras")
    assert [d.code for d in imported.errors] == ["SB501"]
    assert f"has {argument}=True, which a spec cannot represent" in imported.errors[0].message


@pytest.mark.parametrize("to", ["pytorch", "onnx"])
def test_a_channels_first_model_converts_on_either_kernels(keras, to, tmp_path, torch, onnxruntime):
    """With TF_ENABLE_ONEDNN_OPTS=0 the original's own run raises (only NHWC): convert runs it compiled by XLA."""
    import tensorflow as tf

    import specbridge

    keras.backend.clear_session()
    model = trained(channels_first_model(keras))
    path = tmp_path / "channels_first.keras"
    model.save(path)
    converted = specbridge.convert(path, to=to, out=tmp_path / ("model.py" if to == "pytorch" else "model.onnx"),
                                   samples=2)
    assert converted.report.ok, converted.report.to_dict()  # verified layer by layer against the original
    assert converted.report.layers and all(layer.ok for layer in converted.report.layers)
    if to == "onnx":  # the written file alone: its first output against the original's, compiled
        inputs = inputs_for(model)
        want = tf.function(lambda xs: model(xs, training=False), jit_compile=True)(inputs)
        assert_close(run_written(to, converted.files, inputs, torch, onnxruntime), np.asarray(want[0]))
