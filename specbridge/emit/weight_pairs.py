"""The weight mapping's table and its building blocks: Pair, the converter registry, and the small pair makers
every converter module uses (weights.py, weights_attention.py). Split from weights.py so that converter modules can
register here without importing weights.py, which imports them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..spec.catalog import Stage

Arrays = list[np.ndarray]


@dataclass
class Pair:
    """Keras variables <-> PyTorch tensors that hold the same numbers."""

    keras: list
    torch: list
    to_torch: Callable[[Arrays], Arrays]
    to_keras: Callable[[Arrays], Arrays]


Converter = Callable[[Any, Any, Any], list[Pair]]  # (keras layer, torch module, spec layer) -> pairs
# Only types that own weights (or wrap a layer that may) need an entry; a layer without weights has nothing to copy.
WEIGHT_CONVERTERS: Stage[Converter] = Stage("weight mapping", needed=lambda cls: cls.has_weights())
converter = WEIGHT_CONVERTERS.register


def same(keras_var, torch_tensor) -> Pair:
    return Pair([keras_var], [torch_tensor], lambda v: v, lambda v: v)


def permuted(keras_var, torch_tensor, perm: tuple[int, ...]) -> Pair:
    inverse = tuple(np.argsort(perm))
    return Pair(
        [keras_var], [torch_tensor],
        lambda v: [v[0].transpose(perm)], lambda v: [v[0].transpose(inverse)],
    )


def find(module, *class_names: str) -> list:
    """Submodules (pre-order, the module included) whose class is one of `class_names`."""
    return [m for m in module.modules() if type(m).__name__ in class_names]
