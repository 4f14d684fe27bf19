"""The layout of an emitted model's inputs and outputs: one rule for every model, asked by the PyTorch and the
ONNX emitters alike (and by `convert`'s report, which says it).

Two options. `layout="keras"`: every input and output as the Keras model has it. `layout="torch"`: PyTorch's
layout, channels first wherever a PyTorch layer expects the channels first. For a channels_last spec, per input
and per output (ranks count the batch axis):

- rank 4 and 5 (images, volumes): channels first, NCHW and NCDHW: Keras's last axis moved to position 1, whatever
  the layers around it (Rescaling, Normalization, a Random* layer, Dropout or Activation first changes nothing).
  A video (N, T, H, W, C) for TimeDistributed or ConvLSTM2D is rank 5 too: (N, C, T, H, W), as nn.Conv3d takes it;
  ConvLSTM1D's (N, T, L, C) is rank 4: (N, C, T, L); ConvLSTM3D's rank-6 input stays (see below);
- rank 3: (N, C, L) when the tensor is a 1D signal, (N, steps, features) when it is a sequence. A signal is read
  (an input) or computed (an output) by a layer with spatial axes (the catalog's RANK trait: Conv1D, the pooling
  layers, ZeroPadding1D, Cropping1D, UpSampling1D, SpatialDropout1D), directly or through layers that work on
  each position alone (SEES_POSITIONS: Rescaling, Normalization, Dropout, activations, Dense, the normalizations,
  merges, when they keep the rank); anything else is a sequence, as PyTorch's own sequence layers take one
  (nn.LSTM/GRU with batch_first=True, nn.Linear, nn.MultiheadAttention with batch_first=True). So an LSTM model
  takes (N, T, F), not (N, F, T), and a Conv1D model takes (N, C, L), as nn.Conv1d does;
- rank 2 and below ((N, features), (N, classes)) look the same either way.

A tensor stays as Keras has it when the spatial layer that reads or computes it is channels_first (its own
`data_format`: that Keras tensor is channels first already), and so does every tensor of a channels_first spec.
Ranks above 5 stay too: PyTorch has no layer to expect one. The tensor layouts are the values of an emitted torch
class's INPUT_LAYOUT / OUTPUT_LAYOUT and of an ONNX model's metadata (INPUT_LAYOUT_KEY, OUTPUT_LAYOUT_KEY).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

# Tensor layouts: Keras's axis order, or Keras's last axis moved to position 1 (NCHW for a channels_last image).
KERAS = "keras"
CHANNELS_FIRST = "channels_first"

# The options (`--layout`, `layout=`): PyTorch's layout by the rule above, or Keras's everywhere.
TORCH_LAYOUT = "torch"
KERAS_LAYOUT = "keras"
LAYOUTS = (TORCH_LAYOUT, KERAS_LAYOUT)
# Each target's default. ONNX keeps Keras's: the ONNX model stands in for the Keras model it is converted from and
# is fed the same arrays, as tf2onnx does by default (docs/cli.md); `layout="torch"` gives NCHW for CNN tooling.
DEFAULT_LAYOUT = {"pytorch": TORCH_LAYOUT, "onnx": KERAS_LAYOUT, "keras": KERAS_LAYOUT}

# Keys of the ONNX model's metadata_props: JSON {name: tensor layout} of its inputs and of its model outputs.
INPUT_LAYOUT_KEY = "specbridge.input_layout"
OUTPUT_LAYOUT_KEY = "specbridge.output_layout"

HEADLINES = {
    TORCH_LAYOUT: "layout torch (PyTorch's: channels first for images, volumes and 1D signals; sequences (N, steps, "
                  "features)):",
    KERAS_LAYOUT: "layout keras (as the Keras model has them; layout torch gives PyTorch's, channels first):",
}

# The families whose layers (without spatial axes) work on each position alone: looked through by the rank-3 rule.
SEES_POSITIONS = ("core", "normalization", "merging", "preprocessing")


def check_layout(layout: str) -> str:
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
    return layout


@dataclass(frozen=True)
class Boundary:
    """The layout of each input and of each model output, with their Keras shapes (batch excluded)."""

    layout: str  # the option
    inputs: dict[str, str]
    outputs: dict[str, str]
    shapes: dict[str, tuple]

    def lines(self) -> list[str]:
        """'input input_layer: (N, 3, 32, 32), channels first (Keras: (N, 32, 32, 3))', one per tensor."""
        sequence = self.layout == TORCH_LAYOUT  # a rank-3 tensor kept as Keras has it is one, under this option
        return [_line("input", name, self.shapes[name], layout, sequence) for name, layout in self.inputs.items()] + \
            [_line("output", name, self.shapes[name], layout, sequence) for name, layout in self.outputs.items()]

    def describe(self) -> list[str]:
        """The option in words, then lines(): what the emitted module's docstring and `convert`'s report say."""
        return [HEADLINES[self.layout]] + [f"  {line}" for line in self.lines()]

    def to_dict(self) -> dict:
        return {"layout": self.layout, "inputs": dict(self.inputs), "outputs": dict(self.outputs)}


def boundary(plan) -> Boundary:
    """The layouts of a plan's inputs and outputs under its option (plan.layout)."""
    graph = _Graph(plan)
    inputs = {i.name: graph.decide(i.name, graph.readers(i.name)) for i in plan.inputs}
    outputs = {name: graph.decide(name, graph.writers(name)) for name in plan.outputs}
    return Boundary(plan.layout, inputs, outputs, {name: graph.shape[name] for name in [*inputs, *outputs]})


