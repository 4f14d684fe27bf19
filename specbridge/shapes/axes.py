"""Axes of a per-sample shape: the names of spatial axes, and where the channel axis sits.

The one place for these facts: shape rules, lint and the emitters all split shapes here. Shapes exclude the
batch axis; `channels_last` is what Layer.data_format_in(...) == "channels_last" says for the layer at hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

Shape = tuple  # of Optional[int], batch axis excluded (as records.Shape)

SPATIAL_NAMES: dict[int, tuple[str, ...]] = {1: ("steps",), 2: ("rows", "cols"), 3: ("depth", "rows", "cols")}


def spatial_names(rank: int) -> tuple[str, ...]:
    """('rows', 'cols') for 2 spatial axes; dim0, dim1... beyond 3."""
    return SPATIAL_NAMES.get(rank, tuple(f"dim{i}" for i in range(rank)))


def layout(rank: int, channels_last: bool) -> str:
    """'(batch, rows, cols, channels)' for a 2D layer: what the layer expects, in words."""
    names = list(spatial_names(rank))
    axes = ["batch"] + (names + ["channels"] if channels_last else ["channels"] + names)
    return "(" + ", ".join(axes) + ")"


def split_channels(shape: Shape, channels_last: bool) -> tuple[Shape, Optional[int]]:
    """(spatial dims, channels) of a channels-last or channels-first shape."""
    if channels_last:
        return tuple(shape[:-1]), shape[-1]
    return tuple(shape[1:]), shape[0]


def join_channels(spatial: Sequence, channels, channels_last: bool) -> Shape:
    """The inverse of split_channels."""
    return tuple(spatial) + (channels,) if channels_last else (channels,) + tuple(spatial)
