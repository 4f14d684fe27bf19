"""Rescaling, Normalization and the image augmentation layers against real Keras 3: shapes, count_params() and its
trainable split, output dtypes, what each layer computes at inference, and the arguments Keras's constructors refuse.
"""

from __future__ import annotations

import numpy as np
import pytest
from _keras_multi import assert_matches_keras, check_layer, error_codes, keras_layer, keras_result, only_record

from specbridge.report.steps import render_steps

pytestmark = pytest.mark.keras

AUGMENTATION = {
    "RandomFlip": {},
    "RandomRotation": {"factor": 0.2},
    "RandomZoom": {"height_factor": 0.2},
    "RandomContrast": {"factor": 0.5},
    "RandomTranslation": {"height_factor": 0.2, "width_factor": 0.2},
}


def aug(kind, **args):
    return {"type": kind, **AUGMENTATION.get(kind, {}), **args}


def norm(**args):
    return {"type": "Normalization", **args}


# (layer, input shape without batch, input dtype)
MATCHES_KERAS = [
    ({"type": "Rescaling", "scale": 1 / 255}, (8, 8, 3), "float32"),
    ({"type": "Rescaling", "scale": 1 / 127.5, "offset": -1}, (8, 8, 3), "uint8"),
    ({"type": "Rescaling", "scale": [0.5, 1.0, 2.0], "offset": [0.0, 0.1, 0.2]}, (None, None, 3), "float32"),
    ({"type": "Rescaling", "scale": 2.0, "trainable": False}, (5,), "int32"),
    (norm(), (8, 8, 3), "float32"),  # adapted: mean, variance (3 each) and count
    (norm(), (5,), "float32"),
    (norm(), (None, None, 3), "float32"),  # only the kept axes must be known
    (norm(axis=None), (8, 8, 3), "float32"),  # one mean for everything: scalar variables
    (norm(axis=[1, 2]), (4, 5, 3), "float32"),
    (norm(axis=[-1, 1]), (4, 3), "float32"),
    (norm(axis=1), (3, 8, 8), "float32"),
    (norm(invert=True, trainable=False), (6,), "int32"),
    (norm(mean=[1.0, 2.0, 3.0], variance=[1.0, 4.0, 9.0]), (8, 8, 3), "float32"),  # constants: no variables
    (norm(mean=0.5, variance=2.0, axis=None), (4, 3), "float32"),
    (norm(mean=[0.5], variance=[2.0]), (4, 3), "float32"),  # broadcast along the kept axis
    (norm(axis=[1, 2], mean=[0.5, 1.0, 2.0], variance=[1.0, 1.0, 1.0]), (4, 3), "float32"),  # aligned from the right
    (norm(axis=[1, 2], mean=[[0.5, 1.0, 2.0]], variance=[[1.0, 1.0, 1.0]]), (4, 3), "float32"),
    *[(aug(kind), (8, 9, 3), "float32") for kind in AUGMENTATION],
    *[(aug(kind, data_format="channels_first"), (3, 8, 9), "uint8") for kind in AUGMENTATION],
    (aug("RandomFlip", mode="horizontal", seed=7), (None, None, 3), "float32"),
    (aug("RandomRotation", factor=[-0.1, 0.3], fill_mode="constant", interpolation="nearest", fill_value=1.0),
     (8, 8, 1), "float32"),
    (aug("RandomZoom", height_factor=[-0.3, 0.1], width_factor=0.4, fill_mode="wrap"), (8, 8, 1), "float32"),
    (aug("RandomContrast", factor=[0.1, 0.9], value_range=[0, 1]), (8, 8, 1), "float32"),
    (aug("RandomTranslation", height_factor=-1.0, width_factor=[0.0, 1.0], fill_mode="nearest"), (8, 8, 1),
     "float32"),
    ({"type": "RandomCrop", "height": 4, "width": 5}, (8, 9, 3), "float32"),
    ({"type": "RandomCrop", "height": 8, "width": 9}, (8, 9, 3), "float32"),
    ({"type": "RandomCrop", "height": 10, "width": 3}, (None, None, 3), "float32"),  # larger: resized in training
    ({"type": "RandomCrop", "height": 4, "width": 5, "data_format": "channels_first"}, (3, 8, 9), "float32"),
]


