"""Emitters of spec/layers/preprocessing.py: Rescaling, Normalization and the image augmentation layers.

The augmentation layers are the identity at inference (an eval-mode PyTorch model is an inference model), with
the cast to float Keras applies to an integer image (runtime_preprocessing.FloatInput) where it applies one.
"""

from __future__ import annotations

from ...shapes.axes import split_channels
from ...shapes.infer import FLOAT_DTYPES
from ...spec.layers import preprocessing as PP
from ..preprocessing import (
    aspect_window,
    inference_crop_reason,
    normalization_arrays,
    resize_refusal,
    unknown_window_reason,
)
from ..source import call, literal
from .layout import KERAS
from .stage import Built, Ctx, emitter


@emitter(PP.Rescaling)
def emit_rescaling(layer, ctx: Ctx) -> Built:
    lists = any(isinstance(v, list) for v in (layer.scale, layer.offset))
    layout = KERAS if lists else None  # a list goes along Keras's last axis; numbers apply in any layout
    return Built([call(ctx.helper("Rescaling"), literal(layer.scale), literal(layer.offset))], layout, layout)


@emitter(PP.Normalization)
def emit_normalization(layer, ctx: Ctx) -> Built:
    """runtime_preprocessing.KerasNormalization, in Keras's layout (the statistics broadcast over Keras's axes)."""
    kept, shape, mean, variance = normalization_arrays(layer, ctx.in_shape)
    args = [literal(kept), literal(shape), literal(layer.invert)]
    constants = {} if mean is None else {"mean": mean.tolist(), "variance": variance.tolist()}
    return Built([call(ctx.helper("KerasNormalization"), *args, **constants)], KERAS, KERAS)


@emitter(PP.RandomFlip, PP.RandomRotation, PP.RandomZoom, PP.RandomContrast, PP.RandomTranslation)
def emit_augmentation(layer, ctx: Ctx) -> Built:
    return Built([identity(layer, ctx)])


@emitter(PP.RandomCrop)
def emit_random_crop(layer, ctx: Ctx) -> Built:
    spatial, _ = split_channels(ctx.in_shape, ctx.channels_last(layer))
    if tuple(spatial) != (layer.height, layer.width):
        raise ctx.fail(inference_crop_reason(layer, spatial))
    return Built([identity(layer, ctx)])


@emitter(PP.Resizing)
def emit_resizing(layer, ctx: Ctx) -> Built:
    """runtime_preprocessing.KerasResizing on channels-first images; the aspect-ratio window from the known sizes."""
    reason = resize_refusal(layer, ctx.plan.input_dtype(ctx.name))
    if reason:
        raise ctx.fail(reason)
    spatial, _ = split_channels(ctx.in_shape, ctx.channels_last(layer))
    what, window = aspect_window(layer, spatial)
    if what == "unknown":
        raise ctx.fail(unknown_window_reason(layer))
    args = [literal((layer.height, layer.width)), literal(layer.interpolation), literal(layer.antialias)]
    extra = {}
    if what == "crop":
        extra["crop"] = (window.top, window.left, window.height, window.width)
    elif what == "pad":
        extra.update(pad=(window.top, window.left), fill_value=layer.fill_value)
    layout = ctx.spatial_layout(layer)
    return Built([call(ctx.helper("KerasResizing"), *args, **extra)], layout, layout)


@emitter(PP.CenterCrop)
def emit_center_crop(layer, ctx: Ctx) -> Built:
    layout = ctx.spatial_layout(layer)
    return Built([call(ctx.helper("KerasCenterCrop"), literal(layer.height), literal(layer.width))], layout, layout)


def identity(layer, ctx: Ctx) -> str:
    """What an augmentation layer computes at inference: nothing, or the cast of an integer image to float."""
    if layer.CASTS and ctx.plan.input_dtype(ctx.name) not in FLOAT_DTYPES:
        return f"{ctx.helper('FloatInput')}()"
    return "nn.Identity()"

