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
from ...spec.layers import preprocessing as PP
from ..preprocessing import inference_crop_reason, normalization_arrays
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
