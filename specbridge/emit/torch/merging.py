"""Emitters of spec/layers/merging.py: element-wise merges and Concatenate."""

from __future__ import annotations

from ...spec.layers import merging as M
from ..source import call, literal
from .layout import KERAS, torch_dim
from .stage import Built, Ctx, emitter

# The runtime.py class of each element-wise merge.
MERGE_HELPERS = {
    M.Add: "Add", M.Subtract: "Subtract", M.Multiply: "Multiply", M.Average: "Average",
    M.Maximum: "Maximum", M.Minimum: "Minimum",
}


@emitter(*MERGE_HELPERS)
def emit_merge(layer, ctx: Ctx) -> Built:
    # Inputs of different ranks broadcast as in Keras (runtime.KerasBroadcast), which needs the Keras axis order;
    # so do the masks Maximum, Minimum and Multiply read (a mask is the input's Keras shape without its last axis).
    masked = isinstance(layer, (M.Multiply, M.Maximum, M.Minimum)) and any(m is not None for m in ctx.in_masks)
    layout = KERAS if masked or len({len(s) for s in ctx.in_shapes}) > 1 else ctx.in_layout
    return Built([f"{ctx.helper(MERGE_HELPERS[type(layer)])}()"], layout, layout)


@emitter(M.Concatenate)
def emit_concatenate(layer, ctx: Ctx) -> Built:
    dim = torch_dim(layer.axis, ctx.in_shape, ctx.in_layout)
    return Built([f"{ctx.helper('Concatenate')}(dim={dim})"], ctx.in_layout, ctx.in_layout)


@emitter(M.Dot)
def emit_dot(layer, ctx: Ctx) -> Built:
    """runtime_merging.KerasDot on the inputs in Keras's layout, where the axes are Keras's."""
    first, second = (len(shape) + 1 for shape in ctx.in_shapes)
    axes = tuple(a % rank for a, rank in zip(layer.axis_pair(first, second), (first, second), strict=True))
    return Built([call(ctx.helper("KerasDot"), literal(axes), literal(layer.normalize))], KERAS, KERAS)
