"""NumPy basic indexing on a full shape (batch axis first): integers, slices, None (newaxis) and one Ellipsis,
as ops.get_item (x[...]) applies them. The batch axis must come through whole: a full slice or the Ellipsis."""

from __future__ import annotations

from ...diagnostics import codes
from ..errors import ShapeError
from ..records import format_shape
from .ops import BATCH, not_batch


def index_shape(layer, shape: tuple, items: tuple) -> tuple:
    """The shape of x[items] for x of `shape` (ops.full); ShapeError for an index NumPy refuses or one that takes
    the batch axis apart."""
    consuming = [i for i in items if i is not None and i is not Ellipsis]
    if len(consuming) > len(shape):
        raise ShapeError(
            codes.INVALID_ARGUMENT,
            f"{layer.kind}: too many indices: [{layer.key}] indexes {len(consuming)} axes of a tensor of rank "
            f"{len(shape)} (batch included) {_shown(shape)}",
            hint="one index per axis, the batch axis first (`:` keeps it)", argument="key")
    expanded: list = []
    for item in items:
        if item is Ellipsis:
            expanded += [slice(None)] * (len(shape) - len(consuming))
        else:
            expanded.append(item)
    expanded += [slice(None)] * (len(shape) - sum(1 for i in expanded if i is not None))
    out: list = []
    axis = 0
    for item in expanded:
        if item is None:
            if axis == 0:
                not_batch(layer, (0,), "a new axis (None) goes before the batch axis", "key")
            out.append(1)
            continue
        size = shape[axis]
        if axis == 0 and item != slice(None) and not _whole(item):
            not_batch(layer, (0,), "it indexes or slices the batch axis", "key")
        if isinstance(item, int):
            _in_bounds(layer, item, axis, size, shape)
        else:
            out.append(BATCH if size == BATCH else (None if size is None else len(range(*item.indices(size)))))
        axis += 1
    return tuple(out)


def _whole(item) -> bool:
    return isinstance(item, slice) and item.start in (None, 0) and item.stop is None and item.step in (None, 1)


def _in_bounds(layer, index: int, axis: int, size, shape: tuple) -> None:
    if size is not None and not -size <= index < size:
        raise ShapeError(
            codes.INVALID_ARGUMENT,
            f"{layer.kind}: index {index} is out of bounds for axis {axis} with size {size} ({_shown(shape)}, batch "
            "axis 0)", hint=f"use an index from {-size} to {size - 1}", argument="key")


def _shown(shape: tuple) -> str:
    return format_shape(tuple(shape[1:]))
