"""ONNX emitters of spec/layers/attention.py: MultiHeadAttention, GroupedQueryAttention, Attention, AdditiveAttention.

Keras 3.15 computes multi-head attention in one of two ways (keras/src/layers/attention/multi_head_attention.py),
and they differ where a query row is masked entirely, so each is reproduced as it is:

- "dot_product_attention" (ops.dot_product_attention; MultiHeadAttention on a rank-3 query, GroupedQueryAttention,
  when neither dropout > 0 nor return_attention_scores): logits = (q . k) * scale; masked logits become
  -0.7 * 3.38953e38 (keras/src/backend/tensorflow/nn.py _get_large_negative); softmax. A fully masked row is
  then uniform: the mean of the values over every key.
- the Softmax layer (every other case): q * scale, then q . k; masked scores become -1e9
  (keras/src/layers/activations/softmax.py), softmax over the attention axes (exp(x - logsumexp) over several),
  and the masked positions set to 0 after it: a fully masked row is all zeros, the output its projection's bias.

Both scale by 1 / sqrt(key_dim) rounded to float32, in a float64 model too (keras_scale). The projections are
Keras's EinsumDense equations as MatMul + Reshape; attention over one axis is Transpose + MatMul, over several
Einsum with Keras's own equations. The mask is Keras's: the attention_mask cast to bool (GroupedQueryAttention's
Softmax path without a causal mask: > 0.5), and-ed with the causal mask (1, Tq, Tk), with axes inserted before the
heads axis until it has the scores' rank. An emitter with return_attention_scores returns (output, scores);
assemble.py names the scores `NAME.scores`.
"""

from __future__ import annotations

import string
from typing import Optional

import numpy as np

from ...spec.layers import attention as A
from .graph import BOOL
from .stage import Ctx, emitter

SOFTMAX_NEGATIVE = -1e9  # keras/src/layers/activations/softmax.py _large_negative_number (float32 and float64)
DOT_PRODUCT_NEGATIVE = 3.38953e38 * -0.7  # keras/src/backend/tensorflow/nn.py _get_large_negative
SCORE_PADDING = 1.0e9  # keras/src/layers/attention/attention.py Attention._apply_scores: scores - 1e9 where masked


def keras_scale(size: int) -> float:
    """1 / sqrt(size) as Keras's TensorFlow backend applies it: ops.cast / tf.cast of a Python float goes through a
    float32 tensor, so even a float64 model scales by the float32 value (measured: 4e-9 off otherwise)."""
    return float(np.float32(1.0 / np.sqrt(float(size))))


def _bound(layer, ctx: Ctx) -> tuple[list[str], list, Optional[str], Optional[tuple]]:
    """([query, value, key] values, their shapes, the attention_mask value or None, its shape)."""
    values, keywords = layer.bind(list(ctx.inputs))
    shapes, shape_keywords = layer.bind(list(ctx.in_shapes))
    if len(values) == 2:  # no key: the value is the key
        values, shapes = [*values, values[1]], [*shapes, shapes[1]]
    return values, shapes, keywords.get("attention_mask"), shape_keywords.get("attention_mask")


def _widths(ctx: Ctx, shapes: list) -> list[int]:
    """The last axes of query, value and key, which size the projections."""
    roles = ("query", "value", "key")
    return [ctx.known(shape[-1], f"the {role}'s last axis") for shape, role in zip(shapes, roles, strict=True)]


# ---------------------------------------------------------------- projections (EinsumDense)


def _project(ctx: Ctx, x: str, rank: int, role: str, width: int, heads: int, size: int, bias: bool) -> str:
    """Keras's "ab..c,cde->ab..de" (+ bias "de"): (N, ..., width) -> (N, ..., heads, size)."""
    g = ctx.g
    kernel = ctx.weight(f"{role}/kernel", (width, heads, size)).reshape(width, heads * size)
    y = g.node("MatMul", [x, g.weight(f"{role}/kernel", kernel)])
    y = g.node("Reshape", [y, g.ints("shape", [0] * (rank - 1) + [heads, size])])
    if bias:
        y = g.node("Add", [y, g.weight(f"{role}/bias", ctx.weight(f"{role}/bias", (heads, size)))])
    return y


