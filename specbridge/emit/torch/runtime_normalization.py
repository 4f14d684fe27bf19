"""Helper nn.Modules of the normalization layers that PyTorch's own modules cannot express.

A third runtime module beside runtime.py, read and copied the same way (specbridge.emit.torch.helpers): each class
stands on its own with `torch` and `nn`.
"""

import torch
from torch import nn


class BatchNormPartialAffine(nn.Module):
    """Keras's BatchNormalization with only one affine term (scale: false, as InceptionV3 has, or center: false):
    PyTorch's BatchNorm has both terms or neither, so the statistics come from a BatchNorm without affine terms and
    the one term Keras has is applied here, per channel (dim 1)."""

    def __init__(self, norm, channels, scale, center):
        super().__init__()
        self.norm = norm
        self.weight = nn.Parameter(torch.ones(channels)) if scale else None
        self.bias = nn.Parameter(torch.zeros(channels)) if center else None

    def forward(self, x):
        y = self.norm(x)
        shape = (1, -1) + (1,) * (y.dim() - 2)
        if self.weight is not None:
            y = y * self.weight.reshape(shape)
        if self.bias is not None:
            y = y + self.bias.reshape(shape)
        return y


class UnitNormalize(nn.Module):
    """Keras's UnitNormalization, ops.normalize(order=2, epsilon=1e-12) over `dims`: x * min(rsqrt(sum(x**2)),
    1 / epsilon), Keras's own formula (F.normalize divides by max(norm, epsilon) instead: the same function,
    rounded differently)."""

    def __init__(self, dims):
        super().__init__()
        self.dims = tuple(dims)

    def forward(self, x):
        inverse_norm = torch.rsqrt(torch.sum(x * x, dim=self.dims, keepdim=True))
        return x * torch.clamp(inverse_norm, max=1e12)
