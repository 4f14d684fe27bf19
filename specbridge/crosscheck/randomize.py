"""Seeded random values for every weight of a live Keras or PyTorch model (drawn by emit.random_values), and NaN
poisoning for the model that receives a copy."""

from __future__ import annotations

import math

import numpy as np

from ..emit.random_values import random_value
from ..emit.weights import refresh_keras_state

# Buffers of the emitted PyTorch modules that hold Keras variables, not constants: BatchNorm's moving statistics and
# runtime_preprocessing.KerasNormalization's adapted ones.
STATISTICS = ("running_mean", "running_var", "adapt_mean", "adapt_variance")


def randomize_keras_weights(model, seed: int) -> int:
    """Assign a seeded random value to every floating-point variable of `model`; returns how many."""
    rng = np.random.default_rng(seed)
    count = 0
    for variable in model.weights:
        dtype = np.dtype(str(variable.dtype))
        if not np.issubdtype(dtype, np.floating):
            continue  # seed-generator states and counters (Normalization's int64 count) are not weights
        shape = tuple(int(d) for d in variable.shape)
        variable.assign(random_value(variable.name, shape, rng).astype(dtype))
        count += 1
    refresh_keras_state(model)
    return count


def random_torch_value(module, name: str, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """A random array for the parameter or buffer `name` of the torch `module`, drawn like random_value.

    torch names say less than Keras's: the module's class tells a normalization scale ("weight" of a *Norm
    module) and an embedding table apart from a kernel, whose fan-in is every axis but the first.
    """
    kind = type(module).__name__
    if name in ("running_var", "adapt_variance"):
        return random_value("moving_variance", shape, rng)
    if name in ("running_mean", "adapt_mean"):
        return random_value("moving_mean", shape, rng)
    if "Norm" in kind and name == "weight":
        return random_value("gamma", shape, rng)
    if kind == "Embedding":
        return random_value("embeddings", shape, rng)
    if name.startswith("bias") or len(shape) < 2:
        return random_value("bias", shape, rng)
    return rng.normal(0.0, 1.0 / math.sqrt(max(1, math.prod(shape[1:]))), shape)


def randomize_torch_weights(model, seed: int) -> int:
    """Assign a seeded random value to every parameter and statistic (STATISTICS) of `model`; returns how many."""
    import torch

    rng = np.random.default_rng(seed)
    count = 0
    with torch.no_grad():
        for module in model.modules():
            statistics = [(n, b) for n, b in module.named_buffers(recurse=False) if n in STATISTICS]
            for name, tensor in [*module.named_parameters(recurse=False), *statistics]:
                if tensor.dtype.is_floating_point:
                    tensor.copy_(torch.from_numpy(random_torch_value(module, name, tuple(tensor.shape), rng)))
                    count += 1
    return count


def poison_torch_weights(model) -> None:
    """NaN in every parameter and statistic (STATISTICS): a weight the transfer forgets poisons its layer."""
    import torch

    with torch.no_grad():
        for parameter in model.parameters():
            parameter.fill_(float("nan"))
        for name, buffer in model.named_buffers():
            if name.rsplit(".", 1)[-1] in STATISTICS:
                buffer.fill_(float("nan"))


def poison_keras_weights(model) -> None:
    """NaN in every floating-point variable of a Keras model (the torch_to_keras counterpart of the above)."""
    for variable in model.weights:
        dtype = np.dtype(str(variable.dtype))
        if np.issubdtype(dtype, np.floating):
            variable.assign(np.full(tuple(int(d) for d in variable.shape), np.nan, dtype))
    refresh_keras_state(model)
