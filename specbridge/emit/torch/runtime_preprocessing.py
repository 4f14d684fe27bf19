"""The helper nn.Modules of the preprocessing layers (Rescaling, Normalization, the augmentation layers' cast).

A second runtime module beside runtime.py, read and copied the same way (specbridge.emit.torch.helpers): each class
stands on its own with `torch` and `nn`. Keras casts these layers' input to its compute dtype, so an integer image
comes out float; here a buffer that follows .to() (FloatInput.like) says which float dtype the model computes in.
Constants given to Keras as Python numbers (Rescaling's scale, Normalization's mean) are rounded to float32 first,
as Keras converts them to a float32 tensor before casting them, even in a float64 model (0.1 becomes
0.10000000149011612 there: measured on Keras 3.15).
"""

import torch
from torch import nn


class FloatInput(nn.Module):
    """An integer or bool tensor cast to the model's float dtype; a float tensor passes unchanged."""

    def __init__(self):
        super().__init__()
        self.register_buffer("like", torch.zeros(()), persistent=False)

    def forward(self, x):
        return x if x.is_floating_point() else x.to(self.like.dtype)


class Rescaling(FloatInput):
    """Keras Rescaling: x * scale + offset (numbers, or lists along the last axis)."""

    def __init__(self, scale, offset):
        super().__init__()
        self.register_buffer("scale", torch.tensor(scale, dtype=torch.float32), persistent=False)
        self.register_buffer("offset", torch.tensor(offset, dtype=torch.float32), persistent=False)

    def forward(self, x):
        return super().forward(x) * self.scale + self.offset


class KerasNormalization(FloatInput):
    """Keras Normalization: (x - mean) / max(sqrt(variance), 1e-7), or mean + x * max(...) when `invert`.

    mean and variance have Keras's variable shape `kept` (the kept axes' sizes) and broadcast as `shape` (the
    input's rank, batch included, 1 on the other axes). Adapted (no values given), they are the buffers adapt_mean
    and adapt_variance, named after the Keras attributes the weight transfer copies; given, they are constants.
    """

    def __init__(self, kept, shape, invert, mean=None, variance=None):
        super().__init__()
        self.shape, self.invert = shape, invert
        if mean is None:
            self.register_buffer("adapt_mean", torch.zeros(kept))
            self.register_buffer("adapt_variance", torch.ones(kept))
        else:
            self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).reshape(kept), persistent=False)
            self.register_buffer("variance", torch.tensor(variance, dtype=torch.float32).reshape(kept),
                                 persistent=False)

    def forward(self, x):
        prefix = "adapt_" if hasattr(self, "adapt_mean") else ""
        mean = getattr(self, prefix + "mean").reshape(self.shape)
        scale = torch.sqrt(getattr(self, prefix + "variance").reshape(self.shape)).clamp(min=1e-7)
        x = super().forward(x)
        return mean + x * scale if self.invert else (x - mean) / scale


class KerasImageResize(nn.Module):
    """tf.image.resize of NCHW images to `size`, for the modes PyTorch computes the same way (measured on TF 2.21):
    bilinear (half-pixel centres, with antialias too), nearest (tf's half-pixel rounding is nearest-exact) and
    antialiased bicubic (both use Keys' a = -0.5 and renormalize at the borders). TensorFlow resizes in float32,
    so a float64 image is rounded to float32 and the result cast back; nearest copies values in the input's dtype.
    """

    def __init__(self, size, mode, antialias):
        super().__init__()
        self.size, self.mode, self.antialias = tuple(size), mode, antialias

    def resize(self, x):
        if self.mode == "nearest":
            return nn.functional.interpolate(x, size=self.size, mode="nearest-exact")
        y = nn.functional.interpolate(x.float(), size=self.size, mode=self.mode, align_corners=False,
                                      antialias=self.antialias)
        return y.to(x.dtype)


class KerasResizing(KerasImageResize):
    """Keras Resizing on NCHW images: an optional crop (top, left, height, width) or symmetric padding (top, left)
    with fill_value to the target's aspect ratio, computed by the emitter from the known sizes, then the resize.
    An integer image is resized by nearest only (the emitter refuses the other modes), which copies its values."""

    def __init__(self, size, mode, antialias, crop=None, pad=None, fill_value=0.0):
        super().__init__(size, mode, antialias)
        self.crop, self.pad, self.fill_value = crop, pad, fill_value

    def forward(self, x):
        if self.crop is not None:
            top, left, height, width = self.crop
            x = x[:, :, top:top + height, left:left + width]
        if self.pad is not None:
            top, left = self.pad
            x = nn.functional.pad(x, (left, left, top, top), value=self.fill_value)
        return self.resize(x)


class KerasCenterCrop(FloatInput):
    """Keras CenterCrop on NCHW images, whatever their size: the central (height, width) window, or, for an image
    smaller than that on an axis, keras.utils.smart_resize (the largest central window with the target's aspect
    ratio, in Python float arithmetic as Keras computes it for known sizes, then a bilinear resize)."""

    def __init__(self, height, width):
        super().__init__()
        self.height, self.width = height, width
        self.resizer = KerasImageResize((height, width), "bilinear", False)

    def forward(self, x):
        x = super().forward(x)
        height, width = x.shape[-2], x.shape[-1]
        if height >= self.height and width >= self.width:
            top, left = (height - self.height) // 2, (width - self.width) // 2
            return x[:, :, top:top + self.height, left:left + self.width]
        crop_height = max(min(height, int(float(width * self.height) / self.width)), 1)
        crop_width = max(min(width, int(float(height * self.width) / self.height)), 1)
        top, left = int(float(height - crop_height) / 2), int(float(width - crop_width) / 2)
        return self.resizer.resize(x[:, :, top:top + crop_height, left:left + crop_width])
