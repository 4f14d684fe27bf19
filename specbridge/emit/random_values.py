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


def random_value(name: str, shape: tuple[int, ...], rng: np.random.Generator, dtype: str = "float64") -> np.ndarray:
    """A random array for the Keras variable `name` of `shape`, drawn in `dtype` (float32 or float64).

    Uniform draws throughout: as good as normal ones at exposing a translation bug, and several times cheaper for
    the millions of values of a large model (`emit --to onnx` draws its weights with this). A spread written as a
    standard deviation s is the uniform range (-s*sqrt(3), s*sqrt(3)), which has that deviation.
    """
    if name in _POSITIVE:
        return _uniform(rng, shape, dtype, 0.5, 1.5)
    if name in _AROUND_ONE:
        magnitude = _uniform(rng, shape, dtype, 0.5, 1.5)
        return np.where(_uniform(rng, shape, dtype, 0.0, 1.0) < 0.5, -magnitude, magnitude)
    if name in _OFFSETS or len(shape) < 2:
        return _centered(rng, shape, dtype, 0.5)
    if name == "embeddings":
        return _centered(rng, shape, dtype, 1.0)
    # Kernels: Glorot-like scale on the fan-in, so deep stacks neither explode nor vanish. A depthwise kernel
    # (kh, kw, in, multiplier) sums over its window only.
    fan_axes = shape[:-2] if name == "depthwise_kernel" else shape[:-1]
    fan_in = max(1, math.prod(fan_axes))
    return _centered(rng, shape, dtype, 1.0 / math.sqrt(fan_in))


def _uniform(rng: np.random.Generator, shape, dtype: str, low: float, high: float) -> np.ndarray:
    values = rng.random(shape, dtype=np.dtype(dtype).type)
    values *= values.dtype.type(high - low)
    values += values.dtype.type(low)
    return values


def _centered(rng: np.random.Generator, shape, dtype: str, deviation: float) -> np.ndarray:
    half = deviation * math.sqrt(3.0)
    return _uniform(rng, shape, dtype, -half, half)
