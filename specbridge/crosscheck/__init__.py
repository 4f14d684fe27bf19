"""Prove that the emitted Keras and PyTorch models compute the same function, layer by layer.

Imports TensorFlow/Keras and torch lazily, when run_crosscheck runs.
"""

from __future__ import annotations

from ..emit.errors import SpecHasErrors
from .report import CrosscheckReport, LayerComparison
from .run import DEFAULT_TOLERANCES, DTYPES, run_crosscheck

__all__ = ["DEFAULT_TOLERANCES", "DTYPES", "CrosscheckReport", "LayerComparison", "SpecHasErrors", "run_crosscheck"]
