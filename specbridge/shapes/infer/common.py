"""Helpers shared by inference functions: rank checks with one message template, tuple arguments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

from ...diagnostics import codes
from ..errors import ShapeError
from ..records import Shape, Tensor, format_shape

SPATIAL_NAMES = {1: ("steps",), 2: ("rows", "cols"), 3: ("depth", "rows", "cols")}


def layout(rank: int, channels_last: bool) -> str:
    """'(batch, rows, cols, channels)' for a 2D layer: what the layer expects, in words."""
    names = list(SPATIAL_NAMES.get(rank, tuple(f"dim{i}" for i in range(rank))))
    axes = ["batch"] + (names + ["channels"] if channels_last else ["channels"] + names)
    return "(" + ", ".join(axes) + ")"


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


def split_channels(shape: Shape, channels_last: bool) -> tuple[Shape, Optional[int]]:
    """(spatial dims, channels) of a channels-last or channels-first shape."""
    if channels_last:
        return tuple(shape[:-1]), shape[-1]
    return tuple(shape[1:]), shape[0]


def join_channels(spatial: Sequence, channels, channels_last: bool) -> Shape:
    return tuple(spatial) + (channels,) if channels_last else (channels,) + tuple(spatial)


def fmt(n: Optional[int]) -> str:
    """1,234,567 style for counts; 'None' for unknown."""
    return "None" if n is None else f"{n:,}"
