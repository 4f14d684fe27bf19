"""A canonical, comparable description of how a mask is computed (a key), for a spec's implicit masks
(shapes.records.Mask) and the mask computations a saved model records (importer/masks.py): equal keys, the same mask.
"""

from __future__ import annotations

from typing import Any

Key = Any  # nested tuples; an or of masks is a frozenset, so that order and repetition do not matter


def or_keys(parts: list) -> Key:
    """Or-ed masks, however nested and in whichever order (logical_or is associative, commutative, idempotent)."""
    flat: set = set()
    for part in parts:
        flat |= part[1] if part[0] == "or" else {part}
    return next(iter(flat)) if len(flat) == 1 else ("or", frozenset(flat))


def mask_key(mask) -> Key:
    """The key of a shapes.records.Mask, comparable with _keras_key's."""
    if mask.recipe in ("not_equal", "any_not_equal"):
        return (mask.recipe, mask.source, float(mask.value))
    if mask.recipe == "or":
        return or_keys([mask_key(p) for p in mask.parts])
    if mask.recipe == "concatenate":
        return ("concatenate", mask.axis, tuple(None if p is None else mask_key(p) for p in mask.parts))
    return (mask.recipe,)
