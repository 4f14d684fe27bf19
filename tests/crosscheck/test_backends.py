"""The three-backend cross-check: Keras, PyTorch and ONNX (onnxruntime) compared pairwise.

Planted ONNX defects mirror test_defects.py: each is a real translator's mistake (TF 'same' taken as
SAME_LOWER, PyTorch's average pool counting the padding, an NCHW flatten, LSTM gates left in Keras's order, GRU's
linear_before_reset inverted), planted through the emitter's own hooks. Each test runs the intact translation of
the same spec first, so a failure is the defect's doing; then the defect must be blamed on ONNX, at its layer.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from crosscheck_helpers import checked, spec_text
from frameworks import import_framework

from specbridge.crosscheck import run_crosscheck
from specbridge.crosscheck.backends import BackendError, choose_backends, installed_backends
from specbridge.crosscheck.render import verdict
from specbridge.crosscheck.report import BACKENDS
from specbridge.emit.onnx import conv, pooling
from specbridge.emit.onnx.stage import ONNX_EMITTERS
from specbridge.spec.layers.reshaping import Flatten

THREE = ["keras", "pytorch", "onnx"]
OLD_KEYS = {"ok", "spec", "dtype", "samples", "seed", "atol", "rtol", "max_abs_error", "max_rel_error",
            "first_divergence", "layers", "skipped", "direction", "dims"}
CONV = [{"type": "Conv2D", "name": "conv", "filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"},
        {"type": "GlobalAveragePooling2D", "name": "pool"}]


@pytest.fixture
def onnx_runtime():
    return import_framework("onnxruntime")


@pytest.fixture
def conv_result():
    # 8 wide, kernel 3, stride 2: TF pads 0 before and 1 after (total padding odd).
    return checked(spec_text([8, 8, 3], CONV, name="conv_same"))


# ---------------------------------------------------------------- choosing the backends


def test_an_unknown_backend_is_refused():
    with pytest.raises(BackendError, match="unknown backend 'tflite'.*keras, pytorch, onnx"):
        choose_backends(["keras", "tflite"])


@pytest.mark.parametrize("asked", [[], ["onnx"], ["keras", "keras"]])
def test_fewer_than_two_backends_are_refused(asked):
    with pytest.raises(BackendError, match="at least two backends"):
        choose_backends(asked)


@pytest.mark.parametrize("asked", [["onnx", "keras"], ["onnx", "pytorch", "keras"], ["pytorch", "onnx"]])
def test_backends_come_in_the_canonical_order(asked):
    assert choose_backends(asked) == [b for b in BACKENDS if b in asked]


def test_by_default_every_installed_backend():
    assert choose_backends(None) == installed_backends()


# ---------------------------------------------------------------- the three-backend report


def test_three_backends_agree_pairwise(keras, torch, onnx_runtime, conv_result):
    report = run_crosscheck(conv_result, backends=THREE)
    assert report.backends == THREE and report.unavailable == {}
    assert [(p.a, p.b) for p in report.pairs] == [("keras", "pytorch"), ("keras", "onnx"), ("pytorch", "onnx")]
    assert all(p.ok and [layer.name for layer in p.layers] == ["conv", "pool"] for p in report.pairs), report.to_dict()
    assert report.ok and all(layer.disagrees is None for layer in report.layers)
    data = report.to_dict()
    assert OLD_KEYS <= set(data), OLD_KEYS - set(data)
    assert data["backends"] == THREE and data["unavailable"] == {}
    assert [(p["a"], p["b"], p["ok"]) for p in data["pairs"]] == [(a, b, True) for a, b in
                                                                    (THREE[:2], THREE[::2], THREE[1:])]
    # The merged figures are the worst pair's.
    assert data["max_abs_error"] == max(p.max_abs_error for p in report.pairs)


def test_float64_conv_leaves_onnx_out_with_the_reason(keras, torch, onnx_runtime, conv_result):
    """onnxruntime's CPU provider has no float64 Conv: a default run compares the two frameworks and says why."""
    report = run_crosscheck(conv_result, dtype="float64")
    assert report.backends == ["keras", "pytorch"] and len(report.pairs) == 1 and report.ok
    assert "Conv" in report.unavailable["onnx"] and "float64" in report.unavailable["onnx"]


def test_float64_conv_with_only_keras_and_onnx_asked_is_an_error(keras, onnx_runtime, conv_result):
    with pytest.raises(BackendError, match="Conv"):
        run_crosscheck(conv_result, dtype="float64", backends=["keras", "onnx"])


