"""Helper nn.Module of EinsumDense, which PyTorch has no module for.

A runtime module beside runtime.py, read and copied the same way (specbridge.emit.torch.helpers): each class stands
on its own with `torch` and `nn`.
"""

import torch
from torch import nn


class KerasEinsumDense(nn.Module):
    """Keras's EinsumDense: torch.einsum(equation, x, kernel) + bias, on Keras-layout tensors. The kernel and the
    bias have Keras's shapes, so the weights copy over as they are; the bias broadcasts from the right, as Keras's.
    The kernel starts Glorot-uniform over its first and last axes, the bias at zero (Keras's defaults, roughly):
    the weight transfer and the cross-check overwrite both."""

    def __init__(self, equation, kernel_shape, bias_shape=None):
        super().__init__()
        self.equation = equation
        limit = (6.0 / (kernel_shape[0] + kernel_shape[-1])) ** 0.5
        self.kernel = nn.Parameter(torch.empty(tuple(kernel_shape)).uniform_(-limit, limit))
        self.bias = None if bias_shape is None else nn.Parameter(torch.zeros(tuple(bias_shape)))

    def forward(self, x):
        y = torch.einsum(self.equation, x, self.kernel)
        return y if self.bias is None else y + self.bias
