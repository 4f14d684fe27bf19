"""ONNX emitters of spec/layers/preprocessing.py: Rescaling, Normalization and the image augmentation layers.

Keras casts these layers' input to its compute dtype, so an integer image is cast to the model's float dtype first.
RandomContrast and RandomCrop return an integer image as it is at inference, but every layer output of the ONNX
model is declared in the float dtype: they cast too (the values are the same). Constants Keras takes as Python
numbers (Rescaling's scale, Normalization's given mean and variance) are rounded to float32 first, as Keras
converts them to a float32 tensor before casting them, even in a float64 model.
"""

from __future__ import annotations

import numpy as np

from ...shapes.axes import split_channels
from ...shapes.infer import FLOAT_DTYPES
from ...shapes.resize import aspect_crop, center_crop_fits, float32
from ...spec.layers import preprocessing as PP
from ..preprocessing import (
    aspect_window,
    inference_crop_reason,
    normalization_arrays,
    resize_refusal,
    unknown_window_reason,
)
from .graph import channels_first_perm, channels_last_perm
from .stage import Ctx, emitter

EPSILON = 1e-7  # keras.backend.epsilon(): Normalization divides by max(sqrt(variance), epsilon)


def float_input(ctx: Ctx) -> str:
    """The layer's input, cast to the model's float dtype when it is an integer or bool tensor."""
    if ctx.plan.input_dtype(ctx.name) in FLOAT_DTYPES:
        return ctx.x
    from . import proto as helper

    return ctx.g.node("Cast", [ctx.x], to=helper.np_dtype_to_tensor_dtype(ctx.g.dtype))


def keras_constant(value) -> np.ndarray:
    """A number or list Keras takes as a Python value: float32, as Keras's convert_to_tensor makes it."""
    return np.asarray(value, dtype=np.float32)


@emitter(PP.Rescaling)
def emit_rescaling(layer, ctx: Ctx) -> str:
    """x * scale + offset: a list broadcasts along the last axis, as ONNX broadcasts from the right."""
    g = ctx.g
    scaled = g.node("Mul", [float_input(ctx), g.weight("scale", keras_constant(layer.scale))])
    return g.node("Add", [scaled, g.weight("offset", keras_constant(layer.offset))])


@emitter(PP.Normalization)
def emit_normalization(layer, ctx: Ctx) -> str:
    """(x - mean) / max(sqrt(variance), 1e-7), or mean + x * max(...) when inverted, the statistics reshaped to
    broadcast over the kept axes; adapted ones are the Keras layer's variables (adapt_mean, adapt_variance)."""
    g = ctx.g
    kept, shape, mean, variance = normalization_arrays(layer, ctx.in_shape)
    if mean is None:
        mean, variance = ctx.weight("adapt_mean", kept), ctx.weight("adapt_variance", kept)
    else:
        mean, variance = keras_constant(mean), keras_constant(variance)
    mean = g.weight("mean", np.reshape(mean, shape))
    root = g.node("Sqrt", [g.weight("variance", np.reshape(variance, shape))])
    scale = g.node("Max", [root, g.scalar("epsilon", EPSILON)])
    x = float_input(ctx)
    if layer.invert:
        return g.node("Add", [mean, g.node("Mul", [x, scale])])
    return g.node("Div", [g.node("Sub", [x, mean]), scale])


@emitter(PP.RandomFlip, PP.RandomRotation, PP.RandomZoom, PP.RandomContrast, PP.RandomTranslation)
def emit_augmentation(layer, ctx: Ctx) -> str:
    return float_input(ctx)  # the identity at inference


@emitter(PP.RandomCrop)
def emit_random_crop(layer, ctx: Ctx) -> str:
    spatial, _ = split_channels(ctx.in_shape, ctx.channels_last(layer))
    if tuple(spatial) != (layer.height, layer.width):
        raise ctx.fail(inference_crop_reason(layer, spatial))
    return float_input(ctx)


# ---------------------------------------------------------------- Resizing and CenterCrop
# Both work on NCHW images (onnxruntime's cubic and antialiased modes need the resized axes last) and resize in
# float32, as TensorFlow does: onnxruntime has no float64 Resize kernel, and a float64 image is rounded to float32
# by tf.image.resize anyway. Nearest copies values instead (a Gather, exact in any dtype).

RESIZE_ATTRIBUTES = {
    ("bilinear", False): {"mode": "linear"},
    ("bilinear", True): {"mode": "linear", "antialias": 1, "exclude_outside": 1},
    ("bicubic", True): {"mode": "cubic", "cubic_coeff_a": -0.5, "antialias": 1, "exclude_outside": 1},
}


def proto_dtype(dtype) -> int:
    from . import proto as helper

    return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


