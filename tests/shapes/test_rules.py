"""The pure shape arithmetic in specbridge.shapes.rules: its docstring examples, and sweeps against
Keras 3's own shape functions (keras/src/ops/operation_utils.py, keras/src/backend/common/backend_utils.py)."""

from __future__ import annotations

import doctest
import itertools

import pytest

from specbridge.report.steps import render_step
from specbridge.shapes import rules


def test_docstring_examples():
    failures, tried = doctest.testmod(rules, verbose=False, report=True)
    assert tried >= 20, "rules.py lost its examples"
    assert failures == 0


@pytest.mark.parametrize("fn,args", [
    (rules.conv_output_length, (3, 1, "valid")),
    (rules.pool_output_length, (2, 2, "same")),
    (rules.explicit_padding_length, (3, 1, 1)),
    (rules.deconv_output_length, (3, 2, "valid", 1)),
    (rules.explicit_deconv_length, (3, 2, 1)),
    (rules.padded_length, (1, 2)),
    (rules.cropped_length, (1, 2)),
    (rules.upsampled_length, (2,)),
])
def test_unknown_in_unknown_out(fn, args):
    assert fn(None, *args).result is None


@pytest.mark.parametrize("step,text", [
    (rules.conv_output_length(128, 8, 2, "valid", axis="rows"), "rows: floor((128 - 8) / 2) + 1 = 61"),
    (rules.conv_output_length(7, 3, 2, "same"), "length: ceil(7 / 2) = 4"),
    (rules.conv_output_length(7, 3, 1, "causal"), "length: causal padding keeps 7"),
    (rules.conv_output_length(10, 3, 1, "valid", dilation=2), "length: 10 - 5 (dilated kernel (k-1)*d+1) + 1 = 6"),
    (rules.conv_output_length(None, 3, 1, "valid", axis="cols"), "cols: unknown in, unknown out"),
    (rules.pool_output_length(25, 2, 1, "same"), "length: 'same' padding with stride 1 keeps 25"),
    (rules.pool_output_length(3, 5, 5, "valid"), "length: floor((3 - 5) / 5) + 1 = 0"),
    (rules.explicit_padding_length(7, 3, 1, 1, dilation=2), "length: floor((7 + 2*1 - 5) / 1) + 1 = 5"),
    (rules.deconv_output_length(5, 3, 2, "valid"), "length: (5 - 1) * 2 + max(3, 2) = 11"),
    (rules.deconv_output_length(5, 3, 2, "same"), "length: 5 * 2 = 10"),
    (rules.deconv_output_length(9, 3, 2, "valid", output_padding=1), "length: (9 - 1) * 2 + 3 + 1 = 20"),
    (rules.deconv_output_length(5, 4, 3, "same", output_padding=2), "length: (5 - 1) * 3 + (4 % 2) + 2 = 14"),
    (rules.explicit_deconv_length(5, 4, 2, 1, output_padding=1), "length: (5 - 1) * 2 - 2*1 + 4 + 1 = 11"),
    (rules.padded_length(28, 2, 2), "length: 28 + 2 + 2 = 32"),
    (rules.cropped_length(5, 2, 3), "length: 5 - 2 - 3 = 0"),
    (rules.upsampled_length(7, 3), "length: 7 * 3 = 21"),
])
def test_length_steps_render_their_arithmetic(step, text):
    assert render_step(step) == text


def test_same_padding_matches_the_reference_split():
    # REFERENCE.md: L=7,k=3,s=2 -> (1,1); L=8,k=3,s=2 -> (0,1); stride 1 -> total d(k-1).
    assert rules.same_padding(7, 3, 2) == (1, 1)
    assert rules.same_padding(8, 3, 2) == (0, 1)
    assert sum(rules.same_padding(10, 3, 1, dilation=3)) == 6


@pytest.fixture(scope="module")
def keras_shape_functions(keras):
    from keras.src.backend.common import backend_utils
    from keras.src.ops import operation_utils

    return operation_utils, backend_utils


LENGTHS, KERNELS, STRIDES, DILATIONS = range(1, 13), range(1, 6), range(1, 4), range(1, 4)


@pytest.mark.keras
def test_conv_length_sweep_matches_keras(keras_shape_functions):
    operation_utils, _ = keras_shape_functions
    checked = 0
    paddings = ("valid", "same", "causal")
    for length, k, s, d, padding in itertools.product(LENGTHS, KERNELS, STRIDES, DILATIONS, paddings):
        if s > 1 and d > 1:
            continue
        ours = rules.conv_output_length(length, k, s, padding, d).result
        try:
            theirs = operation_utils.compute_conv_output_shape(
                (1, length, 1), 1, (k,), strides=s, padding=padding, dilation_rate=d
            )[1]
        except ValueError:
            theirs = None  # Keras refuses sizes <= 0
        assert (ours if ours > 0 else None) == theirs, (length, k, s, d, padding)
        checked += 1
    assert checked == 900


@pytest.mark.keras
def test_pool_length_sweep_matches_keras(keras_shape_functions):
    operation_utils, _ = keras_shape_functions
    for length, k, s, padding in itertools.product(LENGTHS, KERNELS, STRIDES, ("valid", "same")):
        ours = rules.pool_output_length(length, k, s, padding).result
        try:
            theirs = operation_utils.compute_pooling_output_shape((1, length, 1), (k,), (s,), padding)[1]
        except ValueError:
            theirs = None
        assert (ours if ours > 0 else None) == theirs, (length, k, s, padding)


@pytest.mark.keras
def test_deconv_length_sweep_matches_keras(keras_shape_functions):
    _, backend_utils = keras_shape_functions
    for length, k, s, d, padding in itertools.product(LENGTHS, KERNELS, STRIDES, DILATIONS, ("valid", "same")):
        for output_padding in (None, *range(s)):
            ours = rules.deconv_output_length(length, k, s, padding, output_padding, d).result
            theirs = backend_utils.compute_conv_transpose_output_shape(
                (1, length, 1), (k,), 1, s, padding, output_padding=output_padding, dilation_rate=d
            )[1]
            assert ours == theirs, (length, k, s, d, padding, output_padding)


@pytest.mark.keras
def test_reshape_matches_keras(keras_shape_functions):
    operation_utils, _ = keras_shape_functions
    for shape, target in [((4, 4, 8), [-1, 8]), ((12,), [3, 4]), ((None, 10), [-1, 5]), ((6, 6), [2, -1, 3])]:
        ours, _, _ = rules.reshape_output(shape, target)
        assert ours == tuple(operation_utils.compute_reshape_output_shape(shape, target, "target_shape"))
    for shape, target in [((12,), [3, 5]), ((12,), [-1, 5])]:
        assert rules.reshape_output(shape, target)[0] is None
        with pytest.raises(ValueError):
            operation_utils.compute_reshape_output_shape(shape, target, "target_shape")
