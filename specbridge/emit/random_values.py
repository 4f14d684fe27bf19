"""Seeded random values for Keras variables, by variable name.

Default initializations hide translation bugs: zero biases cannot show a dropped bias, BatchNorm with mean 0 and
variance 1 cannot show a wrong epsilon or swapped statistics, a zero GRU recurrent bias cannot show reset_after
wrongly mapped. So every variable gets a non-trivial random value, scaled to keep activations of order one. The
cross-check draws Keras weights with it, and the ONNX emitter its weights when no model gives them.
"""

from __future__ import annotations

import math

import numpy as np

# Variable name (the last component of its Keras path) -> how to draw it. Anything else is a kernel. Normalization's
# variables are named mean and variance, and read through its attributes adapt_mean and adapt_variance.
_POSITIVE = ("moving_variance", "variance", "adapt_variance")  # must stay positive: sqrt(var + eps), sqrt(var)
_AROUND_ONE = ("gamma",)
_OFFSETS = ("bias", "beta", "moving_mean", "mean", "adapt_mean")


def random_value(name: str, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """A random array for the Keras variable `name` of `shape` (float64; cast on assignment)."""
    if name in _POSITIVE:
        return rng.uniform(0.5, 1.5, shape)
    if name in _AROUND_ONE:
        return rng.uniform(0.5, 1.5, shape) * rng.choice((-1.0, 1.0), shape)
    if name in _OFFSETS or len(shape) < 2:
        return rng.normal(0.0, 0.5, shape)
    if name == "embeddings":
        return rng.normal(0.0, 1.0, shape)
    # Kernels: Glorot-like scale on the fan-in, so deep stacks neither explode nor vanish. A depthwise kernel
    # (kh, kw, in, multiplier) sums over its window only.
    fan_axes = shape[:-2] if name == "depthwise_kernel" else shape[:-1]
    fan_in = max(1, math.prod(fan_axes))
    return rng.normal(0.0, 1.0 / math.sqrt(fan_in), shape)
