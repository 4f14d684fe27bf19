"""Per-layer inference functions, registered by canonical Keras class name.

An inference function takes (layer, inputs: list[Tensor], ctx: Context) and returns Inferred, or
raises ShapeError. Families live in their own modules; importing this package registers them all.
"""

from __future__ import annotations

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
        fn = RULES.get(layer.kind)
        if fn is None:  # every registered layer class has a rule; a test keeps it so
            raise NotImplementedError(f"no shape rule for {layer.kind}")
        return fn(layer, inputs, self)


# Register every family.
from . import conv, core, merging, normalization, pooling, recurrent, reshaping, wrappers  # noqa: E402,F401