def case_id(case):
    layer, shape, dtype = case
    args = ",".join(f"{k}={v}" for k, v in layer.items() if k != "type")
    return f"{layer['type']}({args})-{shape}-{dtype}".replace(" ", "")


@pytest.mark.parametrize("case", MATCHES_KERAS, ids=case_id)
def test_matches_keras(keras, case):
    layer, shape, dtype = case
    assert_matches_keras(keras, layer, [shape], dtype)


def run_keras(keras, layer: dict, x: np.ndarray, training: bool = False):
    """The layer in a model, called on x: (symbolic output shape without batch, the output)."""
    inputs = keras.Input(shape=x.shape[1:], dtype=str(x.dtype))
    outputs = keras_layer(keras, layer)(inputs)
    model = keras.Model(inputs, outputs)
    return tuple(outputs.shape[1:]), model(x, training=training)


IMAGES = np.random.default_rng(0).uniform(0, 255, (8, 6, 7, 3))


@pytest.mark.parametrize("dtype", ["uint8", "int32", "float32", "float64", "bool"])
@pytest.mark.parametrize(
    "layer",
    [*(aug(kind) for kind in AUGMENTATION), {"type": "RandomCrop", "height": 6, "width": 7},
     {"type": "Rescaling", "scale": 0.5}, norm(mean=1.0, variance=4.0)],
    ids=lambda layer: layer["type"],
)
def test_output_dtype_is_the_one_keras_computes_at_inference(keras, layer, dtype):
    """Keras casts to float32, except RandomContrast and RandomCrop, which return the input as it is at inference
    (their symbolic dtype says float32). A float input keeps its float dtype in specbridge (as for every layer)."""
    _, out = run_keras(keras, layer, IMAGES.astype(dtype))
    record = only_record(check_layer(layer, [IMAGES.shape[1:]], dtype))
    if dtype.startswith("float"):
        assert record.output.dtype == dtype
    else:
        assert record.output.dtype == out.dtype.name


@pytest.mark.parametrize("kind", AUGMENTATION)
def test_augmentation_is_the_identity_at_inference(keras, kind):
    layer = aug(kind, seed=3)
    symbolic, out = run_keras(keras, layer, IMAGES.astype("float32"))
    np.testing.assert_array_equal(np.asarray(out), IMAGES.astype("float32"))
    _, trained = run_keras(keras, layer, IMAGES.astype("float32"), training=True)
    assert not np.array_equal(np.asarray(trained), IMAGES.astype("float32"))  # not vacuous: training transforms
    record = only_record(check_layer(layer, [IMAGES.shape[1:]]))
    assert record.output_shape == symbolic
    assert "at inference (predict, evaluate, or a call with training=False) it is the identity" in render_steps(
        record.steps)[0]


def test_augmentation_arguments_are_named_in_explain():
    layer = aug("RandomRotation", factor=0.1, fill_mode="constant", seed=2)
    (text,) = render_steps(only_record(check_layer(layer, [(8, 8, 3)])).steps)
    assert text == ("RandomRotation rotates images in training only: at inference (predict, evaluate, or a call with "
                    "training=False) it is the identity; its arguments (factor, fill_mode, seed) do not change what "
                    "the model computes")


