"""Prove that the emitted Keras and PyTorch models compute the same function, layer by layer.

Imports TensorFlow/Keras and torch lazily, when run_crosscheck runs.
"""

from __future__ import annotations

from ..emit.errors import SpecHasErrors
from .report import DIRECTIONS, KERAS_TO_TORCH, TORCH_TO_KERAS, CrosscheckReport, LayerComparison
from .run import DEFAULT_TOLERANCES, DTYPES, build_pair, run_crosscheck

__all__ = [
    "DEFAULT_TOLERANCES", "DIRECTIONS", "DTYPES", "KERAS_TO_TORCH", "TORCH_TO_KERAS", "CrosscheckReport",
    "LayerComparison", "SpecHasErrors", "build_pair", "run_crosscheck",
]