def torch_shape(shape: tuple, layout: str) -> tuple:
    """A Keras shape (batch excluded) in a tensor layout."""
    return (shape[-1], *shape[:-1]) if layout == CHANNELS_FIRST and len(shape) > 1 else tuple(shape)


class _Graph:
    """The plan's tensors, walked from an input to the layers reading it, or from an output to those computing it."""

    def __init__(self, plan):
        self.spec_format = plan.spec.data_format
        self.option = check_layout(plan.layout)
        self.steps = {s.name: s for s in plan.steps}
        self.shape = {i.name: tuple(i.shape) for i in plan.inputs}
        self.shape.update({s.name: tuple(s.record.output.shape) for s in plan.steps})
        from .spec.call import output_reference  # the library is loaded by now (a plan exists); the CLI is not

        # A layer's extra outputs (attention scores) are not feature maps: they keep Keras's layout everywhere.
        self.extra = {output_reference(s.name, n): tuple(t.shape) for s in plan.steps
                      for n, t in zip(s.record.extra_names, s.record.extra_outputs, strict=True)}
        self.shape.update(self.extra)
        # A tensor passed by keyword only (an attention mask) is no feature map either.
        read = [step.layer.bind(list(step.inputs)) for step in plan.steps]
        positional = {name for names, _ in read for name in names}
        self.keyword_only = {name for _, keywords in read for name in keywords.values()} - positional
        self.consumers: dict[str, list] = {}
        for step in plan.steps:
            for source in dict.fromkeys(step.inputs):
                self.consumers.setdefault(source, []).append(step)

    def decide(self, name: str, formats: set[str]) -> str:
        """CHANNELS_FIRST or KERAS for the tensor `name`, given the data_formats its spatial layers read or
        compute it with."""
        rank = len(self.shape[name]) + 1
        if name in self.extra or name in self.keyword_only:
            return KERAS
        if self.option == KERAS_LAYOUT or self.spec_format != "channels_last" or not 3 <= rank <= 5:
            return KERAS
        if "channels_first" in formats or (rank == 3 and not formats):
            return KERAS  # channels first in Keras already; or a sequence
        return CHANNELS_FIRST

    def readers(self, name: str, seen: Optional[set] = None) -> set[str]:
        """The data_formats of the spatial layers reading `name`, directly or through position-wise layers."""
        seen = set() if seen is None else seen
        formats: set[str] = set()
        for step in self.consumers.get(name, []):
            if step.name in seen:
                continue
            seen.add(step.name)
            if step.layer.RANK is not None:
                formats.add(step.layer.data_format_in(self.spec_format))
            elif _sees_positions(step, len(self.shape[name])):
                formats |= self.readers(step.name, seen)
        return formats

    def writers(self, name: str, seen: Optional[set] = None) -> set[str]:
        """The data_formats of the spatial layers computing `name`, directly or through position-wise layers; an
        input reached counts with the layers reading it (as it is laid out)."""
        seen = set() if seen is None else seen
        if name in seen:
            return set()
        seen.add(name)
        step = self.steps.get(name)
        if step is None:  # a graph input
            return self.readers(name)
        if step.layer.RANK is not None:
            return {step.layer.data_format_in(self.spec_format)}
        rank = len(self.shape[name])
        if not _sees_positions(step, rank):
            return set()
        formats: set[str] = set()
        for source in step.inputs:
            if len(self.shape[source]) == rank:
                formats |= self.writers(source, seen)
        return formats


def _sees_positions(step, rank: int) -> bool:
    """A layer without spatial axes that works on each position alone and keeps the rank (batch excluded)."""
    layer = step.layer
    return layer.RANK is None and layer.FAMILY in SEES_POSITIONS and len(step.record.output.shape) == rank


def _line(kind: str, name: str, shape: tuple, layout: str, sequence: bool) -> str:
    own = _shape_text(torch_shape(shape, layout))
    if layout == CHANNELS_FIRST:
        return f"{kind} {name}: {own}, channels first (Keras: {_shape_text(shape)})"
    if len(shape) <= 1:
        return f"{kind} {name}: {own}"
    return f"{kind} {name}: {own}, {'a sequence, ' if sequence and len(shape) == 2 else ''}as Keras has it"


def _shape_text(shape: tuple) -> str:
    return "(" + ", ".join(["N"] + ["None" if d is None else str(d) for d in shape]) + ")"
