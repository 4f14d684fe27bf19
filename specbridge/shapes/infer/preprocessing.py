"""Rescaling, Normalization and the image augmentation layers: shapes, Keras's parameter counts, and dtypes.

These layers cast their input to Keras's compute dtype (float32 in a float32 model): an integer image comes out
float, which is why a uint8 input may feed them. RandomContrast and RandomCrop are the exceptions at inference:
there they return the input as it is (measured on Keras 3.15), dtype included, and so does Resizing, which rounds
an integer image's resized values back to its dtype (and has no kernel for a bool image).
"""

from __future__ import annotations

from ...diagnostics import codes
from ...spec.layers import preprocessing as P
from ..axes import join_channels, layout, split_channels
from ..errors import ShapeError
from ..records import Inferred, Step, Tensor, format_shape
from ..resize import aspect_crop, aspect_pad, center_crop_fits
from ..rules import product, statistics_shapes
from . import FLOAT_DTYPES, Context, rule
from .common import require_rank


def cast_step(layer, tensor: Tensor) -> tuple[str | None, tuple[Step, ...]]:
    """(output dtype, steps): float32 for an integer or bool input (Keras casts it), else the input's."""
    if tensor.dtype in FLOAT_DTYPES:
        return None, ()
    step = Step("dtype", "the {dtype} input is cast to Keras's compute dtype first: float32 out",
                {"dtype": tensor.dtype}, "float32")
    return "float32", (step,)


# ---------------------------------------------------------------- Rescaling


