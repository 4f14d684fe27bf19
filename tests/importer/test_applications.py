"""Real models: keras.applications architectures, imported and converted as scripts/applications.py does (the full
benchmark, every model at its own input size, is `.venv/bin/python scripts/applications.py`; docs/applications.md).

CI runs the few that together use every layer type of the twelve convertible architectures (the test computes
that set from their configs and fails if the chosen ones stop covering it), at a small input size: the spec's
records equal Keras's summary layer by layer, and the PyTorch and ONNX conversions of the trained model (random
non-trivial weights) match the original in float32 within the cross-check's tolerances. ConvNeXtTiny and
InceptionResNetV2 have custom layers: one import reports every one of them (SB500, class and place).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from frameworks import import_framework

pytestmark = [pytest.mark.keras, pytest.mark.torch, pytest.mark.slow]

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "applications.py"
# The CI subset and the input size each runs at (the smallest the application accepts, or close).
CI_MODELS = {"NASNetMobile": 32, "MobileNetV3Small": 32, "EfficientNetB0": 32}
SMALL = 75  # every application accepts 75x75 (InceptionV3's minimum); configs hold the same layer types as at 224
CUSTOM_SIZES = {"ConvNeXtTiny": 32, "InceptionResNetV2": 75}
# Layers per custom class, as keras.applications builds them (18 blocks; 10 + 20 + 10 Inception-ResNet blocks).
CUSTOM_COUNTS = {"ConvNeXtTiny": 18, "InceptionResNetV2": 40}
@pytest.fixture(scope="module")
def apps():
    import_framework("keras")
    import_framework("torch")
    import_framework("onnxruntime")
    spec = importlib.util.spec_from_file_location("applications_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def ci_results(apps, tmp_path_factory):
    """name -> Result of the benchmark run on each CI model (built, trained, saved, imported, converted)."""
    return {name: apps.run_model(name, False, tmp_path_factory.mktemp(name), size=size, samples=2)
            for name, size in CI_MODELS.items()}


def test_the_ci_models_cover_every_layer_type_of_the_twelve(apps, ci_results):
    from specbridge.importer import import_keras

    used = {}
    for name in apps.CONVERTIBLE:
        types = set(ci_results[name].layer_types) if name in ci_results else \
            apps.layer_types(import_keras(apps.build(name, size=SMALL)))
        for kind in types:
            used.setdefault(kind, []).append(name)
    covered = set().union(*(set(result.layer_types) for result in ci_results.values()))
    missing = {kind: models for kind, models in used.items() if kind not in covered}
    assert not missing, f"layer types no CI model uses (type: the models that do): {missing}"
    assert len(used) >= 20, sorted(used)  # Conv2D, SeparableConv2D, Cropping2D, Normalization, ops.Add...


@pytest.mark.parametrize("name", list(CI_MODELS))
def test_an_application_imports_like_keras_and_converts_exactly(apps, ci_results, name):
    result = ci_results[name]
    assert result.error is None, result.error
    assert result.summary_equal, "\n".join(result.summary_differences)
    assert set(result.import_seconds) == {"keras", "h5"}
    for to in ("pytorch", "onnx"):
        target = result.targets[to]
        assert target.error is None, f"{to}: {target.error}"
        assert target.ok, f"{to}: first differs at {target.first_divergence} (max abs error {target.max_abs_error})"
    assert result.ok


def test_every_application_converts_to_a_module_taking_nchw(apps):
    """One input layout rule for all twelve (specbridge/layouts.py): channels first whatever the first layer (a
    convolution, Rescaling in MobileNetV3, Rescaling and Normalization in EfficientNet); the (N, 1000)
    predictions unchanged; ONNX keeps Keras's NHWC by default."""
    import ast

    from specbridge.check import check_text
    from specbridge.emit import torch_source
    from specbridge.emit.plan import make_plan
    from specbridge.importer import import_keras

    for name in apps.CONVERTIBLE:
        text = import_keras(apps.build(name, size=SMALL)).text()
        source = torch_source(text)
        found = {node.targets[0].id: ast.literal_eval(node.value) for node in ast.walk(ast.parse(source))
                 if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "").endswith("_LAYOUT")}
        assert set(found["INPUT_LAYOUT"].values()) == {"channels_first"}, (name, found["INPUT_LAYOUT"])
        boundary = make_plan(check_text(text, lint=False)).boundary
        assert list(boundary.outputs.values()) == ["keras"], name
        assert f"(N, 3, {SMALL}, {SMALL}), channels first" in source, name
        onnx_boundary = make_plan(check_text(text, lint=False), "keras").boundary
        assert set(onnx_boundary.inputs.values()) == {"keras"}, name


