"""What a cross-check finds: one comparison per spec layer, and the verdict over all of them."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Optional

# Which model the random weights are drawn for, and so whose outputs are the reference (the other one gets a copy).
KERAS_TO_TORCH, TORCH_TO_KERAS = "keras_to_torch", "torch_to_keras"
DIRECTIONS = (KERAS_TO_TORCH, TORCH_TO_KERAS)
# The implementations a cross-check can compare, and what messages call them.
KERAS, PYTORCH, ONNX = "keras", "pytorch", "onnx"
BACKENDS = (KERAS, PYTORCH, ONNX)
LABELS = {KERAS: "Keras", PYTORCH: "PyTorch", ONNX: "ONNX (onnxruntime)", "original": "the original Keras model"}


@dataclass(frozen=True)
class LayerComparison:
    """Keras vs PyTorch output of one spec layer.

    max_rel_error is the max absolute error divided by the largest |output| of the reference model (the one the
    weights come from: Keras unless the direction is torch_to_keras): an elementwise relative error explodes on
    outputs near zero (ReLU zeros, centred activations), a scaled one does not.
    """

    name: str
    kind: str
    max_abs_error: float
    max_rel_error: float
    max_abs_output: float  # the largest |reference output| of the layer: the scale tolerances are relative to
    ok: bool
    note: Optional[str] = None  # why the layer could not be compared numerically (shape mismatch, NaN...)
    # For a layer that differs: which side agrees with an independent NumPy evaluation of the layer (reference.py):
    # "keras", "pytorch", "both", "neither" or "no reference available". None when the layer agrees.
    reference: Optional[str] = None
    # With three or more backends: the one whose output differs from every other while those agree ("onnx"...).
    disagrees: Optional[str] = None


class LayerVerdicts:
    """What a list of layer comparisons (`self.layers`) says as a whole: a whole report, or one pair's part."""

    layers: list[LayerComparison]

    @property
    def ok(self) -> bool:
        return all(layer.ok for layer in self.layers)

    @property
    def first_divergence(self) -> Optional[str]:
        """The first layer, in spec order, whose outputs differ beyond the tolerance."""
        return next((layer.name for layer in self.layers if not layer.ok), None)

    @property
    def max_abs_error(self) -> float:
        return max((layer.max_abs_error for layer in self.layers), default=0.0)

    @property
    def max_rel_error(self) -> float:
        return max((layer.max_rel_error for layer in self.layers), default=0.0)


@dataclass(frozen=True)
class PairReport(LayerVerdicts):
    """Backend `a` (the reference: the weights' source when it is one of the pair) against backend `b`."""

    a: str
    b: str
    layers: list[LayerComparison]

    def to_dict(self) -> dict:
        return {
            "a": self.a, "b": self.b, "ok": self.ok, "first_divergence": self.first_divergence,
            "max_abs_error": _finite(self.max_abs_error), "max_rel_error": _finite(self.max_rel_error),
            "layers": [_layer_dict(layer) for layer in self.layers],
        }


@dataclass(frozen=True)
class CrosscheckReport(LayerVerdicts):
    """Every compared layer, with the worst figures over all pairs of backends (`layers`, as readers of the
    two-backend report know it), and each pair's own comparison (`pairs`)."""

    spec: str
    dtype: str
    samples: int
    seed: int
    atol: float
    rtol: float
    layers: list[LayerComparison] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # spec layers reaching no output: in neither model
    direction: str = KERAS_TO_TORCH
    # The sizes given to the inputs' unknown (null) axes: crosscheck.dims.ChosenDim, searched or from --dims.
    dims: list = field(default_factory=list)
    backends: list[str] = field(default_factory=lambda: [KERAS, PYTORCH])  # the ones compared, reference first
    pairs: list[PairReport] = field(default_factory=list)  # every pair of compared backends
    # Backends asked for (or installed) that could not run, and why (no float64 kernel in onnxruntime...).
    unavailable: dict[str, str] = field(default_factory=dict)

    def layer(self, name: str) -> LayerComparison:
        return next(layer for layer in self.layers if layer.name == name)

    def to_dict(self) -> dict:
        """JSON-ready: infinities (unmatched shapes, NaN outputs) become null."""
        return {
            "ok": self.ok,
            "spec": self.spec,
            "dtype": self.dtype,
            "samples": self.samples,
            "seed": self.seed,
            "atol": self.atol,
            "rtol": self.rtol,
            "max_abs_error": _finite(self.max_abs_error),
            "max_rel_error": _finite(self.max_rel_error),
            "first_divergence": self.first_divergence,
            "layers": [_layer_dict(layer) for layer in self.layers],
            "skipped": list(self.skipped),
            "direction": self.direction,
            "dims": [dim.to_dict() for dim in self.dims],
            "backends": list(self.backends),
            "pairs": [pair.to_dict() for pair in self.pairs],
            "unavailable": dict(self.unavailable),
        }


def _layer_dict(layer: LayerComparison) -> dict:
    return {k: _finite(v) for k, v in asdict(layer).items()}


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
