"""Issue 6.8: verdicts and shapes where specbridge differed from Keras 3, each reproduced in real Keras.

Where Keras builds a model that then fails when it runs, the test runs it: specbridge follows the run, not the
symbolic build (docs/reliability.md, "Deliberate differences from Keras").
"""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
from _keras_multi import assert_matches_keras, check_layer, error_codes, keras_layer, keras_result, run_on_kernel

pytestmark = pytest.mark.keras


def run_keras(keras, layer: dict, input_shapes: list, dtype: str = "float32", training: bool = False,
              as_list: bool = False):
    """Build `layer` on Inputs and call the model on ones: the output shape, or the exception Keras raises."""
    tensors = [keras.Input(shape=tuple(s), dtype=dtype) for s in input_shapes]
    data = [np.ones((2, *s), dtype) for s in input_shapes]
    if len(tensors) == 1 and not as_list:
        tensors, data = tensors[0], data[0]
    model = keras.Model(tensors, keras_layer(keras, layer)(tensors))
    return tuple(model(data, training=training).shape[1:])


# ---------------------------------------------------------------- accepted, but Keras refuses it


@pytest.mark.parametrize(
    ("layer", "shape", "code"),
    [
        ({"type": "Bidirectional", "layer": {"type": "LSTM", "units": 3, "go_backwards": True}}, (5, 4), "SB012"),
        ({"type": "AveragePooling1D"}, (6, 4), "SB013"),
        ({"type": "AveragePooling2D"}, (6, 6, 4), "SB013"),
        ({"type": "AveragePooling3D"}, (6, 6, 6, 4), "SB013"),
        ({"type": "SpatialDropout1D", "rate": 0.2, "trainable": False}, (6, 4), "SB011"),
        ({"type": "SpatialDropout2D", "rate": 0.2, "trainable": True}, (6, 6, 4), "SB011"),
        ({"type": "SpatialDropout3D", "rate": 0.2, "trainable": False}, (6, 6, 6, 4), "SB011"),
    ],
    ids=["bidi-go-backwards", "avg1d-no-pool-size", "avg2d-no-pool-size", "avg3d-no-pool-size",
         "sd1-trainable", "sd2-trainable", "sd3-trainable"],
)
def test_refused_like_the_keras_constructor(keras, layer, shape, code):
    with pytest.raises((TypeError, ValueError)):
        keras_result(keras, layer, [shape])
    assert error_codes(check_layer(layer, [shape])) == [code]


@pytest.mark.parametrize("op", ["exp", "sum", "transpose", "softmax", "add"])
def test_an_op_takes_no_trainable_as_its_keras_function(keras, op):
    """Op.KERAS_REFUSES: an op has no weights to freeze; the keras.ops function raises on `trainable`."""
    function = getattr(keras.ops, op)
    operands = [keras.ops.ones((2, 4))] * (2 if op == "add" else 1)
    with pytest.raises(TypeError, match="trainable"):
        function(*operands, trainable=False)
    layer = {"type": f"ops.{op}", "trainable": False, **({"x2": 1.0} if op == "add" else {})}
    assert error_codes(check_layer(layer, [(4,)])) == ["SB011"]


def test_max_pooling_keeps_its_default_pool_size(keras):
    assert_matches_keras(keras, {"type": "MaxPooling1D"}, [(6, 4)])


# ---------------------------------------------------------------- accepted, but the model fails when Keras runs it


