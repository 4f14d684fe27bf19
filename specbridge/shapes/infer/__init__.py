"""Per-layer inference functions: the "shape rule" stage, keyed by layer class.

An inference function takes (layer, inputs: list[Tensor], ctx: Context) and returns Inferred, or
raises ShapeError. Families live in their own modules (shapes/infer/<FAMILY>.py mirrors
spec/layers/<FAMILY>.py), each imported the first time a spec uses one of its layer types.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from ...spec.base import Layer
from ...spec.catalog import FAMILY_ORDER, Stage
from ..records import Inferred, Tensor

InferFn = Callable[[Layer, list[Tensor], "Context"], Inferred]
RULES: Stage[InferFn] = Stage("shape rule")
rule = RULES.register  # @rule(Conv1D, Conv2D) registers the decorated function for those classes


class Context:
    """What an inference function may know beyond its layer and inputs."""

    def __init__(self, data_format: str = "channels_last"):
        self.data_format = data_format

    def channels_last(self, layer: Layer) -> bool:
        return layer.data_format_in(self.data_format) == "channels_last"

    def infer(self, layer: Layer, inputs: list[Tensor]) -> Inferred:
        """Infer one layer (wrappers call this for the layer they wrap)."""
        cls = type(layer)
        fn = RULES.entries.get(cls)
        if fn is None:
            importlib.import_module(f".{cls.FAMILY}", __name__)
            fn = RULES.entry(cls)  # every layer class has a rule: tests/test_stages.py keeps it so
        return fn(layer, inputs, self)


def load_stage() -> Stage[InferFn]:
    """The whole stage, every family's rules imported (for the catalog check and tools that enumerate)."""
    for family in FAMILY_ORDER:
        importlib.import_module(f".{family}", __name__)
    return RULES
