"""What the PyTorch and ONNX emitters of the preprocessing layers share: Normalization's shapes and constants, why
a RandomCrop that changes the size has no translation, and which of Resizing's modes each framework computes as
TensorFlow does."""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..shapes.rules import statistics_shapes
from ..spec.layers.preprocessing import Normalization, values_shape


def normalization_arrays(layer: Normalization, in_shape) -> tuple[tuple, tuple, Optional[np.ndarray], Optional[np.ndarray]]:
    """(kept, shape, mean, variance) for an input of `in_shape` (batch excluded): Keras's variable shape, the shape
    it broadcasts as (batch included), and the constant mean and variance (None when adapted) in the variable shape.

    A constant's axes line up with the kept axes from the right and are broadcast to their sizes, as Keras's build
    does. The values stay float64 here: each emitter rounds them to float32, as Keras does.
    """
    rank = len(in_shape) + 1
    kept_axes = tuple(sorted(a % rank for a in layer.axes()))
    kept, shape = statistics_shapes(kept_axes, in_shape)
    if layer.mean is None:
        return kept, shape, None, None
    given = values_shape(layer.mean)
    aligned = (1,) * (len(kept) - len(given)) + given

    def broadcast(values) -> np.ndarray:
        return np.broadcast_to(np.reshape(np.asarray(values, dtype=np.float64), aligned), kept)

    return kept, shape, broadcast(layer.mean), broadcast(layer.variance)


def inference_crop_reason(layer, spatial) -> str:
    """Why a RandomCrop to another size than its input's is refused (SB400) by the PyTorch and ONNX emitters."""
    size = "x".join("None" if d is None else str(d) for d in spatial)
    return (
        f"RandomCrop to {layer.height}x{layer.width} of a {size} image: Keras 3.15 builds the model for "
        f"{layer.height}x{layer.width} but returns the image uncropped at inference (keras-team/keras#21868), so "
        "no model emitted for the spec's shapes computes what Keras computes; crop with Cropping2D, or give "
        "height and width equal to the input's"
    )


# tf.image.resize's modes PyTorch's interpolate and onnxruntime's Resize compute the same way, by antialias (measured
# on TF 2.21, torch 2.13, onnxruntime 1.31 over up- and downscaling, odd ratios included). Bicubic without antialias
# is TF's ResizeBicubic (Keys a = -0.5, borders clamped): torch's bicubic uses a = -0.75 and onnxruntime's cubic
# mode does not reproduce it either (0.3 off on values of 1). Area averages fractional cells (torch's area and
# adaptive pooling average whole ones), and neither framework has a Lanczos kernel.
EXACT_RESIZE_MODES = {
    (False,): ("bilinear", "nearest"),
    (True,): ("bilinear", "nearest", "bicubic"),  # nearest ignores antialias in TensorFlow
}


def resize_refusal(layer, input_dtype: str) -> Optional[str]:
    """Why the PyTorch and ONNX emitters refuse this Resizing (SB400), or None: an interpolation they do not
    compute as TensorFlow does, or an integer image that Keras rounds back to its dtype after a float32 resize
    (a value within float32 rounding of .5, common for interpolated integers, rounds either way: measured off by 1)."""
    if input_dtype not in ("float16", "float32", "float64", "bfloat16") and layer.interpolation != "nearest":
        return (f"Resizing of a {input_dtype} image with {layer.interpolation} interpolation: Keras rounds TensorFlow's "
                "float32 result back to the integer dtype, and values that interpolate to x.5 round up or down by the "
                "last bit of float32 arithmetic, which no other framework reproduces; resize a float image (cast or "
                "Rescaling first), or use interpolation 'nearest'")
    if layer.interpolation in EXACT_RESIZE_MODES[(layer.antialias,)]:
        return None
    antialias = "with" if layer.antialias else "without"
    suggestion = "antialias: true" if layer.interpolation == "bicubic" else "interpolation 'bilinear'"
    return (f"Resizing interpolation '{layer.interpolation}' {antialias} antialias has no exact PyTorch or ONNX "
            "equivalent (TensorFlow's kernel differs from torch's interpolate and onnxruntime's Resize); use "
            f"{suggestion} for a model every framework computes alike")


def aspect_window(layer, spatial):
    """Resizing's crop or pad window for known sizes: ("crop" | "pad" | None, Window or None)."""
    from ..shapes.resize import aspect_crop, aspect_pad

    if not (layer.crop_to_aspect_ratio or layer.pad_to_aspect_ratio):
        return None, None
    if None in spatial:
        return "unknown", None
    target = (layer.height, layer.width)
    if layer.crop_to_aspect_ratio:
        return "crop", aspect_crop(*spatial, *target, in_float32=True)
    return "pad", aspect_pad(*spatial, *target)


def unknown_window_reason(layer) -> str:
    flag = "crop_to_aspect_ratio" if layer.crop_to_aspect_ratio else "pad_to_aspect_ratio"
    return (f"Resizing {flag} on an image of unknown height or width: the window depends on the size, which the "
            "emitter computes from the spec's shapes; give the input's height and width")
