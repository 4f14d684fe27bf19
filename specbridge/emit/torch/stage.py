"""The PyTorch emitter stage: its table keyed by layer class, and what an emitter gets (Ctx) and returns (Built, or
Inline for a tensor operation).

An emitter writes the stages (module expressions) computing one spec layer for the layout its input has, and
declares the layout it takes and gives. One module per layer family (conv.py, pooling.py, ..., mirroring
spec/layers/<family>.py) adds the entries; load_stage() imports them all.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Optional, Union

from ...shapes.axes import split_channels
from ...shapes.records import Mask, Shape
from ...spec.base import Layer
from ...spec.catalog import FAMILY_ORDER, Stage, StageGap
from ..errors import NotExpressible
from ..plan import Plan
from .helpers import helper_names
from .layout import CHANNELS_FIRST, KERAS


@dataclass
class Built:
    """A layer's PyTorch stages; `takes`/`gives` are layouts (None: whatever the input has)."""

    stages: list[str]
    takes: Optional[str] = None
    gives: Optional[str] = None


@dataclass
class Inline:
    """A tensor operation (spec/layers/ops.py): no submodule, an expression forward() assigns to the op's variable.

    `write` gets the variables of the op's tensors (in its call order, each in Keras's layout: ops compute on Keras's
    axes) and returns the expression (`torch.matmul(q, k)`); an op with several outputs (ops.split) returns a tuple
    of them. The result is in Keras's layout too.
    """

    write: Callable[[list[str]], str]


@dataclass
class Ctx:
    plan: Plan
    name: str
    in_shapes: list[Shape]
    in_layouts: list[str]
    out_shape: Shape
    helpers: set[str] = field(default_factory=set)
    # The Keras mask each input carries (step.record.input_masks, in the same order; None: none). A layer that reads
    # masks (MASKING "reads") gets them in forward() by keyword (assemble.py); its module must take them.
    in_masks: list[Optional[Mask]] = field(default_factory=list)

    @property
    def in_shape(self) -> Shape:
        return self.in_shapes[0]

    @property
    def in_mask(self) -> Optional[Mask]:
        """The mask of the first input (None: none)."""
        return self.in_masks[0] if self.in_masks else None

    @property
    def in_layout(self) -> str:
        return self.in_layouts[0]

    def helper(self, name: str) -> str:
        """The name of a runtime.py class, which the emitted file then includes."""
        if name not in helper_names():
            raise KeyError(f"no helper class {name!r} in specbridge/emit/torch/runtime.py")
        self.helpers.add(name)
        return name

    def fail(self, reason: str) -> NotExpressible:
        return NotExpressible(self.name, reason)

    def channels_last(self, layer: Layer) -> bool:
        return layer.data_format_in(self.plan.spec.data_format) == "channels_last"

    def spatial_layout(self, layer: Layer) -> str:
        """The layout that puts the channel axis at 1 for this layer."""
        return CHANNELS_FIRST if self.channels_last(layer) else KERAS

    def split(self, layer: Layer, shape: Shape) -> tuple[Shape, Optional[int]]:
        """(spatial dims, channels) of a Keras shape as this layer reads it."""
        return split_channels(shape, self.channels_last(layer))


Emitter = Callable[[Layer, Ctx], Union[Built, Inline]]

EMITTERS: Stage[Emitter] = Stage("PyTorch emitter")
emitter = EMITTERS.register


def emitter_for(layer: Layer, name: str) -> Emitter:
    """The PyTorch emitter of a layer's class; NotExpressible (SB400) with the stage's reason when it has none."""
    try:
        return EMITTERS.entry(type(layer))
    except StageGap as gap:
        raise NotExpressible(name, str(gap)) from None


def load_stage() -> Stage:
    """The table with every entry: imports the emitter module of each layer family (conv.py, pooling.py, ...)."""
    for family in FAMILY_ORDER:
        importlib.import_module(f".{family}", __package__)
    return EMITTERS


def sequential(stages: list[str]) -> str:
    """One module expression for a list of stages."""
    return stages[0] if len(stages) == 1 else "nn.Sequential(" + ", ".join(stages) + ")"