@pytest.mark.parametrize(
    ("layer", "shape", "dtype", "code"),
    [
        ({"type": "Activation", "activation": "threshold"}, (4,), "float32", "SB012"),
        ({"type": "Dense", "units": 2, "activation": "threshold"}, (4,), "float32", "SB012"),
        ({"type": "Softmax"}, (4, 2), "int32", "SB212"),
        ({"type": "ELU"}, (4, 2), "int32", "SB212"),
        ({"type": "Activation", "activation": "sigmoid"}, (4, 2), "int32", "SB212"),
        ({"type": "Conv1D", "filters": 2, "kernel_size": 1}, (4, 2), "int32", "SB212"),
        ({"type": "AveragePooling1D", "pool_size": 2}, (4, 2), "int32", "SB212"),
        ({"type": "TimeDistributed", "layer": {"type": "Conv1D", "filters": 2, "kernel_size": 1}}, (3, 4, 2), "int32",
         "SB212"),
        ({"type": "Dropout", "rate": 0.5, "noise_shape": [None, 3]}, (4,), "float32", "SB210"),
        ({"type": "Dropout", "rate": 0.5, "noise_shape": [None, 1, 3]}, (2, 4), "float32", "SB210"),
    ],
    ids=["threshold", "dense-threshold", "softmax-int", "elu-int", "sigmoid-int", "conv1d-int", "avgpool-int",
         "td-conv-int", "noise-shape", "noise-shape-3d"],
)
def test_keras_builds_but_fails_when_run(keras, layer, shape, dtype, code):
    keras_result(keras, layer, [shape], dtype)  # the symbolic build succeeds...
    with pytest.raises(Exception):  # noqa: B017 - TF raises several types (InvalidArgumentError, TypeError)
        run_keras(keras, layer, [shape], dtype, training=True)  # ...the call does not
    assert error_codes(check_layer(layer, [shape], dtype)) == [code]


