"""ONNX emitters of spec/layers/wrappers.py: TimeDistributed, folding time into the batch around the inner layer.

The inner layer is emitted by its own ONNX emitter on (N * T, inner dims...); its weights are the wrapper's
`layer.<attribute>` variables in Keras (Ctx.path), which is also how nested wrappers reach theirs.
"""

from __future__ import annotations

import dataclasses

from ...spec.layers import wrappers as W
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


@emitter(W.TimeDistributed)
def emit_time_distributed(layer, ctx: Ctx) -> str:
    inner = layer.layer
    fn = emitter_for(inner, ctx.name)
    sub = dataclasses.replace(ctx, inputs=[_fold(ctx)], in_shapes=[ctx.in_shape[1:]], out_shape=ctx.out_shape[1:],
                              path=ctx.path + "layer.")
    return _unfold(ctx, fn(inner, sub))