def test_torch_to_keras_gives_onnx_the_torch_weights(keras, torch, onnx_runtime, conv_result, monkeypatch):
    from specbridge.emit.onnx import weights

    read = {"torch": 0, "keras": 0}
    for cls, key in ((weights.TorchWeights, "torch"), (weights.KerasWeights, "keras")):
        def counted(self, *args, _original=cls.array, _key=key):
            read[_key] += 1
            return _original(self, *args)

        monkeypatch.setattr(cls, "array", counted)
    report = run_crosscheck(conv_result, direction="torch_to_keras", backends=THREE)
    assert report.ok, report.to_dict()
    assert report.backends == ["pytorch", "keras", "onnx"]  # the reference (weights' source) first
    assert read["torch"] > 0 and read["keras"] == 0, read


# ---------------------------------------------------------------- planted ONNX defects


def assert_blames_onnx(result, layer: str, plant) -> None:
    """The intact translation passes; with `plant()` applied ONNX alone differs, first at `layer`."""
    intact = run_crosscheck(result, backends=THREE)
    assert intact.ok, intact.to_dict()
    plant()
    report = run_crosscheck(result, backends=THREE)
    assert not report.ok, "the planted defect went unnoticed"
    assert report.first_divergence == layer, report.to_dict()
    assert report.layer(layer).disagrees == "onnx", report.to_dict()
    keras_torch = next(p for p in report.pairs if {p.a, p.b} == {"keras", "pytorch"})
    assert keras_torch.ok  # the frameworks still agree: the blame is on ONNX alone
    assert f"FAILED: ONNX (onnxruntime) disagrees with the others first at layer '{layer}'" in verdict(report)


def test_same_lower_on_a_strided_conv(keras, torch, onnx_runtime, conv_result, monkeypatch):
    assert_blames_onnx(conv_result, "conv", lambda: monkeypatch.setattr(conv, "SAME", "SAME_LOWER"))


def test_same_lower_on_a_max_pool(keras, torch, onnx_runtime, monkeypatch):
    # 8 wide, window 3, stride 2: TF pads 0 before and 1 after.
    layers = [{"type": "MaxPooling2D", "name": "pool", "pool_size": 3, "strides": 2, "padding": "same"},
              {"type": "Flatten", "name": "flat"}]
    result = checked(spec_text([8, 8, 3], layers))
    assert_blames_onnx(result, "pool", lambda: monkeypatch.setattr(conv, "SAME", "SAME_LOWER"))


def test_average_pool_counting_the_padding(keras, torch, onnx_runtime, monkeypatch):
    layers = [{"type": "AveragePooling2D", "name": "pool", "pool_size": 3, "strides": 2, "padding": "same"},
              {"type": "Flatten", "name": "flat"}]
    result = checked(spec_text([8, 8, 3], layers))
    assert_blames_onnx(result, "pool", lambda: monkeypatch.setattr(pooling, "COUNT_INCLUDE_PAD", 1))


def flatten_channels_first(layer, ctx) -> str:
    """PyTorch's habit: flatten (c, h, w) although Keras flattens (h, w, c) under channels_last."""
    return ctx.g.node("Flatten", [ctx.g.transpose(ctx.x, [0, 3, 1, 2])], axis=1)


def test_flatten_in_nchw_order(keras, torch, onnx_runtime, monkeypatch):
    layers = [{"type": "Conv2D", "name": "conv", "filters": 4, "kernel_size": 3},
              {"type": "Flatten", "name": "flat"},
              {"type": "Dense", "name": "dense", "units": 5}]
    result = checked(spec_text([8, 8, 3], layers))
    assert_blames_onnx(result, "flat",
                       lambda: monkeypatch.setitem(ONNX_EMITTERS.entries, Flatten, flatten_channels_first))


def test_lstm_gates_left_in_keras_order(keras, torch, onnx_runtime, monkeypatch):
    from specbridge.emit.onnx import recurrent

    assert tuple(recurrent.LSTM_GATES) == (0, 3, 1, 2)  # Keras i, f, c, o -> ONNX i, o, f, c
    layers = [{"type": "LSTM", "name": "lstm", "units": 4, "return_sequences": True},
              {"type": "Dense", "name": "dense", "units": 2}]
    result = checked(spec_text([6, 5], layers))
    assert_blames_onnx(result, "lstm", lambda: monkeypatch.setattr(recurrent, "LSTM_GATES", (0, 1, 2, 3)))


