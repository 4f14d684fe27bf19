"""Helper nn.Modules of activations whose PyTorch module computes them differently from Keras (TensorFlow), or
which PyTorch has no module for.

Another runtime module beside runtime.py, read and copied the same way (specbridge.emit.torch.helpers): each class
stands on its own with `torch` and `nn`.
"""

import torch
from torch import nn


class KerasGELU(nn.Module):
    """Keras's exact gelu, as tf.nn.gelu computes it: 0.5 * x * erfc(-x / sqrt(2)), its constant 1/sqrt(2) rounded to
    float32 (TensorFlow casts the Python float through float32) in every dtype. nn.GELU uses the exact constant: the
    same in float32, ~5e-9 off in float64, which grows through the layers after it."""

    def forward(self, x):
        return 0.5 * x * torch.erfc(-x * 0.7071067690849304)


class KerasGELUApproximate(nn.Module):
    """Keras's gelu(x, approximate=True), as tf.nn.gelu computes it: 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + c * x**3))),
    its cubic coefficient 0.044715 rounded to float32 in every dtype (TensorFlow casts it through float32) and
    sqrt(2/pi) not. nn.GELU(approximate="tanh") uses the exact coefficient: ~9e-10 off in float64."""

    def forward(self, x):
        return 0.5 * x * (1 + torch.tanh(0.7978845608028654 * (x + 0.044714998453855515 * torch.pow(x, 3))))


class KerasSoftplus(nn.Module):
    """Keras's softplus, as TensorFlow's kernel computes it: x above -(log(eps) + 2) (13.94 in float32, 34.04 in
    float64), exp(x) below log(eps) + 2, log1p(exp(x)) between. nn.Softplus returns x above 20 instead: in float64,
    softplus(20) is 20 + 2.1e-9 in TensorFlow and 20 in PyTorch."""

    def forward(self, x):
        threshold = torch.log(torch.tensor(torch.finfo(x.dtype).eps, dtype=x.dtype)) + 2
        exp = torch.exp(x)
        return torch.where(x > -threshold, x, torch.where(x < threshold, exp, torch.log1p(exp)))


class SparseSigmoid(nn.Module):
    """Keras's sparse_sigmoid: 0 for x <= -1, 1 for x >= 1, (x + 1) / 2 between."""

    def forward(self, x):
        return torch.clamp(0.5 * (x + 1), 0.0, 1.0)
