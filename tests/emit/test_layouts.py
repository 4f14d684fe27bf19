"""The emitted models' input and output layouts (specbridge/layouts.py): one rule for every model.

layout="torch" (the PyTorch default): a channels_last image or volume is taken and returned channels first, whatever
the first layer (Rescaling, Normalization, a Random* layer, Dropout, Activation, a convolution); a rank-3 signal
read by a spatial layer is (N, C, L), a rank-3 sequence stays (N, steps, features); (N, classes) is unchanged.
layout="keras" keeps Keras's layout everywhere. Each case runs the real frameworks: the Keras model on NHWC data
against the emitted module (the source as a user runs it, and the live object) and the ONNX model under
onnxruntime, each fed the layout its constants declare.
"""

from __future__ import annotations

import ast
import json
import runpy

import numpy as np
import pytest
from frameworks import import_framework

from specbridge.check import check_text
from specbridge.crosscheck.randomize import randomize_keras_weights
from specbridge.emit import to_keras, to_onnx, to_torch, torch_source
from specbridge.emit.plan import make_plan
from specbridge.emit.weights import keras_to_torch
from specbridge.layouts import INPUT_LAYOUT_KEY, OUTPUT_LAYOUT_KEY

FIRST_LAYERS = {
    "rescaling": "{type: Rescaling, scale: 0.5, offset: -1.0, name: first}",
    "rescaling_per_channel": "{type: Rescaling, scale: [0.5, 2.0, 1.5], name: first}",
    "normalization": "{type: Normalization, mean: [0.1, 0.2, 0.3], variance: [1.5, 2.0, 0.5], name: first}",
    "random_flip": "{type: RandomFlip, name: first}",
    "random_zoom": "{type: RandomZoom, height_factor: 0.2, name: first}",
    "dropout": "{type: Dropout, rate: 0.3, name: first}",
    "activation": "{type: Activation, activation: tanh, name: first}",
    "conv": "{type: Conv2D, filters: 3, kernel_size: 1, name: first}",
}


def image_spec(first: str, data_format: str = "channels_last") -> str:
    """first layer -> a conv feature map (an output, rank 4) -> pooled -> a Dense head (an output, rank 2)."""
    shape = "[3, 8, 8]" if data_format == "channels_first" else "[8, 8, 3]"
    return (
        f"specbridge: 1\nname: t\ndata_format: {data_format}\ninput: {{shape: {shape}}}\nlayers:\n"
        f"  - {first}\n"
        "  - {type: Conv2D, filters: 4, kernel_size: 3, name: features}\n"
        "  - {type: GlobalAveragePooling2D, name: pool}\n"
        "  - {type: Dense, units: 2, name: head}\n"
        "outputs: [features, head]\n"
    )


def one_input_spec(layers: list[str], shape: list[int], outputs: str = "") -> str:
    body = "".join(f"  - {line}\n" for line in layers)
    return f"specbridge: 1\nname: t\ninput: {{shape: {shape}}}\nlayers:\n{body}{outputs}"


def constants(source: str) -> dict:
    """INPUT_LAYOUT and OUTPUT_LAYOUT of an emitted module, read from its text (nothing executed)."""
    found = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id in ("INPUT_LAYOUT", "OUTPUT_LAYOUT"):
                found[node.targets[0].id] = ast.literal_eval(node.value)
    return found


def nchw(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.moveaxis(x, -1, 1))


# ---------------------------------------------------------------- the rule, in the emitted source


@pytest.mark.parametrize("first", list(FIRST_LAYERS))
def test_an_image_model_takes_and_returns_nchw_whatever_its_first_layer(first):
    found = constants(torch_source(image_spec(FIRST_LAYERS[first])))
    assert found["INPUT_LAYOUT"] == {"input_layer": "channels_first"}
    assert found["OUTPUT_LAYOUT"]["features"] == "channels_first"
    assert found["OUTPUT_LAYOUT"]["head"] == "keras"  # (N, classes) is the same in both


@pytest.mark.parametrize("first", list(FIRST_LAYERS))
def test_layout_keras_keeps_nhwc(first):
    found = constants(torch_source(image_spec(FIRST_LAYERS[first]), layout="keras"))
    assert found["INPUT_LAYOUT"] == {"input_layer": "keras"}
    assert found["OUTPUT_LAYOUT"]["features"] == "keras"


