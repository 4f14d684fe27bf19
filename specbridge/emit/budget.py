"""The memory a model would need, estimated from the checked records, and the limit emit and crosscheck refuse over.

Estimated before any framework allocates anything: a Dense with 10**12 weights would otherwise exhaust the machine
inside TensorFlow or PyTorch (or in a user's process running the emitted module) instead of failing with a message.

- emit (and to_keras / to_torch): parameters * dtype size, the float32 weights of the emitted model.
- crosscheck: both models' weights (x2) plus every layer's output in both frameworks (x2) for `samples` inputs,
  an unknown (null) size counted as the cross-check's input size for it.

The limit is SPECBRIDGE_MAX_MODEL_BYTES (an integer number of bytes), 4 GiB by default; `limit=` overrides it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Optional

from ..check import CheckResult

DEFAULT_MAX_MODEL_BYTES = 4 * 1024**3
ENV_VAR = "SPECBRIDGE_MAX_MODEL_BYTES"
DTYPE_BYTES = {"float16": 2, "bfloat16": 2, "float32": 4, "float64": 8}
# The size crosscheck gives an unknown input dimension (crosscheck.inputs.UNKNOWN_DIM_SIZE: kept equal by a test).
UNKNOWN_DIM_SIZE = 8


class ModelTooLarge(Exception):
    """The model needs more memory than the limit, or the limit is misconfigured (needed is then 0).

    The CLI reports `diagnostic(result)` (SB403 model-too-large) and exits 2.
    """

    def __init__(self, needed: int, limit: int, what: str, layer: Optional[str] = None, *, message: str = ""):
        self.needed, self.limit, self.what, self.layer = needed, limit, what, layer
        biggest = f"; the largest layer is '{layer}'" if layer else ""
        super().__init__(message or f"the model would need about {human_bytes(needed)} for {what}, over the limit "
                         f"of {human_bytes(limit)}{biggest}")

    def diagnostic(self, result: CheckResult):
        from ..diagnostics import codes

        entry = next((e for e in result.document.entries if e.name == self.layer), None)
        extra = {"location": result.document.locate(("layers", entry.index))} if entry is not None else {}
        hint = f"raise the limit with {ENV_VAR}=<bytes> (now {self.limit:,}) if the machine has the memory"
        return codes.MODEL_TOO_LARGE(f"refused: {self}", layer=self.layer, file=result.file,
                                     hint=hint if self.needed else None, **extra)


def human_bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    raise AssertionError  # pragma: no cover


def max_model_bytes(environ: Optional[Mapping[str, str]] = None) -> int:
    """The limit from SPECBRIDGE_MAX_MODEL_BYTES, else the default. A bad value raises ModelTooLarge saying so."""
    raw = (os.environ if environ is None else environ).get(ENV_VAR, "").strip()
    if not raw:
        return DEFAULT_MAX_MODEL_BYTES
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        value = 0
    if value < 1:
        raise ModelTooLarge(0, 0, "", message=f"{ENV_VAR} must be a positive integer number of bytes, got {raw!r}")
    return value


def parameter_bytes(result: CheckResult, dtype: str = "float32") -> int:
    return result.total_params * DTYPE_BYTES.get(dtype, 4)


def activation_bytes(result: CheckResult, samples: int, dtype: str = "float32") -> int:
    """The inputs and every layer's output for `samples` inputs (one framework)."""
    total = 0
    shapes = [t.shape for t in result.graph.inputs.values()] if result.graph is not None else []
    for shape in shapes + [r.output_shape for r in result.records]:
        elements = samples
        for d in shape:
            elements *= UNKNOWN_DIM_SIZE if d is None else d
        total += elements
    return total * DTYPE_BYTES.get(dtype, 4)


def check_budget(result: CheckResult, *, dtype: str = "float32", samples: Optional[int] = None,
                 limit: Optional[int] = None) -> int:
    """The estimated bytes; raises ModelTooLarge over `limit` (default: max_model_bytes()).

    Without `samples`: the weights of one model (emit). With `samples`: a cross-check, both models' weights and
    every layer's outputs in both frameworks.
    """
    limit = max_model_bytes() if limit is None else limit
    if samples is None:
        needed, what = parameter_bytes(result, dtype), f"its {result.total_params:,} {dtype} parameters"
    else:
        needed = 2 * (parameter_bytes(result, dtype) + activation_bytes(result, samples, dtype))
        what = f"a cross-check ({dtype}, {samples} samples: both models' weights and every layer's outputs)"
    if needed > limit:
        largest = max(result.records, key=lambda r: r.params, default=None)
        raise ModelTooLarge(needed, limit, what, largest.name if largest is not None else None)
    return needed
