"""ONNX emitters of spec/layers/wrappers.py: TimeDistributed, folding time into the batch around the inner layer.

The inner layer is emitted by its own ONNX emitter on (N * T, inner dims...); its weights are the wrapper's
`layer.<attribute>` variables in Keras (Ctx.path), which is also how nested wrappers reach theirs. An inner layer that reads masks gets the input's Keras mask folded
the same way, as Keras hands it the mask of each time step.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

from ...spec.layers import wrappers as W
from .masks import reads_masks
from .stage import Ctx, emitter, emitter_for


def _fold(ctx: Ctx) -> str:
    """(N, T, d...) -> (N * T, d...): constant dims when the frame's are known, else read from the input."""
    g, frame = ctx.g, ctx.in_shape[1:]
    if all(d is not None for d in frame):
        shape = g.ints("folded", [-1, *frame])
    else:
        shape = g.node("Concat", [g.ints("minus_one", [-1]), g.node("Shape", [ctx.x], start=2)], axis=0)
    return g.node("Reshape", [ctx.x, shape])


def _unfold(ctx: Ctx, y: str) -> str:
    """(N * T, e...) -> (N, T, e...). N is lost in the fold, so a -1 stands for it when T and the output dims are
    known; otherwise N and T come from the input's shape and e... from y's."""
    g, steps, frame = ctx.g, ctx.in_shape[0], ctx.out_shape[1:]
    if steps is not None and all(d is not None for d in frame):
        shape = g.ints("unfolded", [-1, steps, *frame])
    else:
        shape = g.node("Concat", [g.node("Shape", [ctx.x], end=2), g.node("Shape", [y], start=1)], axis=0)
    return g.node("Reshape", [y, shape])


def _inner_masks(layer: W.TimeDistributed, ctx: Ctx) -> list[Optional[str]]:
    """The mask Keras's TimeDistributed.call hands its inner layer at each step, mask[:, t], folded as the input
    is: (N, T, d...) -> (N * T, d...). Only for an inner layer that reads masks; one of a mask (batch, steps) would
    get a (batch,) mask, which Keras's readers fail on."""
    if ctx.mask is None or not reads_masks(layer.layer):
        return []
    record = next(step.record for step in ctx.plan.steps if step.name == ctx.name)
    shape = record.input_masks[0].shape[ctx.path.count("layer."):]  # nested TimeDistributed: folded already
    if len(shape) < 2:
        raise ctx.fail(f"{layer.layer.kind} inside TimeDistributed would read the mask of each time step, of shape "
                       "(batch,): Keras fails on it; mask each step's own positions (e.g. an Embedding(mask_zero) "
                       "over (steps, positions) ids)")
    g = ctx.g
    shape = g.node("Concat", [g.ints("minus_one", [-1]), g.node("Shape", [ctx.mask], start=2)], axis=0)
    return [g.node("Reshape", [ctx.mask, shape])]


@emitter(W.TimeDistributed)
def emit_time_distributed(layer, ctx: Ctx) -> str:
    inner = layer.layer
    fn = emitter_for(inner, ctx.name)
    sub = dataclasses.replace(ctx, inputs=[_fold(ctx)], in_shapes=[ctx.in_shape[1:]], out_shape=ctx.out_shape[1:],
                              path=ctx.path + "layer.", in_masks=_inner_masks(layer, ctx))
    return _unfold(ctx, fn(inner, sub))
