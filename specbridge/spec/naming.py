"""Default layer names, as Keras 3 makes them (keras/src/utils/naming.py)."""

from __future__ import annotations

import re
from collections import defaultdict
from functools import cache


@cache
def to_snake_case(name: str) -> str:
    """Keras's conversion of a class name: Conv2D -> conv2d, MaxPooling2D -> max_pooling2d, ReLU -> re_lu."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub("([a-z])([A-Z])", r"\1_\2", name)
    return name.lower()


class Namer:
    """Hands out conv2d, conv2d_1, ... per class, like Keras's per-session counter."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = defaultdict(int)

    def next(self, class_name: str) -> str:
        base = to_snake_case(class_name)
        count = self._counts[base]
        self._counts[base] += 1
        return base if count == 0 else f"{base}_{count}"
