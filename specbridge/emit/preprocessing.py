"""What the PyTorch and ONNX emitters of the preprocessing layers share: Normalization's shapes and constants, and
why a RandomCrop that changes the size has no translation."""

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
