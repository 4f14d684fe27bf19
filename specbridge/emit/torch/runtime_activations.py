"""Helper nn.Modules of activations whose PyTorch module computes them differently from Keras (TensorFlow).

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
