"""Resizing and CenterCrop against real Keras 3: output shapes (symbolic and run), dtypes, the aspect-ratio windows
explain reports (checked against what Keras computes, value for value), and the inputs and arguments Keras refuses.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from _keras_multi import check_layer, error_codes, keras_layer, only_record

from specbridge.report.steps import render_steps
from specbridge.shapes.resize import aspect_crop, aspect_pad

pytestmark = pytest.mark.keras

MODES = ["bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5"]


def resizing(**args):
    return {"type": "Resizing", "height": 4, "width": 5, **args}


def center_crop(**args):
    return {"type": "CenterCrop", "height": 4, "width": 5, **args}


def run_keras(keras, layer: dict, x: np.ndarray):
    """(symbolic output shape without batch, the output of the layer in a model called on x)."""
    inputs = keras.Input(shape=tuple(None if d == -1 else d for d in x.shape[1:]), dtype=str(x.dtype))
    outputs = keras_layer(keras, layer)(inputs)
    return tuple(outputs.shape[1:]), keras.Model(inputs, outputs)(x)


# (layer, input shape without batch; None is an unknown size, run as 7)
MATCHES = [
    *[(resizing(interpolation=mode, antialias=aa), (9, 7, 3)) for mode in MODES for aa in (False, True)],
    (resizing(), (None, None, 3)),
    (resizing(data_format="channels_first"), (2, 9, 7)),
    (resizing(height=12, width=3, crop_to_aspect_ratio=True), (9, 7, 3)),
    (resizing(height=3, width=12, pad_to_aspect_ratio=True, fill_value=2.0), (9, 7, 1)),
    (resizing(crop_to_aspect_ratio=True), (None, 7, 3)),
    (resizing(height=1, width=1, interpolation="nearest"), (1, 1, 2)),
    (center_crop(), (9, 7, 3)),
    (center_crop(), (4, 5, 3)),
    (center_crop(height=10, width=3), (9, 7, 3)),  # smaller on one axis: smart_resize
    (center_crop(height=12, width=12), (9, 7, 3)),
    (center_crop(), (None, None, 3)),
    (center_crop(data_format="channels_first"), (3, 9, 7)),
]


def case_id(case):
    layer, shape = case
    args = ",".join(f"{k}={v}" for k, v in layer.items() if k != "type")
    return f"{layer['type']}({args})-{shape}".replace(" ", "")


@pytest.mark.parametrize("dtype", ["float32", "uint8", "int32"])
@pytest.mark.parametrize("case", MATCHES, ids=case_id)
def test_matches_keras(keras, case, dtype):
    layer, shape = case
    if layer.get("pad_to_aspect_ratio") and dtype != "float32":
        return  # refused: test_integer_image_padding_is_refused_like_keras
    data = np.random.default_rng(0).uniform(0, 200, (2, *(7 if d is None else d for d in shape))).astype(dtype)
    inputs = keras.Input(shape=shape, dtype=dtype)
    built = keras_layer(keras, layer)
    outputs = built(inputs)
    out = keras.Model(inputs, outputs)(data)
    record = only_record(check_layer(layer, [shape], dtype))
    assert record.output_shape == tuple(outputs.shape[1:])
    assert tuple(7 if d is None else d for d in record.output_shape) == tuple(out.shape[1:])
    # Resizing returns an integer image in its dtype (rounded), CenterCrop casts it to float32 (measured)
    assert record.output.dtype == out.dtype.name
    assert (record.params, record.trainable_params) == (built.count_params(), 0) == (0, 0)


SIZES = [(9, 7), (7, 9), (5, 5), (3, 11), (1, 6), (8, 2)]
TARGETS = [(4, 5), (6, 3), (2, 9), (7, 7), (12, 1)]


@pytest.mark.parametrize(("size", "target"), list(itertools.product(SIZES, TARGETS)), ids=str)
def test_aspect_windows_are_what_keras_resizes(keras, size, target):
    """The crop (Resizing's and CenterCrop's smart_resize) and the pad that explain reports and the emitters apply:
    Keras's output equals tf.image.resize of exactly that window."""
    import tensorflow as tf

    x = np.random.default_rng(1).normal(size=(1, *size, 2)).astype("float32")
    height, width = target
    crop = aspect_crop(*size, *target, in_float32=True)
    window = x[:, crop.top:crop.top + crop.height, crop.left:crop.left + crop.width]
    _, out = run_keras(keras, {"type": "Resizing", "height": height, "width": width, "crop_to_aspect_ratio": True}, x)
    np.testing.assert_array_equal(np.asarray(out), tf.image.resize(window, target).numpy())
    pad = aspect_pad(*size, *target)
    padded = np.pad(x, ((0, 0), (pad.top, pad.top), (pad.left, pad.left), (0, 0)), constant_values=0.5)
    _, out = run_keras(keras, {"type": "Resizing", "height": height, "width": width, "pad_to_aspect_ratio": True,
                               "fill_value": 0.5}, x)
    np.testing.assert_array_equal(np.asarray(out), tf.image.resize(padded, target).numpy())
    _, out = run_keras(keras, {"type": "CenterCrop", "height": height, "width": width}, x)
    if size[0] >= height and size[1] >= width:
        top, left = (size[0] - height) // 2, (size[1] - width) // 2
        expected = x[:, top:top + height, left:left + width]
    else:
        smart = aspect_crop(*size, *target, in_float32=False)
        expected = tf.image.resize(x[:, smart.top:smart.top + smart.height, smart.left:smart.left + smart.width],
                                   target).numpy()
    np.testing.assert_array_equal(np.asarray(out), expected)


