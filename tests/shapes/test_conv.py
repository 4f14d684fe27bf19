"""Convolution shape rules and parameter counts, each case compared with real Keras 3 (built symbolically)."""

from __future__ import annotations

import pytest
from _keras_multi import run_on_kernel
from keras_helpers import param_id

from specbridge.check import check_text
from specbridge.report.steps import render_steps

pytestmark = pytest.mark.keras


# (layer type, arguments, input shape without batch)
MATCHES_KERAS = [
    # forward convolutions
    ("Conv1D", {"filters": 8, "kernel_size": 5}, (100, 16)),
    ("Conv1D", {"filters": 8, "kernel_size": 5, "padding": "causal", "dilation_rate": 4}, (33, 3)),
    ("Conv1D", {"filters": 8, "kernel_size": 3, "padding": "causal", "strides": 2}, (33, 3)),
    ("Conv1D", {"filters": 4, "kernel_size": 3, "padding": "SAME", "strides": 3}, (None, 6)),
    ("Conv1D", {"filters": 6, "kernel_size": 3, "groups": 3, "use_bias": False}, (20, 9)),
    ("Conv2D", {"filters": 24, "kernel_size": 8, "strides": 2}, (128, 128, 3)),
    ("Conv2D", {"filters": 5, "kernel_size": [3, 2], "strides": [2, 3], "padding": "same"}, (7, 11, 2)),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "dilation_rate": [2, 3]}, (13, 14, 2)),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "data_format": "channels_first"}, (3, 9, 10)),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "strides": 2}, (None, None, 3)),
    ("Conv3D", {"filters": 2, "kernel_size": [3, 2, 1], "strides": [1, 2, 3]}, (5, 8, 7, 3)),
    ("Conv3D", {"filters": 2, "kernel_size": 3, "padding": "same", "data_format": "channels_first"}, (4, 5, 6, 7)),
    # transposed
    ("Conv1DTranspose", {"filters": 3, "kernel_size": 4, "strides": 3}, (5, 2)),
    ("Conv1DTranspose", {"filters": 3, "kernel_size": 2, "strides": 3}, (5, 2)),
    ("Conv1DTranspose", {"filters": 3, "kernel_size": 4, "strides": 3, "padding": "same", "output_padding": 2}, (5, 2)),
    ("Conv1DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2, "output_padding": 1, "data_format": "channels_first"}, (3, 5)),
    ("Conv2DTranspose", {"filters": 4, "kernel_size": 3, "strides": 2}, (9, 9, 3)),
    ("Conv2DTranspose", {"filters": 4, "kernel_size": 3, "strides": 2, "output_padding": 1}, (9, 9, 3)),
    ("Conv2DTranspose", {"filters": 4, "kernel_size": [3, 4], "strides": [2, 3], "padding": "same"}, (7, 5, 3)),
    ("Conv2DTranspose", {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same", "output_padding": [1, 0]}, (7, 5, 3)),
    ("Conv2DTranspose", {"filters": 4, "kernel_size": 3, "output_padding": 0, "use_bias": False}, (9, 9, 3)),
    ("Conv2DTranspose", {"filters": 4, "kernel_size": 3, "dilation_rate": 2}, (None, 6, 3)),
    ("Conv3DTranspose", {"filters": 2, "kernel_size": 2, "strides": 2}, (3, 4, 5, 6)),
    ("Conv3DTranspose", {"filters": 2, "kernel_size": 3, "strides": [1, 2, 3], "padding": "same", "data_format": "channels_first"}, (6, 3, 4, 5)),
    # depthwise (Keras accepts strides > 1 with dilation > 1 here)
    ("DepthwiseConv1D", {"kernel_size": 3, "depth_multiplier": 2}, (5, 3)),
    ("DepthwiseConv1D", {"kernel_size": 3, "strides": 2, "padding": "same", "use_bias": False}, (10, 4)),
    ("DepthwiseConv1D", {"kernel_size": 3, "strides": 2, "dilation_rate": 2}, (9, 2)),
    ("DepthwiseConv2D", {"kernel_size": 3}, (9, 9, 2)),
    ("DepthwiseConv2D", {"kernel_size": 3, "strides": 2, "dilation_rate": 2}, (9, 9, 2)),
    ("DepthwiseConv2D", {"kernel_size": [3, 5], "depth_multiplier": 2, "data_format": "channels_first"}, (3, 5, 6)),
    ("DepthwiseConv2D", {"kernel_size": 3, "padding": "same", "strides": 2}, (None, 7, 4)),
    # separable
    ("SeparableConv1D", {"filters": 2, "kernel_size": 3, "depth_multiplier": 2, "use_bias": False}, (5, 3)),
    ("SeparableConv1D", {"filters": 4, "kernel_size": 5, "strides": 2, "padding": "same"}, (11, 3)),
    ("SeparableConv2D", {"filters": 4, "kernel_size": 3, "strides": 2, "dilation_rate": 2}, (9, 9, 2)),
    ("SeparableConv2D", {"filters": 8, "kernel_size": 3, "depth_multiplier": 3, "padding": "same"}, (8, 8, 5)),
    ("SeparableConv2D", {"filters": 8, "kernel_size": 3, "data_format": "channels_first"}, (5, 8, 9)),
]


@pytest.mark.parametrize("layer_type,args,shape", MATCHES_KERAS, ids=param_id)
def test_shape_and_params_match_keras(layer_type, args, shape, assert_matches_keras):
    assert_matches_keras(layer_type, args, shape)


@pytest.mark.parametrize("layer_type,args,shape", [
    ("Conv2D", {"filters": 4, "kernel_size": 3, "strides": 2}, (3, 9, 10)),
    ("Conv2DTranspose", {"filters": 4, "kernel_size": 3, "strides": 2, "output_padding": 1}, (3, 9, 10)),
    ("DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 2}, (3, 9, 10)),
    ("SeparableConv1D", {"filters": 4, "kernel_size": 3}, (3, 10)),
], ids=param_id)
def test_spec_level_channels_first_matches_keras(layer_type, args, shape, assert_matches_keras):
    assert_matches_keras(layer_type, args, shape, data_format="channels_first")


def test_layer_data_format_overrides_the_spec(specbridge_result):
    result = specbridge_result(
        "Conv2D", {"filters": 4, "kernel_size": 3, "data_format": "channels_last"}, (9, 10, 3),
        data_format="channels_first",
    )
    assert result.ok and result.records[0].output_shape == (7, 8, 4)


# (layer type, arguments, input shape, specbridge code); Keras must raise too.
REJECTED_BY_BOTH = [
    ("Conv2D", {"filters": 4, "kernel_size": 3}, (28, 28), "SB200"),
    ("Conv1D", {"filters": 4, "kernel_size": 3}, (4, 28, 28, 1), "SB200"),
    ("Conv2DTranspose", {"filters": 4, "kernel_size": 3}, (28, 28), "SB200"),
    ("DepthwiseConv1D", {"kernel_size": 3}, (9, 2, 3), "SB200"),
    ("SeparableConv2D", {"filters": 4, "kernel_size": 3}, (9, 3), "SB200"),
    ("Conv2D", {"filters": 3, "kernel_size": 5}, (3, 3, 2), "SB201"),
    ("Conv1D", {"filters": 3, "kernel_size": 3, "dilation_rate": 4}, (8, 2), "SB201"),
    ("DepthwiseConv2D", {"kernel_size": 5}, (3, 3, 2), "SB201"),
    ("SeparableConv2D", {"filters": 4, "kernel_size": 5}, (3, 3, 2), "SB201"),
    ("Conv2D", {"filters": 3, "kernel_size": 3, "strides": 2, "dilation_rate": 2}, (9, 9, 2), "SB206"),
    ("Conv2DTranspose", {"filters": 3, "kernel_size": 3, "strides": 2, "dilation_rate": 2}, (9, 9, 2), "SB206"),
    ("Conv2D", {"filters": 3, "kernel_size": 3, "padding": "causal"}, (9, 9, 2), "SB210"),
    ("Conv1DTranspose", {"filters": 3, "kernel_size": 3, "padding": "causal"}, (9, 2), "SB210"),
    ("DepthwiseConv1D", {"kernel_size": 3, "padding": "causal"}, (9, 2), "SB210"),
    ("SeparableConv1D", {"filters": 3, "kernel_size": 3, "padding": "causal"}, (9, 2), "SB210"),
    ("Conv2DTranspose", {"filters": 4, "kernel_size": 3, "strides": 2, "output_padding": 2}, (9, 9, 3), "SB210"),
    ("Conv1DTranspose", {"filters": 4, "kernel_size": 3, "output_padding": 1}, (9, 3), "SB210"),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "groups": 2}, (9, 9, 3), "SB210"),
    ("Conv2D", {"filters": 4, "kernel_size": 3}, (9, 9, None), "SB205"),
    ("Conv2DTranspose", {"filters": 4, "kernel_size": 3}, (9, 9, None), "SB205"),
    ("DepthwiseConv2D", {"kernel_size": 3}, (9, 9, None), "SB205"),
    ("SeparableConv1D", {"filters": 4, "kernel_size": 3}, (9, None), "SB205"),
]


@pytest.mark.parametrize("layer_type,args,shape,code", REJECTED_BY_BOTH, ids=param_id)
def test_rejected_by_specbridge_and_keras(layer_type, args, shape, code, assert_both_reject):
    diagnostic = assert_both_reject(layer_type, args, shape, code)
    assert diagnostic.hint, "every error carries a hint with the fix"


@pytest.mark.parametrize("args,shape", [
    ({"filters": 2, "kernel_size": 2, "padding": "same", "output_padding": 0}, (1, 3)),  # an empty axis
    # Keras's symbolic 4; TF cannot run it (no dilated transposed conv on CPU, and ceil(4 / 1) != 5).
    ({"filters": 3, "kernel_size": 2, "dilation_rate": 3, "padding": "same", "output_padding": 0}, (5, 2)),
], ids=["empty", "dilated"])
def test_transpose_same_with_output_padding_that_tf_cannot_run(args, shape, keras, specbridge_result):
    # Keras builds these (the first with an axis of length 0); TensorFlow's standard kernels fail when called
    # (docs/reliability.md). Its oneDNN kernels run some of them on some CPUs: the verdict follows the standard
    # kernels, run in a fresh process with TF_ENABLE_ONEDNN_OPTS=0, whatever this process's setting.
    keras.Model(x := keras.Input(shape), keras.layers.Conv1DTranspose(**args)(x))
    outcome = run_on_kernel({"type": "Conv1DTranspose", **args}, shape, onednn="0")
    assert outcome.startswith("refused"), outcome
    result = specbridge_result("Conv1DTranspose", args, shape)
    assert [d.code for d in result.errors] == ["SB210"]
    assert "ceil(out / strides) = input length" in result.errors[0].message


# Explicit integer padding is a PyTorch-style extension: Keras's equivalent is ZeroPadding + a 'valid' conv.
@pytest.mark.parametrize("rank,args,shape", [
    (1, {"filters": 4, "kernel_size": 3, "padding": 1}, (10, 3)),
    (2, {"filters": 4, "kernel_size": 3, "padding": [1, 2], "strides": 2}, (9, 10, 3)),
    (2, {"filters": 4, "kernel_size": 5, "padding": 2, "dilation_rate": 2}, (9, 10, 3)),
    (3, {"filters": 2, "kernel_size": 3, "padding": [0, 1, 2]}, (4, 5, 6, 1)),
], ids=param_id)
def test_explicit_padding_equals_keras_zero_padding_then_valid_conv(rank, args, shape, keras, specbridge_result):
    result = specbridge_result(f"Conv{rank}D", args, shape)
    assert result.ok, [d.message for d in result.errors]
    pads = args["padding"] if isinstance(args["padding"], list) else [args["padding"]] * rank
    x = keras.Input(shape)
    padded = getattr(keras.layers, f"ZeroPadding{rank}D")(pads[0] if rank == 1 else pads)(x)
    conv = getattr(keras.layers, f"Conv{rank}D")(**dict(args, padding="valid"))
    y = conv(padded)
    assert result.records[0].output_shape == tuple(y.shape[1:])
    assert result.records[0].params == conv.count_params()


def test_explicit_padding_transposed_matches_torch(specbridge_result):
    torch = pytest.importorskip("torch")
    result = specbridge_result(
        "Conv2DTranspose", {"filters": 4, "kernel_size": [3, 4], "strides": 2, "padding": [1, 0], "output_padding": 1},
        (5, 6, 3),
    )
    assert result.ok, [d.message for d in result.errors]
    module = torch.nn.ConvTranspose2d(3, 4, (3, 4), stride=2, padding=(1, 0), output_padding=1)
    out = module(torch.zeros(1, 3, 5, 6, device="meta"))
    assert result.records[0].output_shape == (out.shape[2], out.shape[3], out.shape[1])
    assert result.records[0].params == sum(p.numel() for p in module.parameters())


def test_explicit_padding_too_small_is_reported():
    result = check_text(
        "specbridge: 1\nname: t\ninput: {shape: [4, 4, 1]}\nlayers:\n"
        "  - {type: Conv2D, filters: 2, kernel_size: 7, padding: 1}\n", lint=False,
    )
    assert [d.code for d in result.errors] == ["SB201"]
    assert "floor((4 + 2*1 - 7) / 1) + 1 = 0" in result.errors[0].message


def test_in_channels_assertion_on_transposed_and_depthwise(specbridge_result):
    result = specbridge_result("Conv2DTranspose", {"filters": 4, "kernel_size": 3, "in_channels": 4}, (9, 9, 3))
    assert [d.code for d in result.errors] == ["SB203"]
    result = specbridge_result("DepthwiseConv2D", {"kernel_size": 3, "in_channels": 3}, (9, 9, 3))
    assert result.ok


def test_explain_steps_show_the_arithmetic(specbridge_result):
    (record,) = specbridge_result(
        "Conv2DTranspose", {"filters": 4, "kernel_size": 3, "strides": 2, "output_padding": 1}, (9, 9, 3)
    ).records
    text = render_steps(record.steps)
    assert "rows: (9 - 1) * 2 + 3 + 1 = 20" in text
    assert "params = (3*3*3 + 1) * 4 = 112" in text
    assert any("Keras (3, 3, 4, 3), PyTorch ConvTranspose2d (3, 4, 3, 3)" in s for s in text)
    (record,) = specbridge_result("SeparableConv2D", {"filters": 4, "kernel_size": 3, "depth_multiplier": 2}, (9, 9, 3)).records
    assert any("3*3*3*2 (depthwise) + 6*4 (pointwise) + 4 (bias) = 82" in s for s in render_steps(record.steps))
    (record,) = specbridge_result("DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 2}, (9, 9, 3)).records
    assert any("params = (3*3 + 1) * 3*2 = 60" in s for s in render_steps(record.steps))


def test_explain_steps_carry_the_numbers(specbridge_result):
    (record,) = specbridge_result("Conv2D", {"filters": 24, "kernel_size": 8, "strides": 2}, (128, 128, 3)).records
    rows, cols, channels, params, kernel = record.steps
    assert (rows.topic, rows.formula, dict(rows.values), rows.result) == (
        "rows", "floor((L - k) / s) + 1", {"L": 128, "k": 8, "s": 2}, 61
    )
    assert cols.topic == "cols" and cols.result == 61
    assert channels.result == 24 and channels.values["window"] == (8, 8, 3)
    assert (params.topic, params.formula, params.result) == ("params", "(prod(kernel) * channels + 1) * filters", 4632)
    assert dict(params.values) == {"kernel": (8, 8), "channels": 3, "filters": 24}
    assert kernel.values["keras"] == (8, 8, 3, 24) and kernel.values["pytorch"] == (24, 3, 8, 8)
    (record,) = specbridge_result(
        "Conv1DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2, "output_padding": 1}, (9, 3)
    ).records
    rule, steps = record.steps[:2]
    assert rule.formula == "(L - 1) * s + keff + output_padding"
    assert (steps.topic, steps.formula, steps.result) == ("steps", "(L - 1) * s + keff + op", 20)
    assert dict(steps.values) == {"L": 9, "k": 3, "d": 1, "keff": 3, "s": 2, "op": 1}


def test_nonpositive_output_uses_the_shared_message(specbridge_result):
    (error,) = specbridge_result("Conv2D", {"filters": 3, "kernel_size": 5}, (3, 3, 2)).errors
    assert error.message == (
        "output rows would be -1 (zero or negative): 3 - 5 + 1 = -1; input shape (None, 3, 3, 2), kernel_size [5, 5]"
    )


SPEC_LOCATION = """specbridge: 1
name: t
input: {shape: [8, 8, 3]}
layers:
  - type: Conv2D
    filters: 4
    kernel_size: [3, 3, 3]
  - type: Conv2DTranspose
    filters: 4
    kernel_size: 3
    output_padding: [1, 1, 1]
"""


def test_tuple_length_errors_point_at_the_argument():
    result = check_text(SPEC_LOCATION, lint=False)
    found = {(d.code, d.line) for d in result.errors}
    assert found == {("SB012", 7), ("SB012", 11)}
    messages = " ".join(d.message for d in result.errors)
    assert "`kernel_size`" in messages and "list of 2 ints" in messages
    assert "`output_padding`" in messages


def test_shape_error_points_at_the_blamed_argument():
    result = check_text(
        "specbridge: 1\nname: t\ninput: {shape: [3, 3, 2]}\nlayers:\n"
        "  - type: Conv2D\n    filters: 4\n    kernel_size: 5\n", lint=False,
    )
    (error,) = result.errors
    assert (error.code, error.line) == ("SB201", 7)
    assert "3 - 5 + 1 = -1" in error.message