def test_random_crop_is_the_identity_at_inference_in_keras_3(keras):
    """Keras 3.15 builds RandomCrop's output as (height, width) but crops in training only (keras-team/keras#21868):
    at inference the image comes back uncropped. specbridge keeps the built shape (what the next layers are built
    for) and says so; the PyTorch and ONNX emitters refuse it (tests/emit/test_layers.py)."""
    layer = {"type": "RandomCrop", "height": 4, "width": 5, "seed": 1}
    x = IMAGES.astype("float32")
    symbolic, out = run_keras(keras, layer, x)
    assert symbolic == (4, 5, 3)
    np.testing.assert_array_equal(np.asarray(out), x)  # uncropped, unchanged
    assert tuple(run_keras(keras, layer, x, training=True)[1].shape[1:]) == (4, 5, 3)
    record = only_record(check_layer(layer, [x.shape[1:]]))
    assert record.output_shape == (4, 5, 3)
    assert "returns its input uncropped, 6x7, not the 4x5 it was built for" in render_steps(record.steps)[1]
    same = only_record(check_layer({**layer, "height": 6, "width": 7}, [x.shape[1:]]))
    assert "the crop keeps the whole image" in render_steps(same.steps)[1]


# ---------------------------------------------------------------- variables and what Normalization computes


def test_adapted_normalization_variables_are_mean_variance_and_an_int64_count(keras):
    layer = keras.layers.Normalization(axis=[1, 2])
    model = keras.Sequential([keras.Input((4, 5, 3)), layer])
    assert [(v.name, tuple(v.shape), v.dtype, v.trainable) for v in layer.weights] == [
        ("mean", (4, 5), "float32", False), ("variance", (4, 5), "float32", False), ("count", (), "int64", False)]
    assert (model.count_params(), len(model.trainable_weights)) == (41, 0)  # count counts: 2 * 20 + 1
    record = only_record(check_layer(norm(axis=[1, 2]), [(4, 5, 3)]))
    assert (record.params, record.trainable_params, record.non_trainable_params) == (41, 0, 41)
    constant = keras.layers.Normalization(mean=[1.0, 2.0, 3.0], variance=[1.0, 1.0, 1.0])
    constant(keras.Input((3,)))
    assert constant.weights == [] and constant.count_params() == 0


@pytest.mark.parametrize("kind", [*AUGMENTATION, "RandomCrop"])
def test_seed_generator_state_is_a_variable_but_not_a_weight(keras, kind):
    layer = keras_layer(keras, aug(kind, height=3, width=3) if kind == "RandomCrop" else aug(kind))
    layer(keras.Input((6, 7, 3)))
    assert [(v.name, tuple(v.shape), v.dtype) for v in layer.variables] == [("seed_generator_state", (2,), "int64")]
    assert layer.weights == [] and layer.count_params() == 0


@pytest.mark.parametrize("invert", [False, True])
def test_normalization_divides_by_the_clipped_standard_deviation(keras, invert):
    """max(sqrt(variance), 1e-7), not sqrt(variance + epsilon) as BatchNormalization: a zero variance divides by
    1e-7 (the cross-check cases in tests/emit/test_layers.py hold the translations to it)."""
    mean, variance = np.array([0.5, -1.0, 2.0]), np.array([4.0, 0.0, 1e-16])
    x = np.random.default_rng(1).normal(size=(4, 3)).astype("float32")
    _, out = run_keras(keras, norm(mean=mean.tolist(), variance=variance.tolist(), invert=invert), x)
    scale = np.maximum(np.sqrt(variance.astype("float32")), np.float32(1e-7))
    expected = mean + x * scale if invert else (x - mean.astype("float32")) / scale
    np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-6)


def test_assigned_statistics_take_effect_only_after_finalize_state(keras):
    """Why the weight transfer and the cross-check call emit.weights.refresh_keras_state after assigning."""
    from specbridge.emit.weights import refresh_keras_state

    inputs = keras.Input((3,))
    layer = keras.layers.Normalization()
    model = keras.Model(inputs, layer(inputs))
    x = np.ones((2, 3), "float32")
    layer.adapt_mean.assign([1.0, 2.0, 3.0])
    layer.set_weights([np.zeros(3), np.full(3, 4.0), np.array(0)])
    np.testing.assert_array_equal(np.asarray(model(x)), x)  # still mean 0, variance 1
    refresh_keras_state(model)
    np.testing.assert_array_equal(np.asarray(model(x)), (x - 0) / 2)


