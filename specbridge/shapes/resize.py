"""The window arithmetic of Keras's image resizing: the crop or pad to a target's aspect ratio that Resizing
(crop_to_aspect_ratio, pad_to_aspect_ratio) and CenterCrop (on an image smaller than its target) apply before
resizing. The shape rules explain it and the PyTorch and ONNX emitters slice and pad by it, so both read one copy.

Keras computes it in two precisions: the TensorFlow resize (keras/src/backend/tensorflow/image.py) in float32
tensors, CenterCrop's smart_resize (keras/src/utils/image_utils.py) in Python floats when the sizes are known. The
quotients are truncated toward zero (a cast to int32, or int()); both are copied here as written.
"""

from __future__ import annotations

import struct
from typing import NamedTuple


def float32(value: float) -> float:
    """`value` rounded to the nearest float32, as tf.cast(..., "float32") rounds it."""
    return struct.unpack("f", struct.pack("f", value))[0]


def divide(a: int, b: int, in_float32: bool) -> int:
    """int(a / b) in Keras's precision. A float32 quotient is the double quotient rounded once more: for 24-bit
    integers that double rounding is exact (the double has more than 2 * 24 + 2 bits)."""
    return int(float32(float32(a) / float32(b))) if in_float32 else int(float(a) / b)


class Window(NamedTuple):
    """The part of an image kept (crop) or the image's place in the padded one (pad): sizes and offsets."""

    height: int
    width: int
    top: int
    left: int


def aspect_crop(height: int, width: int, target_height: int, target_width: int, in_float32: bool) -> Window:
    """The central window with the target's aspect ratio, as large as fits (at least 1x1)."""
    crop_height = max(min(height, divide(width * target_height, target_width, in_float32)), 1)
    crop_width = max(min(width, divide(height * target_width, target_height, in_float32)), 1)
    return Window(crop_height, crop_width, divide(height - crop_height, 2, in_float32),
                  divide(width - crop_width, 2, in_float32))


def aspect_pad(height: int, width: int, target_height: int, target_width: int) -> Window:
    """Resizing's pad_to_aspect_ratio: `top` rows of fill_value above and below the image, `left` columns left
    and right. Keras pads the same amount on both sides, so the padded size is height + 2 * top: one short of the
    target's ratio when the difference is odd."""
    pad_height = max(height, divide(width * target_height, target_width, True))
    pad_width = max(width, divide(height * target_width, target_height, True))
    top, left = divide(pad_height - height, 2, True), divide(pad_width - width, 2, True)
    return Window(height + 2 * top, width + 2 * left, top, left)


def center_crop_fits(height: int, width: int, target_height: int, target_width: int) -> bool:
    """CenterCrop slices the central window when the image is at least the target on both axes; otherwise it
    crops to the target's aspect ratio and resizes (smart_resize)."""
    return height >= target_height and width >= target_width
