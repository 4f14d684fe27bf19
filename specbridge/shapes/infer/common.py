"""Helpers shared by inference functions: rank checks with one message template, tuple arguments."""

from __future__ import annotations

from typing import Optional

from ...diagnostics import codes
from ..errors import ShapeError
from ..records import Tensor, format_shape


def require_rank(
    layer, tensor: Tensor, *, ndim: Optional[int] = None, min_ndim: Optional[int] = None,
    expected: str = "", hint: Optional[str] = None,
) -> None:
    """Keras's input-spec check (ndim / min_ndim, batch axis included), one message for all layers."""
    rank = tensor.rank
    if ndim is not None and rank != ndim:
        want = f"ndim={ndim}"
    elif min_ndim is not None and rank < min_ndim:
        want = f"min_ndim={min_ndim}"
    else:
        return
    shown = f" {expected}" if expected else ""
    raise ShapeError(
        codes.NDIM_MISMATCH,
        f"{layer.kind} expects {want}{shown}, found ndim={rank}: input shape {format_shape(tensor.shape)}",
        hint=hint,
    )


def fmt(n: Optional[int]) -> str:
    """1,234,567 style for counts; 'None' for unknown."""
    return "None" if n is None else f"{n:,}"
