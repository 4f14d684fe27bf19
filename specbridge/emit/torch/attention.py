"""Emitters of spec/layers/attention.py: the modules of runtime_attention.py, which compute on Keras-layout tensors
(features last) whatever the input's rank, and are called as Keras calls the layer (assemble.py passes
`attention_mask` by keyword and unpacks `(output, scores)` when the layer returns its scores).

MultiHeadAttention is nn.MultiheadAttention(batch_first=True) wherever that module computes it exactly
(KerasMultiheadAttention adds Keras's masks); elsewhere the explicit runtime MultiHeadAttention. Which masks and
rows each path treats how is measured and written down in runtime_attention.py's docstring.
"""

from __future__ import annotations

from typing import Optional

from ...shapes.records import Shape
from ...spec.layers import attention as A
from ..source import call, literal
from .layout import KERAS
from .stage import Built, Ctx, emitter


def _call_shapes(layer, ctx: Ctx) -> tuple[Shape, Shape, Shape, Optional[Shape]]:
    """(query, value, key, attention_mask or None) shapes, batch excluded; the key defaults to the value."""
    positional, keyword = layer.bind(list(ctx.in_shapes))
    query, value = positional[0], positional[1]
    return query, value, positional[2] if len(positional) > 2 else value, keyword.get("attention_mask")


def _known_width(shape: Shape, role: str, ctx: Ctx) -> int:
    if shape[-1] is None:
        raise ctx.fail(f"the {role}'s last axis has no size: its projection needs one")
    return shape[-1]


def _output_shape(layer: A.MultiHeadAttention, query: Shape) -> tuple[int, ...]:
    out = layer.output_shape
    return (query[-1],) if out is None else (out,) if isinstance(out, int) else tuple(out)


def _call_options(layer) -> dict:
    """The call options as the runtime modules' keyword arguments (only those that differ from the defaults)."""
    options = {"causal": layer.use_causal_mask, "return_scores": layer.return_attention_scores}
    return {k: v for k, v in options.items() if v}


def _power_of_4(n: int) -> bool:
    while n % 4 == 0:
        n //= 4
    return n == 1


def torch_mha_fits(layer: A.MultiHeadAttention, query: Shape, mask: Optional[Shape]) -> bool:
    """nn.MultiheadAttention computes the layer exactly: rank-3 tensors attending over their steps, one head size
    for query, key and value with heads * size = the query's width = the output's width; a mask without a heads
    axis (KerasMultiheadAttention fixes Keras's fully masked rows after the heads are merged); and a key_dim whose
    1 / sqrt(key_dim) is a float32 number (a power of 4), the scale Keras uses in float64 too (runtime_attention.py)."""
    width = query[-1]
    return (len(query) == 2 and layer.attention_axes_for(3) == (1,) and _power_of_4(layer.key_dim)
            and (layer.value_dim or layer.key_dim) == layer.key_dim and layer.num_heads * layer.key_dim == width
            and _output_shape(layer, query) == (width,) and (mask is None or len(mask) <= 2))


@emitter(A.MultiHeadAttention)
def emit_multi_head_attention(layer, ctx: Ctx) -> Built:
    query, value, key, mask = _call_shapes(layer, ctx)
    widths = [_known_width(s, role, ctx) for s, role in ((query, "query"), (value, "value"), (key, "key"))]
    if torch_mha_fits(layer, query, mask):
        kwargs: dict = {"batch_first": True}
        if widths[2] != widths[0] or widths[1] != widths[0]:
            kwargs.update(kdim=widths[2], vdim=widths[1])
        if not layer.use_bias:
            kwargs["bias"] = False
        if layer.dropout:
            kwargs["dropout"] = layer.dropout
        mha = call("nn.MultiheadAttention", str(widths[0]), str(layer.num_heads), **kwargs)
        module = call(ctx.helper("KerasMultiheadAttention"), mha, **_call_options(layer))
        return Built([module], KERAS, KERAS)
    args = [str(w) for w in widths] + [str(layer.num_heads), str(layer.key_dim), str(layer.value_dim or layer.key_dim),
                                       literal(_output_shape(layer, query)),
                                       literal(layer.attention_axes_for(len(query) + 1))]
    module = call(ctx.helper("MultiHeadAttention"), *args, **_projection_options(layer))
    return Built([module], KERAS, KERAS)


def _projection_options(layer) -> dict:
    options = {} if layer.use_bias else {"bias": False}
    if layer.dropout:
        options["dropout"] = layer.dropout
    return {**options, **_call_options(layer)}


@emitter(A.GroupedQueryAttention)
def emit_grouped_query_attention(layer, ctx: Ctx) -> Built:
    query, value, key, _ = _call_shapes(layer, ctx)
    widths = [_known_width(s, role, ctx) for s, role in ((query, "query"), (value, "value"), (key, "key"))]
    args = [str(w) for w in widths] + [str(layer.head_dim), str(layer.num_query_heads), str(layer.num_key_value_heads)]
    module = call(ctx.helper("GroupedQueryAttention"), *args, **_projection_options(layer))
    return Built([module], KERAS, KERAS)


@emitter(A.Attention)
def emit_attention(layer, ctx: Ctx) -> Built:
    options = {"use_scale": True} if layer.use_scale else {}
    if layer.score_mode != "dot":
        options["score_mode"] = layer.score_mode
    if layer.dropout:
        options["dropout"] = layer.dropout
    return Built([call(ctx.helper("Attention"), **options, **_call_options(layer))], KERAS, KERAS)


@emitter(A.AdditiveAttention)
def emit_additive_attention(layer, ctx: Ctx) -> Built:
    query = _call_shapes(layer, ctx)[0]
    options = {} if layer.use_scale else {"use_scale": False}
    if layer.dropout:
        options["dropout"] = layer.dropout
    width = _known_width(query, "query", ctx) if layer.use_scale else (query[-1] or 1)
    return Built([call(ctx.helper("AdditiveAttention"), str(width), **options, **_call_options(layer))], KERAS, KERAS)
