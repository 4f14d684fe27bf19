"""Layout conversion and the numerical comparison of one layer's outputs."""

from __future__ import annotations

import math

import numpy as np

# The tensor layouts: values of an emitted torch module's INPUT_LAYOUT / OUTPUT_LAYOUT and of an ONNX model's metadata.
from ..layouts import CHANNELS_FIRST, KERAS
from .report import KERAS_TO_TORCH, TORCH_TO_KERAS, LayerComparison


def torch_to_keras_layout(array: np.ndarray, layout: str) -> np.ndarray:
    """A torch (or ONNX) output in Keras's axis order: channels_first moves axis 1 to the end."""
    if layout == KERAS:
        return array
    if layout == CHANNELS_FIRST:
        return np.moveaxis(array, 1, -1)
    raise ValueError(f"unknown layout {layout!r} (expected {CHANNELS_FIRST!r} or {KERAS!r})")


def keras_to_torch_layout(array: np.ndarray, layout: str) -> np.ndarray:
    """A Keras input in the torch (or ONNX) model's axis order: channels_first moves the last axis to position 1."""
    if layout == KERAS:
        return array
    if layout == CHANNELS_FIRST:
        return np.ascontiguousarray(np.moveaxis(array, -1, 1))
    raise ValueError(f"unknown layout {layout!r} (expected {CHANNELS_FIRST!r} or {KERAS!r})")


def compare_outputs(
    name: str, kind: str, keras_out: np.ndarray, torch_out: np.ndarray, atol: float, rtol: float,
    direction: str = KERAS_TO_TORCH,
) -> LayerComparison:
    """Keras vs PyTorch: the reference is the model the weights were drawn for (Keras, or torch for
    TORCH_TO_KERAS); NaN in the other one points at a weight the transfer forgot."""
    (source, expected), (target, got) = _ordered(keras_out, torch_out, direction)
    return compare_pair(name, kind, (source, expected), (target, got), atol, rtol)


def compare_pair(name: str, kind: str, reference: tuple[str, np.ndarray], other: tuple[str, np.ndarray],
                 atol: float, rtol: float) -> LayerComparison:
    """ok when max|reference - other| <= atol + rtol * max|reference| (a NaN or a shape mismatch is never ok).

    Each side is (the backend's name in messages, its output in Keras's layout).
    """
    (source, expected), (target, got) = reference, other
    expected = expected.astype(np.float64)
    scale = float(np.max(np.abs(expected), initial=0.0, where=np.isfinite(expected)))
    if expected.shape != got.shape:
        return _failed(name, kind, f"output shape {tuple(expected.shape)} in {source} but {tuple(got.shape)} in {target}",
                       scale)
    got = got.astype(np.float64)
    if not np.all(np.isfinite(expected)):
        return _failed(name, kind, f"{source} output has NaN or infinite values", scale)
    if not np.all(np.isfinite(got)):
        return _failed(name, kind, f"{target} output has NaN or infinite values (a weight not transferred?)", scale)
    max_abs = float(np.max(np.abs(expected - got), initial=0.0))
    max_rel = max_abs / scale if scale > 0 else (0.0 if max_abs == 0 else math.inf)
    return LayerComparison(name, kind, max_abs, max_rel, scale, ok=max_abs <= atol + rtol * scale)


def _ordered(keras_out: np.ndarray, torch_out: np.ndarray, direction: str):
    """((reference name, output), (copy name, output)) for a direction."""
    keras, torch = ("Keras", keras_out), ("PyTorch", torch_out)
    if direction == KERAS_TO_TORCH:
        return keras, torch
    if direction == TORCH_TO_KERAS:
        return torch, keras
    raise ValueError(f"unknown direction {direction!r} (expected {KERAS_TO_TORCH!r} or {TORCH_TO_KERAS!r})")


def _failed(name: str, kind: str, note: str, scale: float = 0.0) -> LayerComparison:
    return LayerComparison(name, kind, math.inf, math.inf, scale, ok=False, note=note)