def _project_output(ctx: Ctx, x: str, rank: int, heads: int, size: int, out: tuple[int, ...], bias: bool) -> str:
    """Keras's "ab..cd,cde..->ab..e.." (+ bias "e.."): (N, ..., heads, size) -> (N, ..., *out)."""
    g = ctx.g
    total = int(np.prod(out))
    kernel = ctx.weight("attention_output/kernel", (heads, size, *out)).reshape(heads * size, total)
    y = g.node("Reshape", [x, g.ints("merged", [0] * (rank - 1) + [-1])])
    y = g.node("MatMul", [y, g.weight("attention_output/kernel", kernel)])
    if len(out) > 1:
        y = g.node("Reshape", [y, g.ints("shape", [0] * (rank - 1) + list(out))])
    if bias:
        y = g.node("Add", [y, g.weight("attention_output/bias", ctx.weight("attention_output/bias", out))])
    return y


# ---------------------------------------------------------------- masks


def _length(ctx: Ctx, x: str, axis: int) -> str:
    """The size of axis `axis` of `x`, a 0-d int64 value."""
    g = ctx.g
    return g.node("Squeeze", [g.node("Shape", [x], start=axis, end=axis + 1 if axis != -1 else None),
                              g.ints("axes", [0])])


def causal_mask(ctx: Ctx, query: str, query_axis: int, key: str, key_axis: int) -> str:
    """Keras's causal mask, (1, Tq, Tk) bool: True where the key position <= the query position."""
    g = ctx.g
    zero, one = g.constant("zero", np.asarray(0, np.int64)), g.constant("one", np.asarray(1, np.int64))
    rows = g.node("Range", [zero, _length(ctx, query, query_axis), one])
    columns = g.node("Range", [zero, _length(ctx, key, key_axis), one])
    lower = g.node("GreaterOrEqual", [g.node("Unsqueeze", [rows, g.ints("axes", [1])]), columns])
    return g.node("Unsqueeze", [lower, g.ints("axes", [0])])


def expanded(ctx: Ctx, mask: str, rank: int, target: int, attention_rank: int) -> str:
    """Keras's _masked_softmax expansion: expand_dims(mask, -2 * attention_rank - 1) until the mask has `target`
    axes (rank: the mask's, batch included). The inserted axes are consecutive, just before the heads axis."""
    if rank >= target:
        return mask
    at = rank - 2 * attention_rank
    if at < 0:
        raise ctx.fail(f"Keras cannot expand an attention mask of rank {rank} to the scores' rank {target} "
                       f"(expand_dims at axis {-2 * attention_rank - 1})")
    return ctx.g.node("Unsqueeze", [mask, ctx.g.ints("axes", range(at, at + target - rank))])


def implicit_mask(layer, ctx: Ctx) -> tuple[Optional[str], int]:
    """Keras's _compute_attention_mask from the inputs' Keras masks (MultiHeadAttention, GroupedQueryAttention):
    expand_dims(query_mask, -1) & expand_dims(value_mask, -2) & expand_dims(key_mask, -2), each where the input has
    one; (None, 0) without any. Returns (the mask, its rank with the batch axis)."""
    if not any(ctx.in_masks):
        return None, 0
    g = ctx.g
    masks, shapes = layer.bind(list(ctx.in_masks))[0], layer.bind(list(ctx.in_shapes))[0]
    auto, rank = None, 0
    for mask, shape, axis in zip(masks, shapes, (-1, -2, -2), strict=False):  # query, value, key
        if mask is not None:
            widened = g.node("Unsqueeze", [mask, g.ints("axes", [axis])])
            auto = widened if auto is None else g.node("And", [auto, widened])
            rank = max(rank, len(shape) + 1)  # the input's positions (its shape but the last axis), batch, new axis
    return auto, rank


