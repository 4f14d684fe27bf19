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