def test_gru_linear_before_reset_inverted(keras, torch, onnx_runtime, monkeypatch):
    # Hook name to align with specbridge/emit/onnx/recurrent.py: linear_before_reset(layer) -> int.
    from specbridge.emit.onnx import recurrent

    layers = [{"type": "GRU", "name": "gru", "units": 4, "return_sequences": True},
              {"type": "Dense", "name": "dense", "units": 2}]
    result = checked(spec_text([6, 5], layers))
    assert_blames_onnx(result, "gru", lambda: monkeypatch.setattr(
        recurrent, "linear_before_reset", lambda layer: 1 - int(layer.reset_after)))


# ---------------------------------------------------------------- the CLI


@pytest.fixture
def conv_spec(tmp_path):
    path = tmp_path / "conv.spec.json"
    path.write_text(spec_text([8, 8, 3], CONV, name="conv_same"))
    return str(path)


def test_emit_onnx_writes_a_model_file(run, conv_spec, tmp_path):
    onnx = import_framework("onnx")
    target = tmp_path / "model.onnx"
    result = run("emit", conv_spec, "--to", "onnx", "-o", str(target), "--seed", "4")
    assert result.exit_code == 0, result.output
    model = onnx.load(str(target))
    onnx.checker.check_model(model, full_check=True)
    assert [o.name for o in model.graph.output] == ["pool"]


def test_emit_onnx_past_protobufs_limit_keeps_the_weights_beside_the_model(run, tmp_path, monkeypatch, onnx_runtime):
    from specbridge.cli import emit

    onnx = import_framework("onnx")
    conv_spec = tmp_path / "dense.spec.json"  # weights over onnx's 1 KiB threshold for external data
    conv_spec.write_text(spec_text([8, 8, 3], [{"type": "Flatten"}, {"type": "Dense", "units": 32}], name="wide"))
    conv_spec = str(conv_spec)
    monkeypatch.setattr(emit, "PROTOBUF_LIMIT", 100)  # as if the weights were over 2 GiB
    target = tmp_path / "big.onnx"
    result = run("emit", conv_spec, "--to", "onnx", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert "big.onnx.data" in result.stderr and (tmp_path / "big.onnx.data").stat().st_size > 0
    onnx.checker.check_model(str(target), full_check=True)
    whole = tmp_path / "whole.onnx"
    monkeypatch.setattr(emit, "PROTOBUF_LIMIT", 2**31 - 1)
    assert run("emit", conv_spec, "--to", "onnx", "-o", str(whole)).exit_code == 0
    x = np.random.default_rng(0).normal(size=(2, 8, 8, 3)).astype("float32")
    assert (tmp_path / "whole.onnx").stat().st_size > target.stat().st_size + 24_000  # 192 * 32 float32 moved out
    outputs = [onnx_runtime.InferenceSession(str(p)).run(None, {"input_layer": x})[0] for p in (target, whole)]
    np.testing.assert_array_equal(*outputs)


def test_emit_onnx_needs_an_output_file(run, conv_spec):
    result = run("emit", conv_spec, "--to", "onnx")
    assert result.exit_code == 2 and "-o" in result.output and "Traceback" not in result.output


def test_crosscheck_of_onnx_alone_is_a_usage_error(run, conv_spec):
    result = run("crosscheck", conv_spec, "--backends", "onnx")
    assert result.exit_code == 2 and "at least two" in result.output and "Traceback" not in result.output


def test_crosscheck_keras_and_onnx_as_json(run, conv_spec, keras, onnx_runtime):
    result = run("crosscheck", conv_spec, "--backends", "keras,onnx", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["backends"] == ["keras", "onnx"]
    assert [(p["a"], p["b"], p["ok"]) for p in data["pairs"]] == [("keras", "onnx", True)]
    assert [layer["name"] for layer in data["pairs"][0]["layers"]] == ["conv", "pool"]


def test_a_planted_onnx_defect_is_named_in_the_cli_verdict(run, conv_spec, keras, torch, onnx_runtime,
                                                            monkeypatch):
    monkeypatch.setattr(conv, "SAME", "SAME_LOWER")
    result = run("crosscheck", conv_spec, "--backends", "keras,pytorch,onnx")
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines()[-1].startswith(
        "FAILED: ONNX (onnxruntime) disagrees with the others first at layer 'conv' (Conv2D): ")
    assert "Traceback" not in result.output