def test_explain_shows_the_window_arithmetic():
    crop = render_steps(only_record(check_layer(resizing(height=6, width=3, crop_to_aspect_ratio=True),
                                                [(9, 7, 3)])).steps)
    assert crop[0] == ("crop to the 6x3 aspect ratio: int(W * th / tw), int(H * tw / th) at most H, W -> 9x4, from "
                       "row, column 0, 1 (int((size - crop) / 2))")
    assert crop[1] == "bilinear resize of 9x4 to (height, width) = (6, 3), channels unchanged -> (None, 6, 3, 3)"
    pad = render_steps(only_record(check_layer(resizing(height=3, width=8, pad_to_aspect_ratio=True),
                                               [(9, 7, 3)])).steps)
    assert pad[0].endswith("(padded - size) // 2 = 0, 8 on each side -> 9x23")
    smaller = render_steps(only_record(check_layer(center_crop(height=10, width=12), [(8, 8, 3)])).steps)
    assert smaller[0].startswith("8x8 is smaller than 10x12 on an axis: Keras crops it to the target's aspect ratio")
    assert smaller[2] == "bilinear resize of 6x8 to 10x12, channels unchanged -> (None, 10, 12, 3)"
    fits = render_steps(only_record(check_layer(center_crop(), [(9, 8, 3)])).steps)
    assert fits == ["the central 4x5 window of 9x8, from row, column 2, 1 ((size - target) // 2), channels unchanged "
                    "-> (None, 4, 5, 3)"]


@pytest.mark.parametrize(
    ("layer", "shape", "dtype", "code"),
    [
        (resizing(), (8,), "float32", "SB200"),
        (resizing(), (2, 8, 8, 3), "float32", "SB200"),
        (center_crop(), (8,), "float32", "SB200"),
        (center_crop(), (2, 8, 8, 3), "float32", "SB200"),
        (resizing(), (8, 8, 3), "bool", "SB212"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_rejected_like_keras(keras, layer, shape, dtype, code):
    with pytest.raises(Exception):  # noqa: B017 - ValueError, TF's InvalidArgumentError
        run_keras(keras, layer, np.zeros((2, *shape), dtype))
    result = check_layer(layer, [shape], dtype)
    assert error_codes(result) == [code]
    assert result.errors[0].message.startswith(layer["type"]) and result.errors[0].hint


@pytest.mark.parametrize("shape", [(9, 7, 1), (None, None, 1)])
def test_integer_image_padding_is_refused_like_keras(keras, shape):
    """Keras pads with ones of the image's dtype times the float fill_value: TensorFlow refuses it for an integer
    image that needs padding, and passes one that needs none (a square image to a square target)."""
    layer = resizing(height=3, width=12, pad_to_aspect_ratio=True)
    with pytest.raises(TypeError, match="Cannot convert 0.0 to EagerTensor of dtype uint8"):
        run_keras(keras, layer, np.zeros((2, 9, 7, 1), "uint8"))
    result = check_layer(layer, [shape], "uint8")
    assert error_codes(result) == ["SB210"] and "fill_value=0.0" in result.errors[0].message
    square = resizing(height=4, width=4, pad_to_aspect_ratio=True)
    _, out = run_keras(keras, square, np.zeros((2, 9, 9, 1), "uint8"))
    assert only_record(check_layer(square, [(9, 9, 1)], "uint8")).output.dtype == out.dtype.name == "uint8"


def test_rank_3_is_refused_where_keras_reads_the_batch_axis_as_height(keras):
    """Stricter than Keras, which takes a rank-3 tensor for one unbatched image: (batch, 8, 3) comes out (4, 5, 3),
    the batch axis gone."""
    for layer in (resizing(), center_crop()):
        symbolic, out = run_keras(keras, layer, np.zeros((2, 8, 3), "float32"))
        assert symbolic == (5, 3) and tuple(out.shape) == (4, 5, 3)
        result = check_layer(layer, [(8, 3)])
        assert error_codes(result) == ["SB200"] and "batch axis" in result.errors[0].hint


@pytest.mark.parametrize(
    "layer",
    [resizing(interpolation="cubic"), resizing(fill_mode="reflect"),
     resizing(crop_to_aspect_ratio=True, pad_to_aspect_ratio=True), resizing(height=0), center_crop(width=-1)],
    ids=lambda layer: ",".join(f"{k}={v}" for k, v in layer.items()),
)
def test_arguments_keras_refuses_when_it_runs_are_refused_when_read(keras, layer):
    """Keras's constructors take them; the call fails (a zero height fails in TensorFlow's resize kernel)."""
    with pytest.raises(Exception):  # noqa: B017
        run_keras(keras, layer, np.zeros((2, 8, 8, 3), "float32"))
    assert error_codes(check_layer(layer, [(8, 8, 3)])) == ["SB012"]
