"""The lint warnings SB300-SB304: one test per rule that fires, and one where it must not.

Specs are written inline, one layer per line, so each warning's line is the layer's line.
"""

from __future__ import annotations

import textwrap

import pytest
from _keras_multi import assert_matches_keras

from specbridge.check import check_text
from specbridge.diagnostics.model import Severity
from specbridge.shapes import lint as lint_rules


def spec(body: str, *, input_shape="[32, 32, 3]", header: str = "") -> str:
    """A spec whose first layer is on line 5 (line 6 with a one-line header)."""
    layers = textwrap.dedent(body).strip("\n")
    layers = "\n".join("  " + line for line in layers.splitlines())
    return f"specbridge: 1\nname: t\n{header}input: {{shape: {input_shape}}}\nlayers:\n{layers}\n"


def warnings(text: str, code: str):
    result = check_text(text)
    assert result.ok, [d.message for d in result.errors]
    return [d for d in result.diagnostics if d.code == code]


# --- SB300 pooling-no-downsample ----------------------------------------------------------------


def test_pooling_with_stride_1_and_same_padding_is_flagged_at_its_strides():
    text = spec("""
        - {type: Conv2D, filters: 15, kernel_size: 5, padding: same}
        - {type: MaxPooling2D, pool_size: 2, strides: 1, padding: same}
    """, input_shape="[25, 20, 7]")
    (w,) = warnings(text, "SB300")
    assert w.severity is Severity.WARNING
    assert (w.line, w.layer) == (6, "max_pooling2d")
    assert w.column == text.splitlines()[5].index("strides") + 1
    assert "(25, 20, 15) -> (25, 20, 15)" in w.message
    assert "strides: 2" in w.hint


def test_downsampling_pooling_and_inception_pool_branches_are_not_flagged():
    assert not warnings(spec("""
        - {type: MaxPooling2D, pool_size: 2, padding: same}
        - {type: AveragePooling2D, pool_size: 3, strides: 2, padding: same}
        - {type: MaxPooling2D, pool_size: 2, strides: 1}
    """), "SB300")
    # A pool beside other branches reading the same tensor keeps the size on purpose (Inception).
    inception = """specbridge: 1
name: t
inputs: [{name: x, shape: [8, 8, 16]}]
layers:
  - {type: Conv2D, name: a, inputs: [x], filters: 4, kernel_size: 1}
  - {type: MaxPooling2D, name: p, inputs: [x], pool_size: 3, strides: 1, padding: same}
  - {type: Concatenate, inputs: [a, p]}
"""
    assert not warnings(inception, "SB300")


# --- SB301 dense-dominates-params ---------------------------------------------------------------


def test_dense_after_flatten_holding_most_weights_is_flagged_with_numbers():
    text = spec("""
        - {type: Conv2D, filters: 50, kernel_size: 3, padding: same}
        - {type: Flatten}
        - {type: Dropout, rate: 0.5}
        - {type: Dense, units: 100}
        - {type: Dense, units: 10}
    """)
    (w,) = warnings(text, "SB301")
    assert (w.line, w.layer) == (8, "dense")
    # 32*32*50 = 51,200 inputs x 100 units + 100 = 5,120,100 of 5,122,510 (1,400 + 5,120,100 + 1,010).
    assert "5,120,100 of the model's 5,122,510 parameters (100.0%)" in w.message
    assert "32 * 32 * 50 = 51,200" in w.message
    assert "GlobalAveragePooling2D (50 features instead of 51,200)" in w.hint


def test_dense_below_either_threshold_is_not_flagged():
    # Most of the weights (99%) but under 1,000,000 parameters.
    assert not warnings(spec("""
        - {type: Flatten}
        - {type: Dense, units: 10}
    """), "SB301")
    # Over 1,000,000 parameters but not the majority: the second Dense is bigger.
    assert not warnings(spec("""
        - {type: Flatten}
        - {type: Dense, units: 400}
        - {type: Dense, units: 4000}
    """), "SB301")
    # Over both thresholds but not fed by a Flatten.
    assert not warnings(spec("""
        - {type: Dense, units: 2000}
    """, input_shape="[1000]"), "SB301")


def test_dominance_thresholds_are_the_documented_ones():
    assert lint_rules.DOMINANT_SHARE == 0.5
    assert lint_rules.DOMINANT_MIN_PARAMS == 1_000_000


# --- SB302 suspicious-data-format ---------------------------------------------------------------


def test_channels_first_looking_input_under_channels_last_is_flagged_at_the_input():
    text = spec("""
        - {type: Conv2D, filters: 8, kernel_size: 3, padding: same}
    """, input_shape="[3, 32, 32]")
    (w,) = warnings(text, "SB302")
    assert w.line == 3 and w.layer == "conv2d"
    assert "looks channels_first" in w.message and "3 rows, 32 cols and 32 channels" in w.message
    assert "data_format: channels_first" in w.hint and "(32, 32, 3)" in w.hint


def test_channels_last_looking_input_under_channels_first_is_flagged():
    text = spec("""
        - {type: Conv2D, filters: 8, kernel_size: 3, padding: same}
    """, input_shape="[32, 32, 3]", header="data_format: channels_first\n")
    (w,) = warnings(text, "SB302")
    assert w.line == 4 and "looks channels_last" in w.message and "(3, 32, 32)" in w.hint