def _combined_mask(layer, ctx: Ctx, query: str, value: str, mask: Optional[str], mask_shape,
                   threshold: bool = False) -> tuple[Optional[str], int]:
    """(attention_mask as bool and-ed with the causal mask and the inputs' Keras masks, or None; its rank with the
    batch axis). Keras casts the mask to bool (nonzero is True), except where `threshold`: GroupedQueryAttention
    hands a mask it has not and-ed with another one (causal or the inputs') to its Softmax layer as it is, which
    keeps a non-bool mask where it is > 0.5 (> 0 for an int mask, as 0.5 is cast to the mask's dtype: the same as
    float(mask) > 0.5)."""
    g = ctx.g
    implicit, implicit_rank = implicit_mask(layer, ctx)
    if mask is not None and threshold and not layer.use_causal_mask and implicit is None:
        mask = g.node("Greater", [g.node("Cast", [mask], to=_float_type(g)), g.scalar("half", 0.5)])
    elif mask is not None:
        mask = g.node("Cast", [mask], to=BOOL)
    rank = len(mask_shape) + 1 if mask is not None else 0
    if layer.use_causal_mask:  # from the query's and the value's axis 1, as Keras's _compute_causal_mask
        causal = causal_mask(ctx, query, 1, value, 1)
        mask = causal if mask is None else g.node("And", [mask, causal])
        rank = max(rank, 3)
    if implicit is not None:
        mask = implicit if mask is None else g.node("And", [mask, implicit])
        rank = max(rank, implicit_rank)
    return mask, rank


def _float_type(g) -> int:
    return 11 if g.dtype == np.float64 else 1  # TensorProto.DOUBLE, FLOAT


# ---------------------------------------------------------------- attention over projected heads


def _equations(rank: int, axes: tuple[int, ...]) -> tuple[str, str, list[int]]:
    """Keras's _build_attention_equation: (key . query equation, combine equation, batch axes incl. the heads)."""
    letters = string.ascii_lowercase
    target = letters[:rank]
    batch = [i for i in range(rank - 1) if i not in axes]
    source, offset = "", rank
    for i in range(rank):
        if i in batch or i == rank - 1:
            source += target[i]
        else:
            source += letters[offset]
            offset += 1
    product = "".join([target[i] for i in batch] + [target[i] for i in axes] + [source[i] for i in axes])
    return f"{source},{target}->{product}", f"{product},{source}->{target}", batch


def _scores(ctx: Ctx, q: str, k: str, rank: int, axes: tuple[int, ...]) -> str:
    """(batch axes..., heads, query attention axes..., key attention axes...): Keras's scores layout."""
    g = ctx.g
    dot, _, batch = _equations(rank, axes)
    if len(axes) > 1:
        return g.node("Einsum", [k, q], equation=dot)
    (axis,) = axes
    return g.node("MatMul", [g.transpose(q, [*batch, axis, rank - 1]), g.transpose(k, [*batch, rank - 1, axis])])


def _combine(ctx: Ctx, probs: str, v: str, rank: int, axes: tuple[int, ...]) -> str:
    """The probabilities applied to the values, back in the query's layout (N, ..., heads, value size)."""
    g = ctx.g
    _, combine, batch = _equations(rank, axes)
    if len(axes) > 1:
        return g.node("Einsum", [probs, v], equation=combine)
    (axis,) = axes
    order = [*batch, axis, rank - 1]
    y = g.node("MatMul", [probs, g.transpose(v, order)])
    return g.transpose(y, [int(i) for i in np.argsort(order)])


def masked_softmax(ctx: Ctx, scores: str, mask: Optional[str], axes: int) -> str:
    """Keras's Softmax layer over the last `axes` axes: where(mask, x, -1e9), softmax (exp(x - logsumexp(x)) over
    several axes, logsumexp as TensorFlow's: max + log(sum(exp(x - max)))), then where(mask, p, 0)."""
    g = ctx.g
    if mask is not None:
        scores = g.node("Where", [mask, scores, g.scalar("large_negative", SOFTMAX_NEGATIVE)])
    if axes == 1:
        probs = g.node("Softmax", [scores], axis=-1)
    else:
        over = g.ints("axes", range(-axes, 0))
        top = g.node("ReduceMax", [scores, over], keepdims=1)
        total = g.node("ReduceSum", [g.node("Exp", [g.node("Sub", [scores, top])]), over], keepdims=1)
        lse = g.node("Add", [g.node("Log", [total]), top])
        probs = g.node("Exp", [g.node("Sub", [scores, lse])])
    if mask is not None:
        probs = g.node("Where", [mask, probs, g.scalar("zero", 0.0)])
    return probs


