"""Keras's implicit masks as ONNX values: each mask a layer reading masks needs, computed once from its recipe
(shapes/records.py Mask), as a bool value of the mask's shape with the batch axis.

ONNX has no implicit masks, so what Keras hands a layer's call behind the scenes (the `mask` of
Embedding(mask_zero=True) or Masking, passed on by the layers that keep it, or-ed by the merges) is computed here
and given to the emitters as Ctx.in_masks. Only the layers whose values depend on a mask get them (reads_masks):
a layer that merely passes a mask on computes nothing from it.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from ...shapes.records import Mask
from ...spec.base import Layer
from ...spec.layers import wrappers as W
from .graph import BOOL, GraphBuilder


def reads_masks(layer: Layer) -> bool:
    """Whether the layer's values depend on its inputs' Keras masks (TimeDistributed: its inner layer's do)."""
    if isinstance(layer, W.TimeDistributed):
        return reads_masks(layer.layer)
    return layer.MASKING == "reads"


def not_equal(g: GraphBuilder, x: str, value: float) -> str:
    """x != value, compared in the model's float dtype as Keras compares an int tensor with a Python float (every
    nonzero integer stays nonzero there)."""
    return g.node("Not", [g.node("Equal", [g.node("Cast", [x], to=g.float_elem), g.scalar("mask_value", value)])])


def any_not_equal(g: GraphBuilder, x: str, value: float, keepdims: int) -> str:
    """Masking's any(x != value, axis=-1): a max over the last axis of the comparison as 0 / 1 (onnxruntime's
    reductions take numbers, not bools)."""
    differs = g.node("Cast", [not_equal(g, x, value)], to=g.float_elem)
    return g.node("Cast", [g.node("ReduceMax", [differs, g.ints("axes", [-1])], keepdims=keepdims)], to=BOOL)


def leading(g: GraphBuilder, x: str) -> str:
    """The shape of x without its last axis (int64), which the masks of x's positions have."""
    return g.node("Shape", [x], end=-1)


class MaskValues:
    """The masks of one ONNX graph, built on first use and reused (assemble.py makes one per model). `keras_value`
    maps a graph value to its Keras-layout value (a channels-first input's transpose), read when a mask is built."""

    def __init__(self, g: GraphBuilder, plan, keras_value: dict[str, str]):
        self.g, self.keras_value = g, keras_value
        self.inputs_of = {step.name: step.inputs for step in plan.steps}
        self.values: dict[Mask, str] = {}

    def for_step(self, step) -> list[Optional[str]]:
        """Ctx.in_masks of a step: the value of each input's mask, for a layer that reads masks; None elsewhere."""
        masks = list(step.record.input_masks)[:len(step.inputs)]
        masks += [None] * (len(step.inputs) - len(masks))
        if not reads_masks(step.layer):
            return [None] * len(masks)
        return [None if mask is None else self.value(mask) for mask in masks]

    def value(self, mask: Mask) -> str:
        if mask not in self.values:
            prefix, self.g.prefix = self.g.prefix, f"{mask.origin}/mask"
            try:
                self.values[mask] = self._build(mask)
            finally:
                self.g.prefix = prefix
        return self.values[mask]

    def _keras(self, name: str) -> str:
        return self.keras_value.get(name, name)

    def _build(self, mask: Mask) -> str:
        g = self.g
        if mask.recipe == "not_equal":  # Embedding(mask_zero=True): ops.not_equal(ids, 0)
            return not_equal(g, self._keras(mask.source), mask.value)
        if mask.recipe == "any_not_equal":  # Masking
            return any_not_equal(g, self._keras(mask.source), mask.value, keepdims=0)
        if mask.recipe == "or":  # the merges' compute_mask: logical_or of every input's mask, left to right
            values = [self.value(part) for part in mask.parts]
            out = values[0]
            for value in values[1:]:
                out = g.node("Or", [out, value])
            return out
        if mask.recipe == "concatenate":
            return self._concatenate(mask)
        if mask.recipe == "true":  # Concatenate on the last axis with an input that has no mask: true everywhere
            first = self._keras(self.inputs_of[mask.origin][0])
            return g.node("Expand", [g.constant("true", np.asarray(True)), leading(g, first)])
        raise ValueError(f"unknown mask recipe {mask.recipe!r} (shapes/records.py Mask)")

    def _concatenate(self, mask: Mask) -> str:
        """Concatenate.compute_mask: each input's mask (all-true where it has none) widened to its input's shape,
        joined on `axis`, then any() over the last axis: the masks, widened to their inputs' positions, joined."""
        g = self.g
        inputs = [self._keras(n) for n in self.inputs_of[mask.origin]]
        parts = []
        for part, shape, x in zip(mask.parts, mask.part_shapes, inputs, strict=True):
            if part is None:
                parts.append(g.node("Expand", [g.constant("true", np.asarray(True)), leading(g, x)]))
            elif tuple(part.shape) != tuple(shape):
                parts.append(g.node("Expand", [self.value(part), leading(g, x)]))
            else:
                parts.append(self.value(part))
        return g.node("Concat", parts, axis=mask.axis + 1)
