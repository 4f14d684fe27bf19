"""`specbridge crosscheck`: text and json reports, exit codes, and no tracebacks on bad input."""

from __future__ import annotations

import json

import pytest
from crosscheck_helpers import spec_text

import specbridge.emit

CONV_BN = [
    {"type": "Conv2D", "name": "conv", "filters": 4, "kernel_size": 3, "padding": "same"},
    {"type": "BatchNormalization", "name": "bn"},
    {"type": "Flatten", "name": "flat"},
    {"type": "Dense", "name": "dense", "units": 3},
]


@pytest.fixture
def conv_spec(tmp_path):
    path = tmp_path / "conv.spec.json"
    path.write_text(spec_text([6, 6, 2], CONV_BN, name="conv_bn"))
    return str(path)


def test_text_report_lists_every_layer_and_the_verdict(run, conv_spec, keras, torch):
    result = run("crosscheck", conv_spec, "--backends", "pytorch,keras")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "crosscheck conv_bn: Keras vs PyTorch, float32, 4 samples, seed 0"
    assert lines[1] == "random weights drawn for Keras, copied to PyTorch"
    assert "pairs:" not in lines  # one pair: the table is its comparison
    for name, kind in (("conv", "Conv2D"), ("bn", "BatchNormalization"), ("flat", "Flatten"), ("dense", "Dense")):
        row = next(line.split() for line in lines if line.split()[:1] == [name])
        assert row[1] == kind and row[-1] == "ok"
    assert lines[-1].startswith("ok: all 4 layers agree (max abs error ")


def test_json_report_in_float64(run, conv_spec, keras, torch):
    result = run("crosscheck", conv_spec, "--dtype", "float64", "--samples", "2", "--seed", "7", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["dtype"] == "float64" and data["first_divergence"] is None
    assert data["samples"] == 2 and data["seed"] == 7 and data["atol"] == 1e-9
    assert [layer["name"] for layer in data["layers"]] == ["conv", "bn", "flat", "dense"]
    assert 0 <= data["max_abs_error"] <= 1e-9
    assert data["max_abs_error"] == max(layer["max_abs_error"] for layer in data["layers"])
    assert data["max_rel_error"] == max(layer["max_rel_error"] for layer in data["layers"])


def test_exceeding_the_tolerance_exits_1_and_names_the_first_divergent_layer(run, conv_spec, keras, torch):
    # Zero tolerance: float32 rounding alone is a divergence, first where any rounding error shows up.
    result = run("crosscheck", conv_spec, "--atol", "0", "--rtol", "0", "--format", "json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    first_inexact = next(layer["name"] for layer in data["layers"] if layer["max_abs_error"] > 0)
    assert data["ok"] is False and data["first_divergence"] == first_inexact


def test_a_planted_defect_is_named_in_the_text_verdict(run, conv_spec, keras, torch, monkeypatch):
    original = specbridge.emit.to_torch

    def pytorch_eps(source, *layout):
        model = original(source, *layout)
        model.bn.eps = 1e-5
        return model

    monkeypatch.setattr(specbridge.emit, "to_torch", pytorch_eps)
    result = run("crosscheck", conv_spec, "--backends", "keras,pytorch")
    assert result.exit_code == 1
    verdict = result.stdout.splitlines()[-1]
    assert verdict.startswith("FAILED: the models diverge first at layer 'bn' (BatchNormalization): max abs error ")
    assert "Traceback" not in result.output


def test_a_third_backend_names_the_one_that_differs(run, conv_spec, keras, torch, onnxruntime, monkeypatch):
    original = specbridge.emit.to_torch

    def pytorch_eps(source, *layout):
        model = original(source, *layout)
        model.bn.eps = 1e-5
        return model

    monkeypatch.setattr(specbridge.emit, "to_torch", pytorch_eps)
    # Keras and ONNX agree: the report names PyTorch as the one that differs.
    result = run("crosscheck", conv_spec)
    lines = result.stdout.splitlines()
    assert result.exit_code == 1 and lines[0].endswith("Keras vs PyTorch vs ONNX (onnxruntime), float32, 4 samples, seed 0")
    assert lines[-1].startswith("FAILED: PyTorch disagrees with the others first at layer 'bn' (BatchNormalization)")
    assert any(line.startswith("  keras ~ onnx: ok (max abs error") for line in lines)
    assert "DIFFERS in pytorch" in next(line for line in lines if line.split()[:1] == ["bn"])


def test_a_spec_with_errors_prints_diagnostics_and_exits_1(run, tmp_path):
    path = tmp_path / "bad.spec.json"
    path.write_text(spec_text([28, 28], [{"type": "Conv2D", "filters": 4, "kernel_size": 3}]))
    result = run("crosscheck", str(path))
    assert result.exit_code == 1
    assert "SB200 error: Conv2D expects ndim=4" in result.stdout
    assert "Traceback" not in result.output
    data = json.loads(run("crosscheck", str(path), "--format", "json").stdout)
    assert [d["code"] for d in data["diagnostics"]] == ["SB200"]


def test_a_layer_pytorch_cannot_express_is_diagnostic_sb400(run, tmp_path, keras, torch):
    path = tmp_path / "relu_lstm.spec.json"
    path.write_text(spec_text([5, 3], [{"type": "LSTM", "name": "lstm", "units": 2, "activation": "relu"}]))
    result = run("crosscheck", str(path))
    assert result.exit_code == 1, result.output
    assert "SB400 error" in result.stdout and "layer 'lstm'" in result.stdout
    assert "Traceback" not in result.output


def _hide(monkeypatch, *modules: str) -> None:
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name in modules else real_find_spec(name, *a))


def test_missing_framework_is_a_usage_error_naming_the_extra(run, conv_spec, monkeypatch):
    _hide(monkeypatch, "torch", "onnxruntime")  # one backend left: nothing to compare it with
    result = run("crosscheck", conv_spec)
    assert result.exit_code == 2
    assert "not installed: PyTorch" in result.stderr
    assert "pip install 'specbridge[keras,torch]'" in result.stderr
    result = run("crosscheck", conv_spec, "--backends", "keras,onnx")
    assert result.exit_code == 2
    assert "not installed: onnxruntime" in result.stderr and "pip install 'specbridge[keras,onnx]'" in result.stderr


def test_without_pytorch_the_default_compares_keras_and_onnx(run, conv_spec, monkeypatch, keras, onnxruntime):
    _hide(monkeypatch, "torch")
    result = run("crosscheck", conv_spec)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "crosscheck conv_bn: Keras vs ONNX (onnxruntime), float32, 4 samples, seed 0"


@pytest.mark.parametrize("args", [("--dtype", "float16"), ("--samples", "0"), ("--atol", "-1")])
def test_bad_options_are_usage_errors(run, conv_spec, args):
    assert run("crosscheck", conv_spec, *args).exit_code == 2


def test_a_missing_file_is_a_usage_error(run, tmp_path):
    result = run("crosscheck", str(tmp_path / "nope.spec.yaml"))
    assert result.exit_code == 2 and "no such file" in result.stderr