def nearest_indices(size: int, target: int) -> list[int]:
    """tf's half-pixel nearest neighbour: min(floor((i + 0.5) * (size / target)), size - 1), in float32."""
    scale = float32(float32(size) / float32(target))
    return [min(int(float32(float32(i + 0.5) * scale) // 1), size - 1) for i in range(target)]


def resized(ctx: Ctx, x: str, spatial, target, interpolation: str, antialias: bool) -> str:
    """x (NCHW, the model's float dtype or float32) resized to `target` as tf.image.resize does."""
    g = ctx.g
    if interpolation == "nearest":
        if None in spatial:
            raise ctx.fail("nearest resize of an image of unknown height or width: the ONNX model gathers rows and "
                           "columns by index, computed from the sizes; give the input's height and width")
        for axis, size, out in zip((2, 3), spatial, target, strict=True):
            x = g.node("Gather", [x, g.ints("indices", nearest_indices(size, out))], axis=axis)
        return x
    attributes = {"coordinate_transformation_mode": "half_pixel", **RESIZE_ATTRIBUTES[(interpolation, antialias)]}
    x32 = x if g.dtype == np.float32 else g.node("Cast", [x], to=proto_dtype(np.float32))
    # Four sizes, the batch and channel sizes read from the tensor: onnxruntime 1.31's transpose optimizer pushes
    # the surrounding Transposes through a Resize and gathers its sizes by a rank-4 permutation, which fails on
    # the two sizes of the `axes` form.
    leading = g.node("Shape", [x32], start=0, end=2)
    sizes = g.node("Concat", [leading, g.ints("sizes", target)], axis=0)
    y = g.node("Resize", [x32, "", "", sizes], **attributes)
    return y if g.dtype == np.float32 else g.node("Cast", [y], to=proto_dtype(g.dtype))


def nchw(ctx: Ctx, x: str, channels_last: bool) -> str:
    return ctx.g.transpose(x, channels_first_perm(4)) if channels_last else x


def keras_layout(ctx: Ctx, x: str, channels_last: bool) -> str:
    return ctx.g.transpose(x, channels_last_perm(4)) if channels_last else x


def window_slice(ctx: Ctx, x: str, top: int, left: int, height: int, width: int) -> str:
    g = ctx.g
    return g.node("Slice", [x, g.ints("starts", [top, left]), g.ints("ends", [top + height, left + width]),
                            g.ints("axes", [2, 3])])


@emitter(PP.Resizing)
def emit_resizing(layer, ctx: Ctx) -> str:
    """Crop or pad to the aspect ratio, then resize (an integer image only by nearest: copied values, cast to the
    float dtype every ONNX layer output is declared in)."""
    reason = resize_refusal(layer, ctx.plan.input_dtype(ctx.name))
    if reason:
        raise ctx.fail(reason)
    g, channels_last = ctx.g, ctx.channels_last(layer)
    spatial, _ = split_channels(ctx.in_shape, channels_last)
    what, window = aspect_window(layer, spatial)
    if what == "unknown":
        raise ctx.fail(unknown_window_reason(layer))
    x = nchw(ctx, float_input(ctx), channels_last)
    if what == "crop":
        x, spatial = window_slice(ctx, x, window.top, window.left, window.height, window.width), window[:2]
    elif what == "pad":
        pads = g.ints("pads", [0, 0, window.top, window.left, 0, 0, window.top, window.left])
        x, spatial = g.node("Pad", [x, pads, g.scalar("fill_value", layer.fill_value)]), window[:2]
    y = resized(ctx, x, spatial, (layer.height, layer.width), layer.interpolation, layer.antialias)
    return keras_layout(ctx, y, channels_last)


@emitter(PP.CenterCrop)
def emit_center_crop(layer, ctx: Ctx) -> str:
    """The central window, or smart_resize's aspect-ratio crop and bilinear resize: chosen by the known sizes."""
    channels_last = ctx.channels_last(layer)
    spatial, _ = split_channels(ctx.in_shape, channels_last)
    if None in spatial:
        raise ctx.fail("CenterCrop of an image of unknown height or width: whether Keras slices or resizes depends on "
                       "the size, which the ONNX model fixes from the spec's shapes; give the input's height and width")
    height, width = spatial
    target = (layer.height, layer.width)
    x = nchw(ctx, float_input(ctx), channels_last)
    if center_crop_fits(height, width, *target):
        y = window_slice(ctx, x, (height - target[0]) // 2, (width - target[1]) // 2, *target)
    else:
        window = aspect_crop(height, width, *target, in_float32=False)
        x = window_slice(ctx, x, window.top, window.left, window.height, window.width)
        y = resized(ctx, x, window[:2], target, "bilinear", False)
    return keras_layout(ctx, y, channels_last)
