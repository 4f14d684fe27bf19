"""Emitters of spec/layers/wrappers.py: TimeDistributed, folding time into the batch around the inner layer."""

from __future__ import annotations

from dataclasses import replace

from ...spec.layers import wrappers as W
from .layout import KERAS, conversion, normalize_layout
from .stage import Built, Ctx, emitter, emitter_for, sequential


@emitter(W.TimeDistributed)
def emit_time_distributed(layer, ctx: Ctx) -> Built:
    inner = layer.layer
    if inner.WRAPS:
        raise ctx.fail(f"TimeDistributed({inner.kind}) is not supported")
    if inner.MASKING == "reads" and ctx.in_mask is not None:
        raise ctx.fail(f"TimeDistributed({inner.kind}) with the mask of {ctx.in_mask.origin!r}: Keras hands the inner "
                       "layer the mask of each time step, which the emitted model does not reproduce; drop the mask "
                       "first (a layer that does not pass masks on)")
    fn = emitter_for(inner, ctx.name)
    in_shape, out_shape = ctx.in_shape[1:], ctx.out_shape[1:]
    # The inner layer sees one time step at a time; a mask of each step's positions is the wrapper's without time.
    masks = [None if m is None else replace(m, shape=m.shape[1:]) for m in ctx.in_masks]
    sub = Ctx(ctx.plan, ctx.name, [in_shape], [KERAS], out_shape, ctx.helpers, masks)
    built = fn(inner, sub)
    stages = conversion(KERAS, normalize_layout(built.takes, in_shape), ctx) + built.stages
    produced = normalize_layout(built.gives or built.takes or KERAS, out_shape)
    stages += conversion(produced, KERAS, ctx)
    return Built([f"{ctx.helper('TimeDistributed')}({sequential(stages)})"], KERAS, KERAS)
