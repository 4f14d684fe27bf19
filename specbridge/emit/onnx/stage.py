"""The ONNX emitter stage: its table keyed by layer class, and what an emitter gets (Ctx).

An emitter adds the nodes computing one spec layer to the graph and returns the name of its output value. Its
input and output are in Keras's axis order (the spec's data_format); weights come in Keras's layout from
ctx.weight(), whatever their source (a Keras model, a PyTorch model, or seeded random values: weights.py).
One module per layer family (conv.py, pooling.py, ..., mirroring spec/layers/<family>.py) adds the entries.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ...shapes.axes import split_channels
from ...shapes.records import Shape
from ...spec.base import Layer
from ...spec.catalog import FAMILY_ORDER, Stage, StageGap
from ..errors import NotExpressible
from ..plan import Plan
from .graph import GraphBuilder


@dataclass
class Ctx:
    g: GraphBuilder
    plan: Plan
    name: str  # the spec layer
    inputs: list[str]  # value names, Keras layout
    in_shapes: list[Shape]  # Keras shapes without the batch axis
    out_shape: Shape
    weights: object  # weights.WeightSource
    path: str = ""  # attribute path of the Keras layer holding the weights ("layer." inside TimeDistributed)
    spec_layer: Optional[Layer] = None  # the outermost spec layer (the wrapper, inside TimeDistributed)
    weights_of: Optional[str] = None  # the layer whose weights these are (`shares:`); None: this one's
    # The Keras mask each input carries, as the ONNX value (bool, the mask's shape with the batch axis) of
    # assemble.py's masks, in `inputs`' order; None where the input has none. assemble.py computes them for the
    # layers whose values depend on masks (masks.reads_masks) only: the others see None everywhere.
    in_masks: list[Optional[str]] = field(default_factory=list)

    @property
    def x(self) -> str:
        return self.inputs[0]

    @property
    def mask(self) -> Optional[str]:
        """The (first) input's mask value, or None."""
        return self.in_masks[0] if self.in_masks else None

    @property
    def in_shape(self) -> Shape:
        return self.in_shapes[0]

    @property
    def rank(self) -> int:
        """Axes of the (first) input, batch included."""
        return len(self.in_shape) + 1

    def weight(self, attribute: str, shape: tuple[int, ...]) -> np.ndarray:
        """The Keras variable `attribute` ("kernel", "cell.bias", ...) of this layer, in Keras's layout and shape."""
        return self.weights.array(self.weights_of or self.name, self.spec_layer, self.path + attribute, tuple(shape))

    def fail(self, reason: str) -> NotExpressible:
        return NotExpressible(self.name, reason)

    def channels_last(self, layer: Layer) -> bool:
        return layer.data_format_in(self.plan.spec.data_format) == "channels_last"

    def split(self, layer: Layer, shape: Shape) -> tuple[Shape, Optional[int]]:
        """(spatial dims, channels) of a Keras shape as this layer reads it."""
        return split_channels(shape, self.channels_last(layer))

    def known(self, value: Optional[int], what: str) -> int:
        if value is None:
            raise self.fail(f"{what} is unknown (null) here, and ONNX needs it to size this layer's weights")
        return value


Emitter = Callable[[Layer, Ctx], str]

ONNX_EMITTERS: Stage[Emitter] = Stage("ONNX emitter")
emitter = ONNX_EMITTERS.register


def emitter_for(layer: Layer, name: str) -> Emitter:
    """The ONNX emitter of a layer's class; NotExpressible (SB400) with the stage's reason when it has none."""
    try:
        return ONNX_EMITTERS.entry(type(layer))
    except StageGap as gap:
        raise NotExpressible(name, str(gap)) from None


def load_stage() -> Stage:
    """The table with every entry: imports the emitter module of each layer family (conv.py, pooling.py, ...)."""
    for family in FAMILY_ORDER:
        importlib.import_module(f".{family}", __package__)
    return ONNX_EMITTERS