def attend(ctx: Ctx, q: str, k: str, v: str, rank: int, axes: tuple[int, ...], mask: Optional[str],
           mask_rank: int, scale: float, dot_product: bool) -> tuple[str, str]:
    """(attention output (N, ..., heads, value size), scores) of projected q, k, v of `rank` axes; `dot_product`:
    Keras's ops.dot_product_attention path, else its Softmax layer's (the module docstring)."""
    g = ctx.g
    score_rank = rank - 1 + len(axes)
    if mask is not None:
        mask = expanded(ctx, mask, mask_rank, score_rank, len(axes))
    if dot_product:
        logits = g.node("Mul", [_scores(ctx, q, k, rank, axes), g.scalar("scale", scale)])
        if mask is not None:
            logits = g.node("Where", [mask, logits, g.scalar("large_negative", DOT_PRODUCT_NEGATIVE)])
        probs = g.node("Softmax", [logits], axis=-1)
    else:
        q = g.node("Mul", [q, g.scalar("scale", scale)])
        probs = masked_softmax(ctx, _scores(ctx, q, k, rank, axes), mask, len(axes))
    return _combine(ctx, probs, v, rank, axes), probs


def _with_scores(layer, output: str, scores: str):
    return (output, scores) if layer.return_attention_scores else output


# ---------------------------------------------------------------- the layers


@emitter(A.MultiHeadAttention)
def emit_multi_head_attention(layer: A.MultiHeadAttention, ctx: Ctx):
    (query, value, key), shapes, mask, mask_shape = _bound(layer, ctx)
    rank = len(shapes[0]) + 1
    heads, key_dim = layer.num_heads, layer.key_dim
    value_dim = layer.value_dim or key_dim
    widths = _widths(ctx, shapes)
    out = (layer.output_shape,) if isinstance(layer.output_shape, int) else tuple(layer.output_shape or ())
    combined, mask_rank = _combined_mask(layer, ctx, query, value, mask, mask_shape)
    q = _project(ctx, query, rank, "query", widths[0], heads, key_dim, layer.use_bias)
    k = _project(ctx, key, rank, "key", widths[2], heads, key_dim, layer.use_bias)
    v = _project(ctx, value, rank, "value", widths[1], heads, value_dim, layer.use_bias)
    dot_product = not (layer.dropout > 0 or layer.return_attention_scores or rank != 3)
    y, scores = attend(ctx, q, k, v, rank + 1, layer.attention_axes_for(rank), combined, mask_rank,
                       keras_scale(key_dim), dot_product)
    y = _project_output(ctx, y, rank, heads, value_dim, out or (widths[0],), layer.use_bias)
    return _with_scores(layer, y, scores)


def _repeat_heads(ctx: Ctx, x: str, heads: int, repeats: int, size: int) -> str:
    """ops.repeat(x, repeats, axis=2) on (N, S, heads, size): each head `repeats` times in a row."""
    if repeats == 1:
        return x
    g = ctx.g
    y = g.node("Unsqueeze", [x, g.ints("axes", [3])])
    y = g.node("Expand", [y, g.ints("repeats", [1, 1, 1, repeats, 1])])
    return g.node("Reshape", [y, g.ints("shape", [0, 0, heads * repeats, size])])


