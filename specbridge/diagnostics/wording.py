"""Counts that agree with their number: "1 unit", "2 units", wherever a message puts a number before a noun.

Messages are written with their plural ("{units} units") since most counts are not 1; every message and explain
sentence passes through `agree_counts` once, where it is rendered, so no template needs a special case for 1.
"""

from __future__ import annotations

import re

# Count nouns the messages use, plural -> singular.
SINGULAR = {
    "axes": "axis", "entries": "entry", "times": "time", "bytes": "byte", "classes": "class", "matches": "match",
    "indices": "index", "batches": "batch", "dimensions": "dimension",
    **{f"{noun}s": noun for noun in (
        "unit", "feature", "channel", "filter", "value", "parameter", "param", "input", "output", "row", "column",
        "col", "tensor", "state", "sample", "name", "level", "layer", "int", "group", "cell", "step", "position",
        "pair", "element", "head", "dim", "weight", "item", "file", "spec", "error", "warning", "kernel", "token",
        "sequence", "frame", "node", "model", "stride", "digit", "character", "line", "statement", "call",
        "argument", "block", "second", "timestep", "pixel", "word", "label", "vector", "image", "epoch",
        "operation", "op", "module", "buffer",
    )},
}
_ONE_PLURAL = re.compile(r"(?<![\w.,\-])(1|one) (" + "|".join(sorted(SINGULAR, key=len, reverse=True)) + r")\b")


def agree_counts(text: str) -> str:
    """`text` with "1 <plural>" made singular (a count of exactly one: not 1.5, 11, 2,001 or -1).

    >>> agree_counts("Dense acts on the last axis: 2400 features -> 1 units; 11 units; 1 axes; 1.5 units")
    'Dense acts on the last axis: 2400 features -> 1 unit; 11 units; 1 axis; 1.5 units'
    """
    return _ONE_PLURAL.sub(lambda m: f"{m.group(1)} {SINGULAR[m.group(2)]}", text)