# ---------------------------------------------------------------- refused


@pytest.mark.parametrize(
    ("layer", "shape", "code"),
    [
        (norm(axis=3), (4, 3), "SB210"),  # out of range
        (norm(axis=0), (4, 3), "SB210"),  # the batch axis: unknown size
        (norm(), (), "SB210"),  # rank 1: axis -1 is the batch axis
        (norm(axis=[1, 1]), (4, 3), "SB210"),  # twice: building fails
        (norm(), (4, None), "SB205"),  # a kept axis of unknown size
        (norm(mean=[1.0, 2.0], variance=[1.0, 1.0]), (4, 3), "SB210"),  # does not broadcast to (3,)
        (norm(axis=[1, 2], mean=[1.0, 2.0, 3.0, 4.0], variance=[1.0] * 4), (4, 3), "SB210"),
        *[(aug(kind), (6,), "SB200") for kind in AUGMENTATION],  # not an image
        *[(aug(kind), (4, 6, 7, 3), "SB200") for kind in AUGMENTATION],
        ({"type": "RandomCrop", "height": 3, "width": 3}, (4, 6, 7, 3), "SB200"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_rejected_like_keras(keras, layer, shape, code):
    with pytest.raises(Exception):  # noqa: B017 - ValueError, IndexError, TF's InvalidArgumentError
        keras_result(keras, layer, [shape])  # the symbolic build (an unknown axis stays unknown)...
        run_keras(keras, layer, np.zeros((2, *(3 if d is None else d for d in shape)), "float32"))  # ...or the run
    result = check_layer(layer, [shape])
    assert error_codes(result) == [code]
    assert result.errors[0].message.startswith(layer["type"])


def test_rescaling_list_along_another_axis_builds_and_fails_when_run(keras):
    layer = {"type": "Rescaling", "scale": [1.0, 2.0]}
    assert keras_result(keras, layer, [(4, 3)])[0] == (4, 3)  # Keras builds it...
    with pytest.raises(Exception):  # noqa: B017
        run_keras(keras, layer, np.zeros((2, 4, 3), "float32"))  # ...and the call fails
    assert error_codes(check_layer(layer, [(4, 3)])) == ["SB210"]


@pytest.mark.parametrize(
    "layer",
    [
        norm(mean=[1.0]),  # without variance
        norm(mean=1.0, variance=[1.0]),  # different shapes
        norm(mean=[[1.0]], variance=[[1.0]]),  # rank 2 for one axis
        norm(axis=None, mean=[1.0], variance=[1.0]),
        aug("RandomRotation", factor=1.5), aug("RandomRotation", factor=[-3, -2]),
        aug("RandomRotation", factor=[0.1, 0.2, 0.3]), aug("RandomRotation", fill_mode="Reflect"),
        aug("RandomRotation", interpolation="bicubic"),
        aug("RandomContrast", factor=-0.1), aug("RandomContrast", factor=[0.5, -0.1]),
        aug("RandomZoom", height_factor=-1.0), aug("RandomZoom", height_factor=[-0.5, 1.5]),
        aug("RandomZoom", width_factor=-1),
        aug("RandomTranslation", height_factor=1.1), aug("RandomTranslation", width_factor=[0.1]),
        aug("RandomTranslation", fill_mode="mirror"),
    ],
    ids=lambda layer: ",".join(f"{k}={v}" for k, v in layer.items()).replace(" ", ""),
)
def test_constructor_refusals_are_keras_s(keras, layer):
    with pytest.raises((ValueError, NotImplementedError)):
        keras_layer(keras, layer)
    assert error_codes(check_layer(layer, [(6, 7, 3)])) == ["SB012"]


def test_constructor_acceptances_are_keras_s(keras):
    """The loose checks Keras makes are kept: a pair only needs its first value <= the upper bound and its
    second >= the lower one; RandomZoom takes 1.0 but not -1.0, RandomTranslation takes both."""
    for layer in [aug("RandomRotation", factor=[0.5, 2.0]), aug("RandomContrast", factor=[-0.5, 0.5]),
                  aug("RandomZoom", height_factor=1.0), aug("RandomTranslation", height_factor=-1.0, width_factor=1.0)]:
        keras_layer(keras, layer)
        assert check_layer(layer, [(6, 7, 3)]).ok, layer


@pytest.mark.parametrize(
    ("layer", "code"),
    [
        (aug("RandomFlip", mode="diagonal"), "SB012"),  # Keras takes any mode, and then flips nothing
        (norm(mean=[0.0], variance=[-1.0]), "SB012"),  # Keras divides by sqrt(-1): NaN
        ({"type": "RandomCrop", "height": 0, "width": 3}, "SB012"),  # an empty crop in training
    ],
    ids=["flip-mode", "negative-variance", "crop-height-0"],
)
def test_deliberately_stricter_than_the_keras_constructor(keras, layer, code):
    keras_layer(keras, layer)  # Keras accepts it
    assert error_codes(check_layer(layer, [(6, 7, 3)])) == [code]


def test_rank_3_is_refused_though_keras_takes_it_for_one_image(keras):
    """On (batch, a, b) Keras's image layers see one unbatched image whose height is the batch axis; RandomCrop
    even replaces the batch axis in its symbolic shape."""
    assert keras.layers.RandomCrop(3, 3)(keras.Input((6, 7))).shape == (3, 3, 7)  # the batch axis became 3
    run_keras(keras, aug("RandomFlip"), np.zeros((2, 6, 7), "float32"))  # runs
    result = check_layer(aug("RandomFlip"), [(6, 7)])
    assert error_codes(result) == ["SB200"]
    assert "take the batch axis for the image height" in result.errors[0].hint


def test_rescaling_takes_no_data_format_like_keras(keras):
    with pytest.raises(ValueError, match="data_format"):
        keras.layers.Rescaling(0.5, data_format="channels_first")
    assert error_codes(check_layer({"type": "Rescaling", "scale": 0.5, "data_format": "channels_first"},
                                   [(3, 4, 4)])) == ["SB011"]


def test_normalization_explain_steps():
    record = only_record(check_layer(norm(axis=[1, 2]), [(4, 5, 3)]))
    axes, params, formula = record.steps
    assert (axes.result, params.result, params.formula) == (20, 41, "2 * prod(sizes) + 1")
    assert render_steps(record.steps) == [
        "axis [1, 2] keeps 4x5 = 20 positions, each with its own mean and variance",
        "non-trainable: mean and variance (20 each, set by adapt()) and count (one int64, kept by Keras for older "
        "saved models) = 2 * 20 + 1 = 41",
        "y = (x - mean) / max(sqrt(variance), 1e-7): the shape is unchanged",
    ]
    given = only_record(check_layer(norm(mean=0.5, variance=2.0), [(4, 3)], "uint8"))
    assert render_steps(given.steps)[1:] == [
        "mean and variance are given as arguments, of shape () (broadcast to (3,)): constants, no variables: "
        "params = 0",
        "y = (x - mean) / max(sqrt(variance), 1e-7): the shape is unchanged",
        "the uint8 input is cast to Keras's compute dtype first: float32 out",
    ]


def test_a_mean_without_variance_names_the_missing_argument():
    (error,) = check_layer(norm(mean=[1.0]), [(3,)]).errors
    assert error.message.startswith("Normalization `variance`: When setting values directly, both `mean` and")
    assert error.line > 0 and error.column > 0
