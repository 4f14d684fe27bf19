"""The `key` of an ops.get_item node: Python's indexing syntax between the brackets, parsed into its items.

`:, -1, :` is (slice(None), -1, slice(None)); `..., None, 0:4:2` is (Ellipsis, None, slice(0, 4, 2)). Only what a
saved Keras graph can hold: integers, slices of integers, None (newaxis) and one Ellipsis.
"""

from __future__ import annotations

from typing import Union

Item = Union[int, slice, None, "type(Ellipsis)"]


def parse_key(text: str) -> tuple:
    """The items of an index; ValueError with a readable reason for anything else."""
    parts = [p.strip() for p in text.strip().strip("[]").split(",")]
    if parts and parts[-1] == "" and len(parts) > 1:
        parts = parts[:-1]  # `0,` is a one-item tuple, as in Python
    items = tuple(_item(p) for p in parts)
    if sum(1 for i in items if i is Ellipsis) > 1:
        raise ValueError("an index can only have a single ellipsis ('...')")
    return items


def _item(part: str):
    if part == "...":
        return Ellipsis
    if part in ("None", "newaxis", "np.newaxis"):
        return None
    if ":" in part:
        pieces = part.split(":")
        if len(pieces) > 3:
            raise ValueError(f"{part!r} is not a slice (start:stop:step)")
        start, stop, step = (_int_or_none(p, part) for p in (*pieces, "")[:3])
        if step == 0:
            raise ValueError(f"{part!r}: slice step cannot be zero")
        return slice(start, stop, step)
    return _int(part, part)


def _int_or_none(text: str, part: str):
    return None if text.strip() == "" else _int(text, part)


def _int(text: str, part: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError(f"{part!r} is not an integer, a slice, None or '...'") from None


def key_text(items: tuple) -> str:
    """The items written back in Python's syntax (`:, -1, :`)."""
    def one(item) -> str:
        if item is Ellipsis:
            return "..."
        if item is None:
            return "None"
        if isinstance(item, slice):
            text = ":".join("" if v is None else str(v) for v in (item.start, item.stop))
            return text + (f":{item.step}" if item.step is not None else "")
        return str(item)
    text = ", ".join(one(i) for i in items)
    return text + "," if len(items) == 1 else text  # a tuple of one: Keras refuses a lone `:` or `...` as a key


def is_lone(text: str) -> bool:
    """The key is one item with no comma (`...`, `:`): not a tuple."""
    return "," not in text.strip().strip("[]")