def test_the_module_docstring_states_the_layout():
    source = torch_source(image_spec(FIRST_LAYERS["rescaling"]))
    doc = ast.get_docstring(ast.parse(source))
    assert "layout torch" in doc
    assert "input input_layer: (N, 3, 8, 8), channels first (Keras: (N, 8, 8, 3))" in doc
    assert "output features: (N, 4, 6, 6), channels first (Keras: (N, 6, 6, 4))" in doc
    assert "output head: (N, 2)" in doc
    kept = ast.get_docstring(ast.parse(torch_source(image_spec(FIRST_LAYERS["rescaling"]), layout="keras")))
    assert "layout keras" in kept and "input input_layer: (N, 8, 8, 3), as Keras has it" in kept


CASES = {
    # name: (layers, shape, input layout, output layout)
    "conv1d_signal": (["{type: Conv1D, filters: 4, kernel_size: 3}"], [16, 2], "channels_first", "channels_first"),
    "conv1d_after_rescaling_and_dropout": (
        ["{type: Rescaling, scale: 0.1}", "{type: Dropout, rate: 0.2}", "{type: Conv1D, filters: 4, kernel_size: 3}"],
        [16, 2], "channels_first", "channels_first"),
    "conv1d_after_dense": (["{type: Dense, units: 3}", "{type: MaxPooling1D}"], [16, 2], "channels_first",
                           "channels_first"),
    "lstm_sequence": (["{type: LSTM, units: 4, return_sequences: true}"], [10, 3], "keras", "keras"),
    "lstm_after_dropout_and_normalization": (
        ["{type: Dropout, rate: 0.2}", "{type: LayerNormalization}", "{type: GRU, units: 4, return_sequences: true}"],
        [10, 3], "keras", "keras"),
    "dense_on_a_sequence": (["{type: Dense, units: 5}"], [10, 3], "keras", "keras"),
    "conv1d_then_gru": (["{type: Conv1D, filters: 4, kernel_size: 3}", "{type: GRU, units: 2, return_sequences: true}"],
                        [16, 2], "channels_first", "keras"),
    "gru_then_conv1d": (["{type: GRU, units: 2, return_sequences: true}", "{type: Conv1D, filters: 4, kernel_size: 3}"],
                        [16, 2], "keras", "channels_first"),
    "conv1d_channels_first_itself": (["{type: Conv1D, filters: 4, kernel_size: 3, data_format: channels_first}"],
                                     [2, 16], "keras", "keras"),
    "volume": (["{type: Rescaling, scale: 2.0}", "{type: Conv3D, filters: 2, kernel_size: 2}"], [4, 4, 4, 3],
               "channels_first", "channels_first"),
    "vector": (["{type: Dropout, rate: 0.5}", "{type: Dense, units: 2}"], [6], "keras", "keras"),
    "image_ending_in_normalization": (["{type: Conv2D, filters: 3, kernel_size: 1}",
                                       "{type: Normalization, mean: 0.5, variance: 2.0}"], [8, 8, 3],
                                      "channels_first", "channels_first"),
    "dense_on_an_image": (["{type: Dense, units: 2}"], [8, 8, 3], "channels_first", "channels_first"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_signals_are_channels_first_and_sequences_batch_first(case):
    layers, shape, takes, returns = CASES[case]
    plan = make_plan(check_text(one_input_spec(layers, shape), lint=False))
    assert plan.boundary.inputs == {"input_layer": takes}
    assert list(plan.boundary.outputs.values()) == [returns]
    found = constants(torch_source(one_input_spec(layers, shape)))
    assert found["INPUT_LAYOUT"] == {"input_layer": takes}


def test_a_channels_first_spec_keeps_its_layout():
    found = constants(torch_source(image_spec(FIRST_LAYERS["rescaling"], data_format="channels_first")))
    assert found["INPUT_LAYOUT"] == {"input_layer": "keras"}
    assert found["OUTPUT_LAYOUT"]["features"] == "keras"


def test_an_unknown_layout_is_refused():
    with pytest.raises(ValueError, match="layout must be one of torch, keras"):
        torch_source(image_spec(FIRST_LAYERS["conv"]), layout="NCHW")


# ---------------------------------------------------------------- the real frameworks


@pytest.fixture(scope="module")
def models():
    """spec text -> (Keras model with random weights, its outputs on NHWC data, the data)."""
    built = {}

    def get(text: str):
        if text not in built:
            keras_model = to_keras(text)
            randomize_keras_weights(keras_model, seed=1)
            x = np.random.default_rng(2).normal(size=(2, *keras_model.inputs[0].shape[1:])).astype("float32")
            outputs = keras_model(x, training=False)
            outputs = [np.asarray(o) for o in (outputs if isinstance(outputs, (list, tuple)) else [outputs])]
            built[text] = keras_model, outputs, x
        return built[text]

    return get


def torch_module(text: str, keras_model, layout: str, how: str, tmp_path):
    """The emitted module with the Keras model's weights: the live object, or the source run as a user runs it."""
    import torch

    live = to_torch(text, layout)
    keras_to_torch(keras_model, live, check_text(text, lint=False))
    if how == "live":
        return live
    path = tmp_path / "model.py"
    path.write_text(torch_source(text, layout), encoding="utf-8")
    module = runpy.run_path(str(path))["build_model"]()
    module.load_state_dict(live.state_dict())
    assert type(module).INPUT_LAYOUT == type(live).INPUT_LAYOUT
    return module.to(torch.float32)


@pytest.mark.parametrize("how", ["source", "live"])
@pytest.mark.parametrize("first", list(FIRST_LAYERS))
def test_the_torch_module_agrees_with_keras_on_nchw_data(models, first, how, tmp_path):
    import torch

    text = image_spec(FIRST_LAYERS[first])
    keras_model, (features, head), x = models(text)
    module = torch_module(text, keras_model, "torch", how, tmp_path)
    with torch.no_grad():
        got_features, got_head = module(torch.from_numpy(nchw(x)))
    np.testing.assert_allclose(got_features.numpy(), nchw(features), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got_head.numpy(), head, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("how", ["source", "live"])
@pytest.mark.parametrize("first", ["rescaling", "normalization", "random_flip", "dropout", "activation"])
def test_layout_keras_takes_and_returns_nhwc(models, first, how, tmp_path):
    import torch

    text = image_spec(FIRST_LAYERS[first])
    keras_model, (features, head), x = models(text)
    module = torch_module(text, keras_model, "keras", how, tmp_path)
    with torch.no_grad():
        got_features, got_head = module(torch.from_numpy(x))
    np.testing.assert_allclose(got_features.numpy(), features, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got_head.numpy(), head, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("case", ["conv1d_after_rescaling_and_dropout", "lstm_after_dropout_and_normalization",
                                  "conv1d_then_gru", "gru_then_conv1d", "volume", "image_ending_in_normalization",
                                  "dense_on_an_image"])
def test_other_models_agree_with_keras_in_the_declared_layouts(models, case, tmp_path):
    import torch

    layers, shape, takes, returns = CASES[case]
    text = one_input_spec(layers, shape)
    keras_model, (expected,), x = models(text)
    module = torch_module(text, keras_model, "torch", "source", tmp_path)
    with torch.no_grad():
        got = module(torch.from_numpy(nchw(x) if takes == "channels_first" else x)).numpy()
    np.testing.assert_allclose(got, nchw(expected) if returns == "channels_first" else expected, rtol=1e-4, atol=1e-5)


TWO_INPUTS = """specbridge: 1
name: t
inputs: [{name: image, shape: [6, 6, 3]}, {name: other, shape: [6, 6, 3]}]
layers:
  - {type: Rescaling, scale: 2.0, name: scaled, inputs: [image]}
  - {type: Add, name: sum, inputs: [scaled, other]}
  - {type: Concatenate, name: both, inputs: [scaled, sum]}
  - {type: GlobalMaxPooling2D, name: pooled, inputs: [both]}
outputs: [sum, both, pooled]
"""


@pytest.mark.parametrize("layout", ["torch", "keras"])
def test_a_merge_returned_as_an_output_is_in_the_declared_layout(layout, tmp_path):
    import torch

    keras_model = to_keras(TWO_INPUTS)
    rng = np.random.default_rng(3)
    xs = [rng.normal(size=(2, 6, 6, 3)).astype("float32") for _ in range(2)]
    expected = [np.asarray(o) for o in keras_model(xs, training=False)]
    module = torch_module(TWO_INPUTS, keras_model, layout, "source", tmp_path)
    assert type(module).INPUT_LAYOUT == dict.fromkeys(["image", "other"], "channels_first" if layout == "torch" else "keras")
    move = nchw if layout == "torch" else (lambda x: x)
    with torch.no_grad():
        got = module(*(torch.from_numpy(move(x)) for x in xs))
    for out, want, rank4 in zip(got, expected, [True, True, False], strict=True):
        np.testing.assert_allclose(out.numpy(), move(want) if rank4 else want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("layout", ["torch", "keras"])
@pytest.mark.parametrize("first", ["rescaling_per_channel", "normalization", "random_zoom", "dropout", "activation"])
def test_onnx_runs_in_both_layouts(models, first, layout):
    onnxruntime = import_framework("onnxruntime")
    text = image_spec(FIRST_LAYERS[first])
    keras_model, (features, head), x = models(text)
    model = to_onnx(text, keras_model, layout=layout)
    metadata = {p.key: json.loads(p.value) for p in model.metadata_props}
    cf = layout == "torch"
    assert metadata[INPUT_LAYOUT_KEY] == {"input_layer": "channels_first" if cf else "keras"}
    assert metadata[OUTPUT_LAYOUT_KEY] == {"features": "channels_first" if cf else "keras", "head": "keras"}
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    assert session.get_inputs()[0].shape == (["N", 3, 8, 8] if cf else ["N", 8, 8, 3])
    got_features, got_head = session.run(["features", "head"], {"input_layer": nchw(x) if cf else x})
    np.testing.assert_allclose(got_features, nchw(features) if cf else features, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got_head, head, rtol=1e-4, atol=1e-5)


def test_onnx_defaults_to_the_keras_layout():
    model = to_onnx(image_spec(FIRST_LAYERS["rescaling"]))
    metadata = {p.key: json.loads(p.value) for p in model.metadata_props}
    assert metadata[INPUT_LAYOUT_KEY] == {"input_layer": "keras"}
    assert "layout keras" in model.doc_string


# ---------------------------------------------------------------- the command line


@pytest.fixture
def run():
    from specbridge.cli.testing import invoke

    return invoke


def test_cli_emit_layout_option(run, tmp_path):
    onnx = import_framework("onnx")
    spec_path = tmp_path / "m.spec.yaml"
    spec_path.write_text(image_spec(FIRST_LAYERS["rescaling"]))
    layouts = {}
    for option in ([], ["--layout", "keras"], ["--layout", "torch"]):
        result = run("emit", str(spec_path), "--to", "pytorch", *option)
        assert result.exit_code == 0, result.output
        layouts[tuple(option)] = constants(result.stdout)["INPUT_LAYOUT"]["input_layer"]
    assert layouts == {(): "channels_first", ("--layout", "keras"): "keras", ("--layout", "torch"): "channels_first"}
    for option, expected in (([], "keras"), (["--layout", "torch"], "channels_first")):
        out = tmp_path / "m.onnx"
        assert run("emit", str(spec_path), "--to", "onnx", "-o", str(out), *option).exit_code == 0
        metadata = {p.key: json.loads(p.value) for p in onnx.load(str(out)).metadata_props}
        assert metadata[INPUT_LAYOUT_KEY] == {"input_layer": expected}
    refused = run("emit", str(spec_path), "--to", "keras", "--layout", "torch")
    assert refused.exit_code == 2 and "--layout torch applies to --to pytorch and onnx" in refused.stderr
    assert run("emit", str(spec_path), "--to", "keras", "--layout", "keras").exit_code == 0


@pytest.mark.parametrize("layout", [None, "keras"])
def test_cli_convert_reports_the_layout(run, tmp_path, layout):
    keras = import_framework("keras")
    model = keras.Sequential([keras.Input((6, 6, 3), name="image"), keras.layers.Rescaling(0.5, name="scale"),
                              keras.layers.Conv2D(2, 3, name="conv")])
    model.save(str(tmp_path / "m.keras"))
    option = [] if layout is None else ["--layout", layout]
    result = run("convert", str(tmp_path / "m.keras"), "--to", "pytorch", "-o", str(tmp_path / "m.py"), "--samples",
                 "1", *option)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[2].startswith(f"layout {layout or 'torch'} (")
    if layout is None:
        assert lines[3] == "  input image: (N, 3, 6, 6), channels first (Keras: (N, 6, 6, 3))"
        assert lines[4].startswith("  output conv: (N, 2, 4, 4), channels first")
    else:
        assert lines[3] == "  input image: (N, 6, 6, 3), as Keras has it"
    written = runpy.run_path(str(tmp_path / "m.py"))["build_model"]()
    assert type(written).INPUT_LAYOUT == {"image": "keras" if layout else "channels_first"}
    as_json = run("convert", str(tmp_path / "m.keras"), "--to", "onnx", "-o", str(tmp_path / "m.onnx"), "--samples",
                  "1", "--format", "json", *option)
    assert json.loads(as_json.stdout)["layout"]["inputs"] == {"image": "keras"}