def test_layouts_that_match_their_data_format_are_not_flagged():
    conv = "- {type: Conv2D, filters: 8, kernel_size: 3, padding: same}"
    assert not warnings(spec(conv, input_shape="[32, 32, 3]"), "SB302")
    assert not warnings(spec(conv, input_shape="[3, 32, 32]", header="data_format: channels_first\n"), "SB302")
    # Not read by a convolution: a (3, 64) sequence with 64 features is ordinary.
    assert not warnings(spec("- {type: Dense, units: 4}", input_shape="[3, 64]"), "SB302")


@pytest.mark.parametrize(
    "inner", ["{type: MaxPooling1D}", "{type: Conv1D, filters: 2, kernel_size: 1}"], ids=["pool", "conv"]
)
def test_time_distributed_step_with_an_unknown_axis_is_not_a_layout_question(keras, inner):
    # Issue 6.8: [2, null, 1] through TimeDistributed gives each step (null, 1); SB302 compared null with 4
    # and crashed the check (exit 2). Keras builds it; specbridge checks it without a warning.
    import yaml

    layer = yaml.safe_load(f"{{type: TimeDistributed, layer: {inner}}}")
    assert_matches_keras(keras, layer, [(2, None, 1)])
    result = check_text(spec(f"- {{type: TimeDistributed, layer: {inner}}}", input_shape="[2, null, 1]"))
    assert result.ok and not result.warnings, result.diagnostics


# --- SB303 asymmetric-same-padding --------------------------------------------------------------


def test_strided_same_conv_with_odd_total_padding_gives_the_exact_split():
    text = spec("""
        - {type: Conv2D, filters: 8, kernel_size: 3, strides: 2, padding: same}
    """, input_shape="[8, 7, 3]")
    (w,) = warnings(text, "SB303")
    assert (w.line, w.layer) == (5, "conv2d")
    assert w.column == text.splitlines()[4].index("padding") + 1
    # rows 8: (4 - 1)*2 + 3 - 8 = 1 -> (0, 1); cols 7: (4 - 1)*2 + 3 - 7 = 2 -> (1, 1), symmetric.
    assert "rows: max((ceil(8/2) - 1)*2 + 3 - 8, 0) = 1 -> 0 before, 1 after" in w.message
    assert "cols:" not in w.message
    assert "PyTorch" in w.message
    assert "F.pad(x, (1, 1, 0, 1))" in w.hint


def test_strided_same_max_pooling_pads_with_minus_infinity_in_the_hint():
    (w,) = warnings(spec("""
        - {type: MaxPooling1D, pool_size: 4, strides: 2, padding: same}
    """, input_shape="[9, 3]"), "SB303")
    # 9 steps: (5 - 1)*2 + 4 - 9 = 3 -> 1 before, 2 after.
    assert "1 before, 2 after" in w.message
    assert "F.pad(x, (1, 2), value=-inf)" in w.hint


def test_symmetric_or_unstrided_same_padding_is_not_flagged():
    assert not warnings(spec("""
        - {type: Conv2D, filters: 8, kernel_size: 3, strides: 2, padding: same}
    """, input_shape="[7, 7, 3]"), "SB303")
    assert not warnings(spec("""
        - {type: Conv2D, filters: 8, kernel_size: 4, padding: same}
        - {type: Conv2D, filters: 8, kernel_size: 3, strides: 2}
    """), "SB303")


# --- SB304 softmax-not-last ---------------------------------------------------------------------


def test_softmax_feeding_another_layer_is_flagged_at_its_activation():
    text = spec("""
        - {type: Flatten}
        - {type: Dense, units: 64, activation: softmax}
        - {type: Dense, units: 10}
    """)
    (w,) = warnings(text, "SB304")
    assert (w.line, w.layer) == (6, "dense")
    assert w.column == text.splitlines()[5].index("activation") + 1
    assert "feeds 'dense_1'" in w.message


def test_softmax_layers_are_flagged_too():
    text = spec("""
        - {type: Conv2D, filters: 4, kernel_size: 3}
        - {type: Softmax}
        - {type: GlobalAveragePooling2D}
    """)
    (w,) = warnings(text, "SB304")
    assert (w.line, w.layer) == (6, "softmax")


def test_softmax_on_the_last_layer_is_not_flagged():
    assert not warnings(spec("""
        - {type: Flatten}
        - {type: Dense, units: 10, activation: softmax}
    """), "SB304")
    assert not warnings(spec("""
        - {type: Flatten}
        - {type: Dense, units: 10}
        - {type: Activation, activation: softmax}
    """), "SB304")


# --- the linter as a whole ----------------------------------------------------------------------


def test_lint_only_warns_and_runs_on_specs_with_errors():
    # The Conv2D fails (3 rows < a 5x5 kernel), yet the layout warning that explains why still appears.
    result = check_text(spec("- {type: Conv2D, filters: 8, kernel_size: 5}", input_shape="[3, 32, 32]"))
    assert [d.code for d in result.errors] == ["SB201"]
    assert [d.code for d in result.warnings] == ["SB302"]


def test_lint_can_be_turned_off():
    text = spec("- {type: Conv2D, filters: 8, kernel_size: 3, padding: same}", input_shape="[3, 32, 32]")
    assert check_text(text, lint=False).diagnostics == []