@pytest.mark.parametrize(
    ("layer", "shape"),
    [
        ({"type": "Conv1DTranspose", "filters": 2, "kernel_size": 2, "strides": 2, "padding": "same",
          "output_padding": 0}, (4, 3)),
        ({"type": "Conv2DTranspose", "filters": 2, "kernel_size": 2, "strides": 2, "padding": "same",
          "output_padding": 0}, (4, 4, 3)),
        ({"type": "Conv2DTranspose", "filters": 2, "kernel_size": 2, "strides": 1, "padding": "same",
          "output_padding": 0}, (1, 4, 3)),  # an output of length 0
        ({"type": "Conv3DTranspose", "filters": 2, "kernel_size": 2, "strides": 2, "padding": "same",
          "output_padding": 0}, (4, 4, 4, 3)),
    ],
    ids=["1d", "2d", "2d-empty", "3d"],
)
def test_same_output_padding_that_does_not_round_back_is_an_error_on_every_cpu(keras, layer, shape):
    """TensorFlow's standard kernels refuse it; its oneDNN kernels refuse it on some CPUs (AVX2) and run it on
    others (AVX-512/AMX); PyTorch runs it. The verdict is one error everywhere, and the message says all three."""
    torch = pytest.importorskip("torch")
    symbolic = keras_result(keras, layer, [shape])[0]  # Keras builds it...
    plain = run_on_kernel(layer, shape, onednn="0")
    assert plain.startswith("refused") and "out_backprop" in plain, plain  # ...the standard kernel refuses it
    onednn = run_on_kernel(layer, shape, onednn="1")
    assert onednn.startswith("refused") or onednn == f"ran {list(symbolic)}", onednn  # this CPU's oneDNN: either
    result = check_layer(layer, [shape])
    assert error_codes(result) == ["SB210"]
    message = result.errors[0].message
    for claim in ("standard kernels", "oneDNN", "TF_ENABLE_ONEDNN_OPTS", "PyTorch", f"not {shape[0]}"):
        assert claim in message, message
    if symbolic[0] == 0:
        assert "PyTorch refuses an output of 0 cells" in message
        return
    # PyTorch runs it: its ConvTranspose with Keras's (symmetric) crop as padding gives Keras's symbolic shape
    crop = (shape[0] - 1) * layer["strides"] + layer["kernel_size"] - symbolic[0]
    conv = getattr(torch.nn, f"ConvTranspose{len(shape) - 1}d")(shape[-1], 2, 2, stride=layer["strides"],
                                                                padding=crop // 2)
    assert crop % 2 == 0 and tuple(conv(torch.ones(2, shape[-1], *shape[:-1])).shape[2:]) == symbolic[:-1]
    assert f"PyTorch's ConvTranspose runs it ({symbolic[0]} cells)" in message


@pytest.mark.parametrize(
    "layer", [{"type": "Dense", "units": 2}, {"type": "BatchNormalization"}, {"type": "LeakyReLU"}],
    ids=["dense", "batchnorm", "leaky-relu"],
)
def test_float_layers_refuse_integer_input_where_keras_casts(keras, layer):
    # Deliberately stricter: Keras runs these on int32 (keras.ops casts), PyTorch's Linear/BatchNorm/LeakyReLU
    # refuse integer tensors, and Conv/Softmax/ELU fail in Keras too: one rule for every float layer.
    torch = pytest.importorskip("torch")
    assert run_keras(keras, layer, [(4, 2)], "int32")
    with pytest.raises(RuntimeError):
        torch.nn.Linear(2, 2)(torch.ones(3, 2, dtype=torch.int32))
    assert error_codes(check_layer(layer, [(4, 2)], "int32")) == ["SB212"]


@pytest.mark.parametrize(
    "layer",
    [{"type": "Activation", "activation": "relu"}, {"type": "Flatten"}, {"type": "MaxPooling1D"},
     {"type": "Dropout", "rate": 0.5}],
    ids=["relu", "flatten", "maxpool", "dropout"],
)
def test_integer_input_stays_accepted_where_nothing_computes_in_float(keras, layer):
    assert_matches_keras(keras, layer, [(4, 2)], "int32")


@pytest.mark.parametrize("noise_shape", [[None, 1], [1, 4], [None, None]], ids=["shared-features", "batch-1", "nulls"])
def test_noise_shape_counts_the_batch_axis(keras, noise_shape):
    layer = {"type": "Dropout", "rate": 0.5, "noise_shape": noise_shape}
    assert run_keras(keras, layer, [(4,)], training=True) == (4,)
    assert_matches_keras(keras, layer, [(4,)])


def noise_shape_cases(count: int = 400, seed: int = 0) -> list[tuple[tuple, tuple]]:
    """(input shape, noise_shape) pairs: inputs of rank 1-3 with sizes 1-3, masks of 1 to rank+2 entries."""
    cases = [(shape, noise) for rank in (1, 2, 3) for shape in itertools.product((1, 2, 3), repeat=rank)
             for n in range(1, rank + 3) for noise in itertools.product((None, 1, 2, 3), repeat=n)]
    return random.Random(seed).sample(cases, count)


def test_noise_shape_broadcasts_as_keras_trains_it(keras):
    """A sweep against Keras in training, batch 7 (a size no mask entry has): Keras trains and keeps the input's
    shape exactly when specbridge accepts the noise_shape."""
    disagreements = []
    for shape, noise in noise_shape_cases():
        try:
            out = keras.layers.Dropout(0.5, noise_shape=list(noise))(np.ones((7, *shape), "float32"), training=True)
            keras_ok = tuple(out.shape) == (7, *shape)
        except Exception:  # noqa: BLE001 - TF raises InvalidArgumentError, IndexError, ValueError
            keras_ok = False
        codes = error_codes(check_layer({"type": "Dropout", "rate": 0.5, "noise_shape": list(noise)}, [shape]))
        assert codes in ([], ["SB210"]), (shape, noise, codes)
        if keras_ok != (codes == []):
            disagreements.append((shape, noise, keras_ok, codes))
    assert not disagreements, disagreements[:10]


@pytest.mark.parametrize(
    ("noise", "shape", "ok"),
    [([None, 1], (None,), True), ([None, None, 1], (None, 4), True), ([1], (None, None), True),
     ([None, 3], (None,), False), ([2], (None,), False), ([None], (3,), False), ([None, 1, 1, 1], (2, 2), False)],
    ids=["null-axis-shared", "null-steps", "one-entry", "fixed-on-null-axis", "fixed-on-null-short",
         "batch-on-features", "too-many-entries"],
)
def test_noise_shape_against_sizes_known_only_at_run_time(noise, shape, ok):
    """Only the data decides a fixed entry against a null axis (or the batch): refused, as a fixed batch is."""
    result = check_layer({"type": "Dropout", "rate": 0.5, "noise_shape": noise}, [shape])
    assert error_codes(result) == ([] if ok else ["SB210"])
    if not ok:
        assert "lines up with input axis" in result.errors[0].message or "more than" in result.errors[0].message


@pytest.mark.parametrize(
    ("layer", "shape"),
    [
        ({"type": "Conv1DTranspose", "filters": 2, "kernel_size": 3, "strides": 2, "padding": "same",
          "output_padding": 1}, (4, 3)),
        ({"type": "Conv2DTranspose", "filters": 2, "kernel_size": [2, 3], "strides": 2, "padding": "same",
          "output_padding": 1}, (3, 4, 2)),
    ],
    ids=["1d", "2d"],
)
def test_same_output_padding_that_rounds_back_is_accepted(keras, layer, shape):
    assert run_keras(keras, layer, [shape]) == assert_matches_keras(keras, layer, [shape]).output_shape


# ---------------------------------------------------------------- wrong shape: glu


@pytest.mark.parametrize(
    ("layer", "shape", "expected"),
    [
        ({"type": "Activation", "activation": "glu"}, (5, 6), (5, 3)),
        ({"type": "Dense", "units": 6, "activation": "glu"}, (4,), (3,)),
        ({"type": "Conv1D", "filters": 4, "kernel_size": 1, "activation": "glu"}, (5, 2), (5, 2)),
    ],
    ids=["activation", "dense", "conv"],
)
def test_glu_halves_the_last_axis_as_the_model_computes(keras, layer, shape, expected):
    symbolic = keras_result(keras, layer, [shape])[0]
    assert symbolic[-1] == 2 * expected[-1]  # Keras's symbolic shape keeps the axis...
    assert run_keras(keras, layer, [shape]) == expected  # ...the op halves it
    assert check_layer(layer, [shape]).records[0].output_shape == expected


def test_glu_on_an_odd_axis_fails_in_keras_and_is_refused(keras):
    layer = {"type": "Activation", "activation": "glu"}
    with pytest.raises(Exception):  # noqa: B017
        run_keras(keras, layer, [(5,)])
    assert error_codes(check_layer(layer, [(5,)])) == ["SB210"]


# ---------------------------------------------------------------- refused, but Keras runs it


@pytest.mark.parametrize("kind", ["Add", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"])
def test_a_merge_of_one_input_is_the_identity(keras, kind):
    assert run_keras(keras, {"type": kind}, [(3, 4)], as_list=True) == (3, 4)
    assert check_layer({"type": kind, "inputs": ["input_layer"]}, [(3, 4)]).records[0].output_shape == (3, 4)


def test_subtract_still_needs_two_inputs(keras):
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        run_keras(keras, {"type": "Subtract"}, [(3,)], as_list=True)
    assert error_codes(check_layer({"type": "Subtract", "inputs": ["input_layer"]}, [(3,)])) == ["SB104"]


def test_dropout_rate_one_is_accepted_and_a_bound_error_says_the_bound(keras):
    assert_matches_keras(keras, {"type": "Dropout", "rate": 1.0}, [(4,)])
    assert not run_keras(keras, {"type": "Dropout", "rate": 1.0}, [(4,)], training=True) == ()
    with pytest.raises(ValueError):
        keras.layers.Dropout(1.5)
    result = check_layer({"type": "Dropout", "rate": 1.5}, [(4,)])
    assert error_codes(result) == ["SB012"]
    assert "<= 1.0" in result.errors[0].message and "must be a number," not in result.errors[0].message


@pytest.mark.parametrize("shape", [(3, None), (None, None)], ids=["last-unknown", "all-unknown"])
def test_layer_norm_without_weights_on_an_unknown_axis(keras, shape):
    layer = {"type": "LayerNormalization", "center": False, "scale": False}
    assert_matches_keras(keras, layer, [shape])
    with pytest.raises(ValueError, match="fully-defined"):  # with gamma and beta the axis must be known
        keras_result(keras, {"type": "LayerNormalization"}, [shape])
    assert error_codes(check_layer({"type": "LayerNormalization"}, [shape])) == ["SB205"]