@pytest.mark.parametrize("name", list(CI_MODELS))
def test_the_written_module_on_nchw_data_gives_the_keras_output(apps, ci_results, name):
    """The files `convert` wrote, used as a user would: the PyTorch module fed NCHW, the ONNX file NHWC; both
    against the original Keras model loaded from the saved .keras file, with the cross-check's tolerances."""
    import runpy

    import numpy as np

    keras, torch, onnxruntime = (import_framework(m) for m in ("keras", "torch", "onnxruntime"))
    pytorch, onnx = ci_results[name].targets["pytorch"], ci_results[name].targets["onnx"]
    assert set(pytorch.layout["inputs"].values()) == {"channels_first"}
    assert set(onnx.layout["inputs"].values()) == {"keras"}
    module_path, state_path = pytorch.files
    (keras_path,) = Path(module_path).parent.glob("*.keras")
    original = keras.saving.load_model(str(keras_path))
    size = CI_MODELS[name]
    x = np.random.default_rng(5).uniform(0, 255, size=(2, size, size, 3)).astype("float32")
    expected = np.asarray(original(x, training=False))
    model = runpy.run_path(module_path)["build_model"]()
    model.load_state_dict(torch.load(state_path))
    assert set(type(model).INPUT_LAYOUT.values()) == {"channels_first"}
    with torch.no_grad():
        got = model(torch.from_numpy(np.ascontiguousarray(np.moveaxis(x, -1, 1)))).numpy()
    session = onnxruntime.InferenceSession(onnx.files[0], providers=["CPUExecutionProvider"])
    from_onnx = session.run(None, {session.get_inputs()[0].name: x})[0]
    tolerance = 1e-5 + 1e-4 * np.abs(expected).max()
    assert np.abs(got - expected).max() <= tolerance
    assert np.abs(from_onnx - expected).max() <= tolerance


@pytest.mark.parametrize("name", list(CUSTOM_SIZES))
def test_custom_layers_are_all_refused_in_one_run(apps, tmp_path, name):
    """Every LayerScale / CustomScaleLayer is named with its place, in the .keras and the .h5 import alike."""
    from specbridge.importer import import_keras

    custom = apps.CUSTOM[name]
    model = apps.build(name, size=CUSTOM_SIZES[name])
    paths = apps.save(model, tmp_path, keras2=False)
    for path in paths.values():
        imported = import_keras(path)
        assert not imported.ok
        errors, problems = apps.refusals(imported, model, custom)
        assert not problems, problems
        assert len(errors) == CUSTOM_COUNTS[name], errors  # nothing else refused
        assert all(e.startswith("SB500: layer ") and f"is class '{custom}'" in e for e in errors), errors
        assert f"at layers[{_first_index(imported, custom)}] of model '{model.name}'" in errors[0]


def _first_index(imported, custom: str) -> int:
    layers = imported.source.config["config"]["layers"]
    return next(i for i, layer in enumerate(layers) if layer["class_name"] == custom)


def test_the_benchmark_reports_a_failure_by_its_layer(apps):
    """The table shows where a conversion first differs and why one raised, not just FAIL."""
    failing = apps.Result("X", "keras", 32, 10, 100, summary_equal=True,
                          targets={"pytorch": apps.Target(1.0, False, 3.0, 1.0, "re_lu_1"),
                                   "onnx": apps.Target(0.5, error="NotExpressible: bn: ...")})
    row = apps.table_rows([failing])[1]
    assert "3.0e+00 / 1.0e+00 at re_lu_1" in row and "NotExpressible" in row and row[-1] == "FAIL"
    assert any("NotExpressible" in line for line in apps.details([failing]))