@rule(P.Rescaling)
def infer_rescaling(layer: P.Rescaling, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    last = tensor.shape[-1] if tensor.shape else None
    for argument in ("scale", "offset"):
        value = getattr(layer, argument)
        if isinstance(value, list) and len(value) != 1 and (not tensor.shape or last not in (None, len(value))):
            raise ShapeError(
                codes.INVALID_ARGUMENT,
                f"Rescaling {argument} has {len(value)} values, but the last axis of {format_shape(tensor.shape)} has "
                f"{last}: Keras lines a list up with the last axis (the model builds, and fails when it runs)",
                hint="give one value per position of the last axis (a channels_last image's channels), or one number",
                argument=argument,
            )
    dtype, cast = cast_step(layer, tensor)
    steps = cast + (Step("formula", "y = x * {scale} + {offset}: the shape is unchanged",
                         {"scale": layer.scale, "offset": layer.offset}, tensor.shape),)
    if ctx.data_format == "channels_first" and any(isinstance(v, list) for v in (layer.scale, layer.offset)):
        steps += (Step("note", "Rescaling has no data_format argument: a list goes along the last axis even in a "
                               "channels_first model"),)
    return Inferred(tensor.shape, dtype=dtype, steps=steps)


# ---------------------------------------------------------------- Normalization


def kept_axes(layer: P.Normalization, tensor: Tensor) -> tuple[int, ...]:
    """The axes with their own mean and variance, batch counted, positive and sorted (Keras's _keep_axis)."""
    rank, shape = tensor.rank, format_shape(tensor.shape)
    axes = layer.axes()
    if any(not -rank <= a < rank for a in axes):
        raise ShapeError(
            codes.INVALID_ARGUMENT,
            f"Normalization axis={layer.axis} is out of range for an input of rank {rank} {shape}: Keras takes axes "
            f"in [-{rank}, {rank})",
            hint="axes count the batch axis: -1 is the last axis; null gives one mean for everything", argument="axis",
        )
    kept = tuple(sorted(a % rank for a in axes))
    problem = ("keeps the batch axis, whose size is unknown: Keras sizes mean and variance by the kept axes (\"All "
               "`axis` values to be kept must have a known shape\")") if 0 in kept else (
              "names the same axis twice (Keras fails building it)" if len(set(kept)) != len(kept) else None)
    if problem:
        raise ShapeError(
            codes.INVALID_ARGUMENT, f"Normalization axis={layer.axis} on {shape} {problem}",
            hint="keep the feature axes: -1 for one mean per feature, null for one mean for everything",
            argument="axis",
        )
    unknown = [a for a in kept if tensor.shape[a - 1] is None]
    if unknown:
        raise ShapeError(
            codes.UNKNOWN_DIMENSION,
            f"Normalization keeps axis {unknown[0]} of {shape}, whose size is unknown: Keras sizes mean and variance "
            "by it (\"All `axis` values to be kept must have a known shape\")",
            hint="give that axis a size in the input shape, or keep another axis (axis: null keeps none)",
            argument="axis",
        )
    return kept


def check_constants(layer: P.Normalization, sizes: tuple) -> tuple:
    """The shape of a `mean` given as an argument, which must broadcast to the kept axes' sizes (right-aligned)."""
    given = P.values_shape(layer.mean)
    if any(g not in (1, s) for g, s in zip(reversed(given), reversed(sizes), strict=False)):
        raise ShapeError(
            codes.INVALID_ARGUMENT,
            f"Normalization mean and variance have shape {given}, which does not broadcast to the kept axes' sizes "
            f"{sizes} (axis={layer.axis}): Keras lines them up with the kept axes from the right (building fails)",
            hint=f"give mean and variance the shape {sizes} (one value per position), or one number each",
            argument="mean",
        )
    return given


@rule(P.Normalization)
def infer_normalization(layer: P.Normalization, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    sizes, _ = statistics_shapes(kept_axes(layer, tensor), tensor.shape)
    per = product(sizes)
    dtype, cast = cast_step(layer, tensor)
    if sizes:
        where = Step("axes", "axis {axis} keeps {sizes:x} = {result:,} positions, each with its own mean and "
                             "variance", {"axis": layer.axis, "sizes": sizes}, per, formula="prod(sizes)")
    else:
        where = Step("axes", "axis {axis}: one mean and one variance for every value", {"axis": layer.axis}, 1)
    formula = "mean + x * max(sqrt(variance), 1e-7)" if layer.invert else "(x - mean) / max(sqrt(variance), 1e-7)"
    compute = Step("formula", "y = " + formula + ": the shape is unchanged", {}, tensor.shape)
    if layer.mean is not None:
        given = check_constants(layer, sizes)
        weights = Step("params", "mean and variance are given as arguments, of shape {given:shape} (broadcast to "
                                 "{sizes:shape}): constants, no variables: params = 0", {"given": given, "sizes": sizes}, 0)
        return Inferred(tensor.shape, 0, dtype=dtype, steps=(where, weights, compute) + cast)
    params = 2 * per + 1
    weights = Step(
        "non-trainable",
        "non-trainable: mean and variance ({per:,} each, set by adapt()) and count (one int64, kept by Keras for "
        "older saved models) = 2 * {per:,} + 1 = {result:,}", {"per": per}, params, formula="2 * prod(sizes) + 1",
    )
    return Inferred(tensor.shape, params, trainable_params=0, dtype=dtype, steps=(where, weights, compute) + cast)


# ---------------------------------------------------------------- image augmentation


def require_image(layer: P.RandomImageLayer, tensor: Tensor, ctx: Context) -> bool:
    """Keras's image layers take a batch of images; True when channels are last."""
    channels_last = ctx.channels_last(layer)
    require_rank(
        layer, tensor, ndim=4, expected=layout(2, channels_last),
        hint="give the input as one image (height, width, channels); on a rank-3 (batch, a, b) tensor Keras would "
             "take the batch axis for the image height",
    )
    return channels_last


def inference_step(layer: P.RandomImageLayer, shape) -> Step:
    arguments = sorted(k for k in layer.keras_arguments() if k not in ("data_format", "trainable"))
    ignored = "; its arguments ({arguments:, }) do not change what the model computes" if arguments else ""
    return Step(
        "inference",
        "{kind} {training} in training only: at inference (predict, evaluate, or a call with training=False) it is "
        "the identity" + ignored, {"kind": layer.kind, "training": layer.TRAINING, "arguments": arguments}, shape,
    )


@rule(P.RandomFlip, P.RandomRotation, P.RandomZoom, P.RandomContrast, P.RandomTranslation)
def infer_augmentation(layer: P.RandomImageLayer, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    require_image(layer, tensor, ctx)
    dtype, cast = cast_step(layer, tensor) if layer.CASTS else (None, ())
    return Inferred(tensor.shape, dtype=dtype, steps=(inference_step(layer, tensor.shape),) + cast)


@rule(P.RandomCrop)
def infer_random_crop(layer: P.RandomCrop, inputs: list[Tensor], ctx: Context) -> Inferred:
    """Keras's shape, (height, width): what it builds the next layers for, and what training computes."""
    (tensor,) = inputs
    channels_last = require_image(layer, tensor, ctx)
    spatial, channels = split_channels(tensor.shape, channels_last)
    out = join_channels((layer.height, layer.width), channels, channels_last)
    values = {"height": layer.height, "width": layer.width, "spatial": spatial}
    steps = [Step("shape", "Keras builds the output for (height, width) = ({height}, {width}), channels unchanged",
                  values, out)]
    if tuple(spatial) == (layer.height, layer.width):
        steps.append(Step("inference", "the input is {height}x{width} already: the crop keeps the whole image, the "
                                       "identity in training and at inference", values, out))
    else:
        steps.append(Step(
            "note",
            "Keras 3.15 crops in training only: at inference (predict, evaluate, training=False) it returns its input "
            "uncropped, {spatial:x}, not the {height}x{width} it was built for (keras-team/keras#21868); a layer after "
            "it that needs {height}x{width} (Flatten then Dense, Reshape) fails when the model predicts, and the "
            "PyTorch and ONNX emitters refuse it", values,
        ))
    return Inferred(out, steps=tuple(steps))


# ---------------------------------------------------------------- Resizing and CenterCrop


def require_sized_image(layer: P.ImageSizeLayer, tensor: Tensor, ctx: Context):
    """(spatial sizes, channels, channels_last) of a batch of images; SB200 otherwise (Keras takes a rank-3 tensor
    for one unbatched image, whose height would be the batch axis)."""
    channels_last = ctx.channels_last(layer)
    require_rank(
        layer, tensor, ndim=4, expected=layout(2, channels_last),
        hint="give the input as one image (height, width, channels); Keras would read a rank-3 (batch, a, b) tensor "
             "as one image whose height is the batch axis",
    )
    spatial, channels = split_channels(tensor.shape, channels_last)
    return tuple(spatial), channels, channels_last


def window_step(what: str, spatial, window, target) -> Step:
    values = {"what": what, "spatial": spatial, "target": target, "size": (window.height, window.width),
              "offset": (window.top, window.left)}
    if what == "pad":
        template = ("pad_to_aspect_ratio: {spatial:x} padded to the {target:x} aspect ratio with fill_value: "
                    "int(W * th / tw), int(H * tw / th) at least H, W; (padded - size) // 2 = {offset:, } on each side "
                    "-> {size:x}")
    else:
        template = ("crop to the {target:x} aspect ratio: int(W * th / tw), int(H * tw / th) at most H, W -> {size:x}, "
                    "from row, column {offset:, } (int((size - crop) / 2))")
    return Step("aspect", template, values, (window.height, window.width))


@rule(P.Resizing)
def infer_resizing(layer: P.Resizing, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    if tensor.dtype == "bool":
        raise ShapeError(
            codes.FLOAT_INPUT, f"Resizing reads a bool input {format_shape(tensor.shape)}: TensorFlow's resize has no "
                               "bool kernel (the model builds, and fails when it runs)",
            hint="cast the mask to an integer or float dtype first (e.g. uint8), or feed a float input",
        )
    spatial, channels, channels_last = require_sized_image(layer, tensor, ctx)
    target = (layer.height, layer.width)
    out = join_channels(target, channels, channels_last)
    steps, source = [], spatial
    known = None not in spatial
    if known and (layer.crop_to_aspect_ratio or layer.pad_to_aspect_ratio):
        what = "crop" if layer.crop_to_aspect_ratio else "pad"
        window = aspect_crop(*spatial, *target, in_float32=True) if what == "crop" else aspect_pad(*spatial, *target)
        steps.append(window_step(what, spatial, window, target))
        source = (window.height, window.width)
    if layer.pad_to_aspect_ratio and tensor.dtype not in FLOAT_DTYPES and (not known or source != spatial):
        raise ShapeError(
            codes.INVALID_ARGUMENT,
            f"Resizing pad_to_aspect_ratio on a {tensor.dtype} image {format_shape(tensor.shape)}: Keras builds the "
            f"padding as ones of the image's dtype times fill_value={layer.fill_value}, which TensorFlow refuses "
            "(\"Cannot convert 0.0 to EagerTensor of dtype uint8\") whenever the image needs padding",
            hint="cast the image to float first (a Rescaling, or a float input), or resize without pad_to_aspect_ratio",
            argument="pad_to_aspect_ratio",
        )
    antialias = " with an antialiasing filter" if layer.antialias and layer.interpolation != "nearest" else ""
    steps.append(Step("shape", "{interpolation} resize" + antialias + " of {spatial:x} to (height, width) = "
                      "({height}, {width}), channels unchanged -> {result:batch}",
                      {"interpolation": layer.interpolation, "spatial": source, "height": layer.height,
                       "width": layer.width}, out))
    if tensor.dtype not in FLOAT_DTYPES:
        steps.append(Step("dtype", "the {dtype} image comes out {dtype}: Keras rounds the resized values and clips "
                                   "them to the dtype's range", {"dtype": tensor.dtype}, tensor.dtype))
    return Inferred(out, steps=tuple(steps))


@rule(P.CenterCrop)
def infer_center_crop(layer: P.CenterCrop, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    spatial, channels, channels_last = require_sized_image(layer, tensor, ctx)
    target = (layer.height, layer.width)
    out = join_channels(target, channels, channels_last)
    values = {"spatial": spatial, "target": target}
    dtype, cast = cast_step(layer, tensor)
    if None in spatial:
        step = Step("shape", "the central {target:x} window of each image, channels unchanged -> {result:batch}; an "
                             "image smaller than {target:x} on either axis is cropped to its aspect ratio and resized "
                             "(bilinear) instead", values, out)
        return Inferred(out, dtype=dtype, steps=(step,) + cast)
    if center_crop_fits(*spatial, *target):
        offset = ((spatial[0] - target[0]) // 2, (spatial[1] - target[1]) // 2)
        step = Step("shape", "the central {target:x} window of {spatial:x}, from row, column {offset:, } ((size - "
                             "target) // 2), channels unchanged -> {result:batch}", {**values, "offset": offset}, out)
        return Inferred(out, dtype=dtype, steps=(step,) + cast)
    window = aspect_crop(*spatial, *target, in_float32=False)
    steps = (
        Step("smaller", "{spatial:x} is smaller than {target:x} on an axis: Keras crops it to the target's aspect "
                        "ratio and resizes it (keras.utils.smart_resize), not a plain crop", values),
        window_step("crop", spatial, window, target),
        Step("shape", "bilinear resize of {size:x} to {target:x}, channels unchanged -> {result:batch}",
             {**values, "size": (window.height, window.width)}, out),
    )
    return Inferred(out, dtype=dtype, steps=steps + cast)
