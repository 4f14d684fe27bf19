"""What `summary` and `explain` print, compared with real Keras 3 (and PyTorch for kernel layouts).

The test specs are rebuilt by hand in Keras, so the comparison does not depend on the emitters.
"""

from __future__ import annotations

import json
import os
import re

import pytest
from frameworks import import_framework

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

pytestmark = pytest.mark.keras


@pytest.fixture(scope="module")
def keras():
    return import_framework("keras")


def build_seed(keras):
    keras.backend.clear_session()  # resets default names: conv2d, not conv2d_3
    L = keras.layers
    return keras.Sequential([
        keras.Input((128, 128, 3)),
        L.Conv2D(24, 8, strides=2, activation="relu"),
        L.BatchNormalization(),
        L.MaxPooling2D(2),
        L.Flatten(),
        L.Dropout(0.5),
        L.Dense(10, activation="softmax", name="head"),
    ], name="strided_stack")


def build_graph(keras):
    keras.backend.clear_session()
    L = keras.layers
    image, meta = keras.Input((32, 32, 3), name="image"), keras.Input((8,), name="meta")
    pooled = L.GlobalAveragePooling2D(name="pooled")(L.Conv2D(8, 3, name="conv")(image))
    meta_dense = L.Dense(8, name="meta_dense")(meta)
    merged = L.Concatenate(name="merged")([pooled, meta_dense])
    side = L.Dense(4, name="side")(meta)
    out = L.Dense(1, activation="sigmoid", name="out")(merged)
    model = keras.Model([image, meta], out, name="two_towers")
    return model, {"side": side}


def keras_rows(model, extra=None):
    rows = []
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        trainable = sum(int(w.numpy().size) for w in layer.trainable_weights)
        rows.append({
            "name": layer.name, "type": type(layer).__name__, "output_shape": list(layer.output.shape),
            "params": layer.count_params(), "trainable_params": trainable,
        })
    return rows


def test_summary_json_equals_keras_layer_by_layer(run, in_specs, keras):
    model = build_seed(keras)
    ours = json.loads(run("summary", "-f", "json", "seed.spec.yaml").stdout)
    assert ours["layers"] == keras_rows(model)
    assert ours["total_params"] == model.count_params()
    trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
    assert (ours["trainable_params"], ours["non_trainable_params"]) == (trainable, model.count_params() - trainable)


def test_summary_totals_are_printed_as_keras_prints_them(run, in_specs, keras):
    model = build_seed(keras)
    printed = []
    model.summary(print_fn=lambda text, **kwargs: printed.append(text))
    keras_lines = [ln.strip() for ln in "\n".join(printed).splitlines() if "params:" in ln]
    ours = [ln.strip() for ln in run("summary", "seed.spec.yaml").stdout.splitlines() if "params:" in ln]
    assert ours == [re.sub(r"\x1b\[[0-9;]*m", "", ln) for ln in keras_lines]


def test_summary_of_a_graph_equals_keras(run, in_specs, keras):
    model, dead = build_graph(keras)
    ours = json.loads(run("summary", "-f", "json", "graph.spec.yaml").stdout)
    by_name = {row["name"]: row for row in ours["layers"]}
    for row in keras_rows(model):
        assert by_name[row["name"]] == row
    side = dead["side"]  # Keras drops the dead branch from the model; check it on its own
    assert by_name["side"]["output_shape"] == list(side.shape)
    assert by_name["side"]["params"] == 8 * 4 + 4


def test_explain_kernel_shapes_and_sizes_equal_keras_and_torch(run, in_specs, keras):
    model = build_seed(keras)
    conv = model.get_layer("conv2d")
    out = run("explain", "seed.spec.yaml", "--layer", "conv2d").stdout
    assert f"Keras {tuple(conv.kernel.shape)}" in out
    assert f"output: {tuple(conv.output.shape)}" in out
    assert f"= {conv.count_params():,}" in out
    torch = import_framework("torch")
    torch_conv = torch.nn.Conv2d(3, 24, 8, stride=2)
    assert f"PyTorch {tuple(torch_conv.weight.shape)}" in out
    assert torch_conv(torch.zeros(1, 3, 128, 128)).shape[-1] == 61
    assert "floor((128 - 8) / 2) + 1 = 61" in out





def test_summary_totals_count_normalization_s_int64_count_as_keras_does(keras):
    """An adapted Normalization's count is an int64: Keras's byte totals give it 8 bytes (7 params, 32.00 B)."""
    from specbridge.check import check_text
    from specbridge.report.summary import totals

    keras.backend.clear_session()
    L = keras.layers
    model = keras.Sequential([
        keras.Input((8, 8, 3)), L.Normalization(), L.RandomFlip(), L.Rescaling(0.5),
        L.Normalization(mean=0.5, variance=2.0), L.Conv2D(2, 3), L.BatchNormalization(),
    ])
    printed = []
    model.summary(print_fn=lambda text, **kwargs: printed.append(text))
    keras_lines = [re.sub(r"\x1b\[[0-9;]*m", "", ln).strip() for ln in "\n".join(printed).splitlines() if "params:" in ln]
    spec = ("specbridge: 1\nname: t\ninput: {shape: [8, 8, 3]}\nlayers:\n  - {type: Normalization}\n  - {type: RandomFlip}\n"
            "  - {type: Rescaling, scale: 0.5}\n  - {type: Normalization, mean: 0.5, variance: 2.0}\n"
            "  - {type: Conv2D, filters: 2, kernel_size: 3}\n  - {type: BatchNormalization}\n")
    assert [ln.strip() for ln in totals(check_text(spec))] == keras_lines
