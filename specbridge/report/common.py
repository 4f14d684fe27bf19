"""Small helpers shared by the report formatters."""

from __future__ import annotations

from typing import Optional

from ..check import CheckResult
from ..shapes.records import Shape


def batch_shape(shape: Shape) -> list[Optional[int]]:
    """A shape as JSON: the batch axis first, as null (any batch size)."""
    return [None, *shape]


def input_shapes(result: CheckResult) -> dict[str, tuple[Shape, str]]:
    """Graph inputs by name: (shape, dtype). Empty when the header did not validate."""
    header = result.document.header
    if header is None:
        return {}
    return {i.name: (tuple(i.shape), i.dtype) for i in header.named_inputs()}


def is_graph(result: CheckResult) -> bool:
    """A spec written as a graph (named inputs, or explicit `inputs:` on a layer): Keras's functional API."""
    doc = result.document
    return bool(doc.header is not None and doc.header.inputs is not None) or any(
        e.inputs is not None for e in doc.entries
    )


def readable_bytes(size: float) -> str:
    """Keras's readable_memory_size: 1024-based units, two decimals ("18.09 KB")."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"
