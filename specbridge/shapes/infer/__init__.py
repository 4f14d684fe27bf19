"""Per-layer inference functions, registered by canonical Keras class name.

An inference function takes (layer, inputs: list[Tensor], ctx: Context) and returns Inferred, or
raises ShapeError. Families live in their own modules (mirroring spec/layers/), each imported the first
time a spec uses one of its layer types.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from ...spec.base import Layer
from ..records import Inferred, Tensor

InferFn = Callable[[Layer, list[Tensor], "Context"], Inferred]
RULES: dict[str, InferFn] = {}


def rule(*layer_classes: type[Layer]):
    """Register the decorated function for these layer classes."""

    def register(fn: InferFn) -> InferFn:
        for cls in layer_classes:
            RULES[cls.type_names()[0]] = fn
        return fn

    return register


class Context:
    """What an inference function may know beyond its layer and inputs."""

    def __init__(self, data_format: str = "channels_last"):
        self.data_format = data_format

    def channels_last(self, layer: Layer) -> bool:
        fmt = getattr(layer, "data_format", None) or self.data_format
        return fmt == "channels_last"

    def infer(self, layer: Layer, inputs: list[Tensor]) -> Inferred:
        """Infer one layer (wrappers call this for the layer they wrap)."""
        fn = RULES.get(layer.kind) or _load_rules(layer.kind)
        return fn(layer, inputs, self)


def _load_rules(kind: str) -> InferFn:
    """Import the rule module of `kind`'s family: shapes/infer/<family>.py mirrors spec/layers/<family>.py."""
    from ...spec.registry import FAMILY_OF

    importlib.import_module(f".{FAMILY_OF[kind]}", __name__)
    fn = RULES.get(kind)
    if fn is None:  # every layer class has a rule; tests/shapes keeps it so
        raise NotImplementedError(f"no shape rule for {kind}")
    return fn


def load_all_rules() -> dict[str, InferFn]:
    """Every rule (for tests and tools that enumerate them)."""
    from ...spec.registry import FAMILIES

    for family in FAMILIES:
        importlib.import_module(f".{family}", __name__)
    return RULES