@emitter(A.GroupedQueryAttention)
def emit_grouped_query_attention(layer: A.GroupedQueryAttention, ctx: Ctx):
    (query, value, key), shapes, mask, mask_shape = _bound(layer, ctx)
    qh, kvh, size = layer.num_query_heads, layer.num_key_value_heads, layer.head_dim
    widths = _widths(ctx, shapes)
    dot_product = not (layer.dropout > 0 or layer.return_attention_scores)
    combined, mask_rank = _combined_mask(layer, ctx, query, value, mask, mask_shape, threshold=not dot_product)
    q = _project(ctx, query, 3, "query", widths[0], qh, size, layer.use_bias)
    k = _repeat_heads(ctx, _project(ctx, key, 3, "key", widths[2], kvh, size, layer.use_bias), kvh, qh // kvh, size)
    v = _repeat_heads(ctx, _project(ctx, value, 3, "value", widths[1], kvh, size, layer.use_bias), kvh, qh // kvh,
                      size)
    y, scores = attend(ctx, q, k, v, 4, (1,), combined, mask_rank, keras_scale(size), dot_product)
    y = _project_output(ctx, y, 3, qh, size, (widths[0],), layer.use_bias)
    return _with_scores(layer, y, scores)


def _pairwise(ctx: Ctx, query: str, key: str) -> str:
    """query + key broadcast to (N, ..., Tq, Tk, dim): expand_dims(query, -2) + expand_dims(key, -3)."""
    g = ctx.g
    return g.node("Add", [g.node("Unsqueeze", [query, g.ints("axes", [-2])]),
                          g.node("Unsqueeze", [key, g.ints("axes", [-3])])])


def _luong_scores(layer: A.Attention, ctx: Ctx, query: str, key: str, rank: int) -> str:
    g = ctx.g
    scale = g.weight("scale", ctx.weight("scale", ())) if layer.use_scale else None
    if layer.score_mode == "dot":
        perm = [*range(rank - 2), rank - 1, rank - 2]
        scores = g.node("MatMul", [query, g.transpose(key, perm)])
        return g.node("Mul", [scores, scale]) if scale else scores
    summed = _pairwise(ctx, query, key)
    if scale:
        summed = g.node("Mul", [scale, summed])
    total = g.node("ReduceSum", [g.node("Tanh", [summed]), g.ints("axes", [-1])], keepdims=0)
    return g.node("Mul", [g.weight("concat_score_weight", ctx.weight("concat_score_weight", ())), total])


def _additive_scores(layer: A.AdditiveAttention, ctx: Ctx, query: str, key: str, width: Optional[int]) -> str:
    g = ctx.g
    terms = g.node("Tanh", [_pairwise(ctx, query, key)])
    if layer.use_scale:
        scale = ctx.weight("scale", (ctx.known(width, "the query's last axis"),))
        terms = g.node("Mul", [g.weight("scale", scale), terms])
    return g.node("ReduceSum", [terms, g.ints("axes", [-1])], keepdims=0)


def _score_padding(layer, ctx: Ctx, query: str, key: str, v_mask: Optional[str], value_shape) -> Optional[str]:
    """Keras's _calculate_score_mask, negated as _apply_scores uses it: True where a score is lowered by 1e9. The
    causal mask (1, Tq, Tv), and-ed with expand_dims(value_mask, -2); else the value's mask as it is, given an axis
    before its last when it has two (batch, Tv)."""
    g = ctx.g
    if layer.use_causal_mask:
        allowed = causal_mask(ctx, query, -2, key, -2)
        if v_mask is not None:
            allowed = g.node("And", [g.node("Unsqueeze", [v_mask, g.ints("axes", [-2])]), allowed])
        return g.node("Not", [allowed])
    if v_mask is None:
        return None
    padding = g.node("Not", [v_mask])
    return g.node("Unsqueeze", [padding, g.ints("axes", [-2])]) if len(value_shape) == 2 else padding


@emitter(A.Attention, A.AdditiveAttention)
def emit_dot_attention(layer, ctx: Ctx):
    """Keras's Attention._apply_scores: scores - 1e9 where the causal mask or the value's Keras mask is False,
    softmax over the keys, matmul with the value; the rows of masked query positions are zeros (the key's mask is
    not read, as in Keras)."""
    g = ctx.g
    (query, value, key), shapes, _, _ = _bound(layer, ctx)
    masks = layer.bind(list(ctx.in_masks))[0] if ctx.in_masks else []
    q_mask, v_mask = ([*masks, None, None])[:2]  # Keras reads no key mask here
    rank = len(shapes[0]) + 1
    if isinstance(layer, A.AdditiveAttention):
        scores = _additive_scores(layer, ctx, query, key, shapes[0][-1])
    else:
        scores = _luong_scores(layer, ctx, query, key, rank)
    padding = _score_padding(layer, ctx, query, key, v_mask, shapes[1])
    if padding is not None:
        lowered = g.node("Sub", [scores, g.scalar("padding", SCORE_PADDING)])
        scores = g.node("Where", [padding, lowered, scores])
    probs = g.node("Softmax", [scores], axis=-1)
    out = g.node("MatMul", [probs, value])
    if q_mask is not None:
        out = g.node("Where", [g.node("Unsqueeze", [q_mask, g.ints("axes", [-1])]), out, g.scalar("zero", 0.0)])
    return _with_scores(layer, out, probs)
