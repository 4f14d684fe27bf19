"""ONNX emitters of spec/layers/pooling.py: MaxPool / AveragePool, and global pooling as a reduction.

TF 'same' pooling is auto_pad SAME_UPPER; TF's average pool divides by the cells inside the input only, which is
count_include_pad=0 (REFERENCE.md section 5).
"""

from __future__ import annotations

from ...shapes.rules import as_tuple
from ...spec.layers import pooling as P
from . import conv
from .graph import to_channels_first, to_channels_last
from .stage import Ctx, emitter

OPS = {"max": "MaxPool", "average": "AveragePool"}  # per pooling MODE trait
REDUCE = {"max": "ReduceMax", "average": "ReduceMean"}
COUNT_INCLUDE_PAD = 0  # TF's average pool: tests plant 1 here to prove the cross-check catches it


@emitter(P.MaxPooling1D, P.MaxPooling2D, P.MaxPooling3D, P.AveragePooling1D, P.AveragePooling2D, P.AveragePooling3D)
def emit_pooling(layer, ctx: Ctx) -> str:
    rank = layer.RANK
    kernel = as_tuple(layer.pool_size, rank)
    strides = as_tuple(layer.strides, rank) if layer.strides is not None else kernel
    attrs = {"kernel_shape": list(kernel), "strides": list(strides)}
    if layer.padding == "same":
        attrs["auto_pad"] = conv.SAME
    if layer.MODE == "average":
        attrs["count_include_pad"] = COUNT_INCLUDE_PAD
    last, g = ctx.channels_last(layer), ctx.g
    x = to_channels_first(g, ctx.x, ctx.rank, last)
    return to_channels_last(g, g.node(OPS[layer.MODE], [x], **attrs), ctx.rank, last)


@emitter(
    P.GlobalMaxPooling1D, P.GlobalMaxPooling2D, P.GlobalMaxPooling3D,
    P.GlobalAveragePooling1D, P.GlobalAveragePooling2D, P.GlobalAveragePooling3D,
)
def emit_global_pooling(layer, ctx: Ctx) -> str:
    """A reduction over the spatial axes, in Keras's layout: no transpose needed. GlobalAveragePooling1D with a
    mask averages the unmasked steps: sum(where(mask, x, 0)) / sum(mask), nan for a sample with every step masked
    (0 / 0), as Keras computes it."""
    g = ctx.g
    first = 1 if ctx.channels_last(layer) else 2
    axes = g.ints("axes", range(first, first + layer.RANK))
    if ctx.mask is None:
        return g.node(REDUCE[layer.MODE], [ctx.x, axes], keepdims=int(layer.keepdims))
    mask = g.node("Unsqueeze", [ctx.mask, g.ints("channel_axis", [2 if first == 1 else 1])])
    kept = g.node("Where", [mask, ctx.x, g.scalar("zero", 0.0)])
    total = g.node("ReduceSum", [kept, axes], keepdims=int(layer.keepdims))
    count = g.node("ReduceSum", [g.node("Cast", [mask], to=g.float_elem), axes], keepdims=int(layer.keepdims))
    return g.node("Div", [total, count])
