"""Attention layers: MultiHeadAttention, GroupedQueryAttention, Attention, AdditiveAttention.

Keras 3.15's rules (keras/src/layers/attention/), measured in tests/shapes/test_attention.py:
- MultiHeadAttention projects query, key and value with EinsumDense kernels (width, heads, key_dim) (value: value_dim)
  and biases (heads, key_dim); the output projection has kernel (heads, value_dim, *output_shape) and bias
  (*output_shape), where output_shape defaults to the query's last axis. The output is the query's shape with its
  last axis replaced by output_shape. Value and key must agree on every axis but the last.
- attention_axes (counted with the batch axis; negative ones from the query's rank) default to every axis between
  the batch and the features. The scores have shape (batch, <other axes>, heads, <query attention axes>, <key
  attention axes>).
- GroupedQueryAttention is rank 3 only; query and value widths must be equal; num_query_heads must be a multiple of
  num_key_value_heads; the output keeps the query's shape.
- Attention / AdditiveAttention have no projections: output (*query[:-1], value[-1]), scores (Tq, Tv); query and key
  widths must match (a dot product or a sum).
- attention_mask (batch axis excluded in the spec) must broadcast to the scores; Keras first adds axes in front of
  the heads axis until the ranks agree.
"""

from __future__ import annotations

from typing import Optional

from ...diagnostics import codes
from ...spec.layers import attention as L
from ..errors import ShapeError
from ..records import Inferred, Shape, Step, Tensor, format_shape
from . import Context, rule
from .common import check_softmax_rank, require_rank


def _needs_sequence(layer, tensor: Tensor, role: str) -> None:
    if tensor.rank < 3:
        raise ShapeError(
            codes.NDIM_MISMATCH,
            f"{layer.kind} expects a {role} of rank 3 or more (batch, positions..., features), found ndim="
            f"{tensor.rank}: {role} shape {format_shape(tensor.shape)}",
            hint="attention runs over a sequence (or grid) axis: feed (batch, steps, features), e.g. put a Reshape "
                 "or RepeatVector first, or use Dense for a single vector",
        )


def _key_matches_value(layer, value: Tensor, key: Tensor) -> None:
    if value.shape[:-1] != key.shape[:-1]:
        raise ShapeError(
            codes.MERGE_MISMATCH,
            f"{layer.kind}: value and key must be equal on every axis but the last; value shape "
            f"{format_shape(value.shape)}, key shape {format_shape(key.shape)}",
            hint="key and value describe the same positions: give them the same length (and grid)",
        )


def _attention_axes(layer: L.MultiHeadAttention, rank: int) -> tuple[int, ...]:
    """The attention axes as Keras normalizes them, counted with the batch axis on the projected query (the query's
    axes, then heads, then key_dim: `rank` + 1 axes); a negative axis counts from the heads axis (-1 is heads).

    Keras runs any distinct axes from the batch (0) to the heads axis (rank - 1) and fails on key_dim's axis and
    beyond. Over the batch axis it mixes the samples of a batch: an error here, as no spec shape holds it.
    """
    given = layer.attention_axes
    if given is None or layer.dot_product_path(rank):
        _dot_product_path_axes(layer, rank)
        return layer.attention_axes_for(rank)
    axes = (given,) if isinstance(given, int) else tuple(given)
    normalized = layer.declared_axes(rank)
    bad = [a for a, n in zip(axes, normalized, strict=True) if not 0 <= n <= rank - 1]
    if bad or len(set(normalized)) != len(normalized):
        raise ShapeError(
            codes.INVALID_ARGUMENT,
            f"{layer.kind}: attention_axes {list(axes)} out of range for a query of rank {rank} (batch included): "
            f"attention runs over the positions, axes 1 to {rank - 2}, and Keras reads axis {rank - 1} (or -1) as the "
            "heads of its projections; " + (f"axis {bad[0]} has no counterpart" if bad else "each axis may appear once"),
            hint=f"use axes from 1 to {rank - 2} (or -{rank - 1} to -2), or leave attention_axes out for all of them",
            argument="attention_axes",
        )
    if 0 in normalized:
        raise ShapeError(
            codes.INVALID_ARGUMENT,
            f"{layer.kind}: attention_axes {list(axes)} include the batch axis (0): Keras runs it, but each sample "
            "then attends to the other samples of its batch, so the result depends on how the data is batched",
            hint="attend over the positions, " + ("axis 1" if rank == 3 else f"axes 1 to {rank - 2}"),
            argument="attention_axes",
        )
    return normalized


def _dot_product_path_axes(layer: L.MultiHeadAttention, rank: int) -> None:
    """On Keras's dot-product path (a rank-3 query, no dropout, no scores) attention_axes only has to index the
    projected query (rank + 1 axes, a negative axis first shifted by rank) for the layer to build; it then attends
    over axis 1 (SB305 says so)."""
    given = layer.attention_axes
    axes = () if given is None else (given,) if isinstance(given, int) else tuple(given)
    bad = [a for a in axes if not -(2 * rank + 1) <= a <= rank]  # measured: -7 to 3 for a rank-3 query
    if bad:
        raise ShapeError(
            codes.INVALID_ARGUMENT,
            f"{layer.kind}: attention_axes {list(axes)} out of range for a query of rank {rank} (batch included): "
            f"axis {bad[0]} does not index its projection (rank {rank + 1}), and Keras fails when it builds the layer",
            hint="use axis 1 (the sequence), or leave attention_axes out", argument="attention_axes",
        )


def _scores_shape(query: Shape, key: Shape, axes: tuple[int, ...], heads: int, key_dim: int) -> Shape:
    """Keras's scores, batch excluded: the projected query's (batch, query axes..., heads, key_dim) axes that are
    neither attention axes nor key_dim, then the query's attention axes, then the key's."""
    projected_query = (None, *query[:-1], heads, key_dim)
    projected_key = (None, *key[:-1], heads, key_dim)
    kept = [projected_query[i] for i in range(1, len(projected_query) - 1) if i not in axes]
    return tuple(kept) + tuple(projected_query[a] for a in axes) + tuple(projected_key[a] for a in axes)


def expanded_mask(mask: Shape, scores: Shape, attention_rank: int) -> Optional[Shape]:
    """The mask (batch excluded) with the axes Keras adds before broadcasting it to the scores: it inserts a 1 just
    before the heads axis (expand_dims at -2k-1, k attention axes) until the ranks agree; None when it cannot."""
    shape = [None, *mask]  # with the batch axis, where Keras's expansion is counted
    while len(shape) < len(scores) + 1:
        at = len(shape) - 2 * attention_rank
        if at < 1:  # the new axis would go before the batch axis: the batch would line up with a query axis
            return None
        shape.insert(at, 1)
    return tuple(shape[1:])


def _check_mask(layer, mask: Optional[Tensor], scores: Shape, attention_rank: int) -> None:
    """SB204 when the attention mask does not broadcast to the scores (batch, heads, query..., key...)."""
    if mask is None:
        return
    shape = expanded_mask(tuple(mask.shape), scores, attention_rank) if len(mask.shape) <= len(scores) else None
    fits = shape is not None and all(m in (1, None) or s is None or m == s for m, s in zip(shape, scores, strict=True))
    if not fits:
        wanted = ", ".join("null" if d is None else str(d) for d in scores[-2 * attention_rank:])
        raise ShapeError(
            codes.MERGE_MISMATCH,
            f"{layer.kind}: attention_mask of shape {format_shape(mask.shape)} does not broadcast to the attention "
            f"scores {format_shape(scores)} (batch, heads, query positions, key positions)",
            hint=f"the mask is (query positions, key positions) without the batch axis, True where a query may attend "
                 f"a key: shape [{wanted}]",
            argument="attention_mask",
        )


def _fast_path_mask(layer: L.MultiHeadAttention, query: Tensor, mask: Optional[Tensor]) -> None:
    """On the dot-product path Keras inserts the mask's missing axes at -2 * len(attention_axes) - 1: with several
    declared axes that index is out of range for a (query, key) mask and the call fails."""
    given = layer.attention_axes
    if mask is None or isinstance(given, int) or not given or len(given) < 2 or not layer.dot_product_path(query.rank):
        return
    if mask.rank < 4:
        raise ShapeError(
            codes.INVALID_ARGUMENT,
            f"{layer.kind}: attention_axes {list(given)} with an attention_mask on a rank-3 query: Keras's "
            f"dot-product path inserts the mask's heads axis at {-2 * len(given) - 1}, out of range for the mask "
            f"{format_shape(mask.shape)}, and the call fails",
            hint="leave attention_axes out (a rank-3 query attends over axis 1)", argument="attention_axes",
        )


def _same_rank(layer, query: Tensor, value: Tensor) -> None:
    if len(value.shape) != len(query.shape):
        raise ShapeError(
            codes.NDIM_MISMATCH,
            f"{layer.kind}: query and value must have the same rank; query shape {format_shape(query.shape)}, value "
            f"shape {format_shape(value.shape)}",
            hint="attention pairs each query position with the value positions along the same axes: reshape one of "
                 "them (a size-1 axis broadcasts)",
        )


def _other_axes_match(layer, query: Tensor, value: Tensor, axes: tuple[int, ...]) -> None:
    """Axes attention does not run over pair query and value position by position: their sizes must be equal."""
    for axis in range(1, query.rank - 1):
        q, v = query.shape[axis - 1], value.shape[axis - 1]
        if axis not in axes and None not in (q, v) and q != v:
            raise ShapeError(
                codes.MERGE_MISMATCH,
                f"{layer.kind}: axis {axis} is not an attention axis, so query and value pair along it and need the "
                f"same size: {q} vs {v}; query shape {format_shape(query.shape)}, value shape "
                f"{format_shape(value.shape)}, attention_axes {list(axes)}",
                hint=f"attend over axis {axis} too (add it to attention_axes), or give both the same size there",
                argument="attention_axes",
            )


def _causal_fits(layer, query: Tensor, value: Tensor, axes: tuple[int, ...]) -> None:
    """Keras builds the causal mask from axis 1's lengths: it fits one attention axis of those lengths only."""
    if not layer.use_causal_mask:
        return
    lengths = (query.shape[0], value.shape[0])
    if len(axes) == 1 and (axes[0] == 1 or lengths == (query.shape[axes[0] - 1], value.shape[axes[0] - 1])):
        return
    raise ShapeError(
        codes.INVALID_ARGUMENT,
        f"{layer.kind}: use_causal_mask with attention_axes {list(axes)}: Keras builds the causal mask from axis 1 "
        f"alone (query {lengths[0]} x key {lengths[1]} positions), which does not fit attention over "
        + ("several axes" if len(axes) > 1 else f"axis {axes[0]}") + "; the model fails when it runs",
        hint="use a causal mask with attention over one axis (axis 1), or pass an explicit attention_mask",
        argument="use_causal_mask",
    )


def _bind(layer, inputs: list[Tensor]) -> tuple[Tensor, Tensor, Tensor, Optional[Tensor]]:
    """(query, value, key, attention_mask) of a call; the key defaults to the value."""
    positional, keyword = layer.bind(inputs)
    query, value = positional[0], positional[1]
    key = positional[2] if len(positional) > 2 else value
    return query, value, key, keyword.get("attention_mask")


def _projection(role: str, width, heads: int, size: int, bias: bool, size_name: str) -> tuple[int, Step]:
    kernel = (width or 0) * heads * size
    params = kernel + (heads * size if bias else 0)
    template = ("{topic}: kernel ({width}, {heads}, {size}) = {kernel:,}" + (" + bias ({heads}, {size}) = {result:,}"
                if bias else " = {result:,}"))
    step = Step(f"{role} projection", template, {"width": width, "heads": heads, "size": size, "kernel": kernel},
                params, formula=f"width * heads * {size_name}" + (f" + heads * {size_name}" if bias else ""))
    return params, step


def _unknown_width(layer, tensor: Tensor, role: str) -> None:
    if tensor.shape[-1] is None:
        raise ShapeError(
            codes.UNKNOWN_DIMENSION,
            f"{layer.kind} needs the {role}'s last axis (its width) to size its {role} projection; {role} shape "
            f"{format_shape(tensor.shape)}",
            hint=f"give the {role}'s last axis a size",
        )


@rule(L.MultiHeadAttention)
def infer_multi_head_attention(layer: L.MultiHeadAttention, inputs: list[Tensor], ctx: Context) -> Inferred:
    query, value, key, mask = _bind(layer, inputs)
    for tensor, role in ((query, "query"), (value, "value"), (key, "key")):
        _needs_sequence(layer, tensor, role)
        _unknown_width(layer, tensor, role)
    _key_matches_value(layer, value, key)
    _same_rank(layer, query, value)
    axes = _attention_axes(layer, query.rank)
    _other_axes_match(layer, query, value, axes)
    _causal_fits(layer, query, value, axes)
    heads, key_dim = layer.num_heads, layer.key_dim
    value_dim = layer.value_dim or key_dim
    out = (layer.output_shape,) if isinstance(layer.output_shape, int) else tuple(layer.output_shape or ())
    out = out or (query.shape[-1],)
    scores = _scores_shape(query.shape, key.shape, axes, heads, key_dim)
    if len(axes) == 1 and ctx.tensorflow:
        check_softmax_rank(layer, len(scores) + 1, scores, "normalizes its scores with a softmax",
                           hint="merge the axes it does not attend over into one (Permute, then Reshape), so the "
                                "input has 4 axes and the scores 5: the result is the same", argument="attention_axes")
    _check_mask(layer, mask, scores, len(axes))
    _fast_path_mask(layer, query, mask)
    bias = layer.use_bias
    q, q_step = _projection("query", query.shape[-1], heads, key_dim, bias, "key_dim")
    k, k_step = _projection("key", key.shape[-1], heads, key_dim, bias, "key_dim")
    v, v_step = _projection("value", value.shape[-1], heads, value_dim, bias, "value_dim")
    out_size = 1
    for d in out:
        out_size *= d
    o = heads * value_dim * out_size + (out_size if bias else 0)
    o_step = Step("output projection", "{topic}: kernel ({heads}, {value_dim}, {out:, }) = {kernel:,}"
                  + (" + bias ({out:, }) = {result:,}" if bias else " = {result:,}"),
                  {"heads": heads, "value_dim": value_dim, "out": list(out), "kernel": heads * value_dim * out_size},
                  o, formula="heads * value_dim * output" + (" + output" if bias else ""))
    shape = tuple(query.shape[:-1]) + out
    steps = (
        Step("heads", "{heads} heads; each projects query and key to key_dim {key_dim} and value to value_dim "
             "{value_dim}", {"heads": heads, "key_dim": key_dim, "value_dim": value_dim}),
        q_step, k_step, v_step,
        Step("scores", "scores: softmax over the key positions of query . key / sqrt({key_dim}), shape {s:batch} "
             "(batch, heads, query positions, key positions)", {"key_dim": key_dim, "s": scores}, scores),
        o_step,
        Step("params", "params = {q:,} + {k:,} + {v:,} + {o:,} = {result:,}", {"q": q, "k": k, "v": v, "o": o},
             q + k + v + o, formula="query + key + value + output projections"),
        Step("shape", "output: the query's shape with its last axis set by output_shape ({out:, }): {s:batch}",
             {"out": list(out), "s": shape}, shape),
    )
    extra = (scores,) if layer.return_attention_scores else ()
    symbolic = (heads, query.shape[0], query.shape[0])
    if extra and scores != symbolic:
        steps += (Step("note", "Keras's symbolic shape of the scores says {k:batch} (it assumes self-attention over "
                       "axis 1), but the model returns {s:batch}: specbridge follows what the model computes",
                       {"k": symbolic, "s": scores}),)
    return Inferred(shape, q + k + v + o, steps=steps, extra_outputs=extra)


@rule(L.GroupedQueryAttention)
def infer_grouped_query_attention(layer: L.GroupedQueryAttention, inputs: list[Tensor], ctx: Context) -> Inferred:
    query, value, key, mask = _bind(layer, inputs)
    for tensor, role in ((query, "query"), (value, "value"), (key, "key")):
        _needs_sequence(layer, tensor, role)
        require_rank(layer, tensor, ndim=3, expected="(batch, steps, features)")
        _unknown_width(layer, tensor, role)
    qh, kvh, hd = layer.num_query_heads, layer.num_key_value_heads, layer.head_dim
    if qh % kvh:
        raise ShapeError(
            codes.INVALID_ARGUMENT,
            f"{layer.kind}: num_query_heads ({qh}) must be a multiple of num_key_value_heads ({kvh}): {qh} % {kvh} = "
            f"{qh % kvh}; each key/value head serves a group of query heads",
            hint=f"use num_key_value_heads from the divisors of {qh}: "
                 + ", ".join(str(d) for d in range(1, qh + 1) if qh % d == 0),
            argument="num_key_value_heads",
        )
    if query.shape[-1] != value.shape[-1]:
        raise ShapeError(
            codes.MERGE_MISMATCH,
            f"{layer.kind}: the last axes of query and value must be equal, but are {query.shape[-1]} and "
            f"{value.shape[-1]}; query shape {format_shape(query.shape)}, value shape {format_shape(value.shape)}",
            hint="project the value to the query's width first (Dense), or use MultiHeadAttention, which projects "
                 "each input from its own width",
        )
    _key_matches_value(layer, value, key)
    scores = (qh, query.shape[0], value.shape[0])
    _check_mask(layer, mask, scores, 1)
    bias = layer.use_bias
    q, q_step = _projection("query", query.shape[-1], qh, hd, bias, "head_dim")
    k, k_step = _projection("key", key.shape[-1], kvh, hd, bias, "head_dim")
    v, v_step = _projection("value", value.shape[-1], kvh, hd, bias, "head_dim")
    width = query.shape[-1]
    o = qh * hd * width + (width if bias else 0)
    steps = (
        Step("heads", "{qh} query heads in {kvh} groups: each key/value head serves {group} query heads",
             {"qh": qh, "kvh": kvh, "group": qh // kvh}),
        q_step, k_step, v_step,
        Step("output projection", "{topic}: kernel ({qh}, {hd}, {width}) = {kernel:,}"
             + (" + bias ({width}) = {result:,}" if bias else " = {result:,}"),
             {"qh": qh, "hd": hd, "width": width, "kernel": qh * hd * width}, o),
        Step("params", "params = {q:,} + {k:,} + {v:,} + {o:,} = {result:,}", {"q": q, "k": k, "v": v, "o": o},
             q + k + v + o, formula="query + key + value + output projections"),
    )
    extra = (scores,) if layer.return_attention_scores else ()
    return Inferred(tuple(query.shape), q + k + v + o, steps=steps, extra_outputs=extra)


@rule(L.Attention, L.AdditiveAttention)
def infer_dot_attention(layer, inputs: list[Tensor], ctx: Context) -> Inferred:
    query, value, key, _ = _bind(layer, inputs)
    for tensor, role in ((query, "query"), (value, "value"), (key, "key")):
        _needs_sequence(layer, tensor, role)
    _key_matches_value(layer, value, key)
    _same_rank(layer, query, value)
    additive = isinstance(layer, L.AdditiveAttention)
    summed = additive or layer.score_mode == "concat"  # tanh(query + key): a width of 1 broadcasts
    widths = (query.shape[-1], key.shape[-1])
    if None not in widths and widths[0] != widths[1] and not (summed and 1 in widths):
        how = "adds query and key" if summed else "takes the dot product of query and key"
        raise ShapeError(
            codes.MERGE_MISMATCH,
            f"{layer.kind} {how}, so their last axes must be equal: query {query.shape[-1]} vs "
            f"{'key' if len(inputs) > 2 else 'value (the key)'} {key.shape[-1]}; query shape "
            f"{format_shape(query.shape)}, key shape {format_shape(key.shape)}",
            hint="project one of them to the other's width first (Dense), or use MultiHeadAttention, which learns "
                 "its projections",
        )
    if additive and layer.use_scale and query.shape[-1] is None:
        raise ShapeError(codes.UNKNOWN_DIMENSION, f"{layer.kind} with use_scale needs the query's width to size its "
                         f"scale (one per feature); query shape {format_shape(query.shape)}",
                         hint="give the query's last axis a size, or set use_scale: false")
    if additive:
        params = (query.shape[-1] or 0) if layer.use_scale else 0
        formula = "width (scale)" if layer.use_scale else None
    else:
        params = int(layer.use_scale) + int(layer.score_mode == "concat")
        formula = "scale + concat_score_weight"
    lead = _leading_axes(layer, query, key)
    shape = lead + (query.shape[-2], value.shape[-1])
    scores = lead + (query.shape[-2], key.shape[-2])
    if ctx.tensorflow:
        check_softmax_rank(layer, len(scores) + 1, scores, "normalizes its scores with a softmax",
                           hint="merge the leading axes of query, value and key into one with Reshape, so the inputs "
                                "have at most 5 axes: the result is the same")
    steps = (
        Step("scores", "scores {s:batch}: each query position against each key position", {"s": scores}, scores),
        Step("shape", "output: the query's positions with the value's width {width}: {s:batch}",
             {"width": value.shape[-1], "s": shape}, shape),
        Step("params", "params = {result}", {}, params, formula=formula),
    )
    if lead != tuple(query.shape[:-2]):
        steps += (Step("note", "Keras's symbolic shape keeps the query's leading axes {q:batch}, but the model "
                       "broadcasts them with the key's and returns {s:batch}: specbridge follows what it computes",
                       {"q": tuple(query.shape), "s": shape}),)
    extra = (scores,) if layer.return_attention_scores else ()
    return Inferred(shape, params, steps=steps, extra_outputs=extra)


def _leading_axes(layer, query: Tensor, key: Tensor) -> Shape:
    """The axes before the positions pair query and key in a batched matmul: equal sizes, or 1, which stretches."""
    out = []
    for axis, (q, k) in enumerate(zip(query.shape[:-2], key.shape[:-2], strict=True), start=1):
        known = {d for d in (q, k) if d not in (None, 1)}
        if len(known) > 1:
            raise ShapeError(
                codes.MERGE_MISMATCH,
                f"{layer.kind}: axis {axis} comes before the positions, so query and key pair along it (a batched "
                f"matmul), but their sizes {q} and {k} neither match nor broadcast; query shape "
                f"{format_shape(query.shape)}, key shape {format_shape(key.shape)}; Keras fails when the model runs",
                hint="give both the same size on that axis, or 1 in one of them (it stretches)",
            )
        out.append(known.pop() if known else None if None in (q, k) else 1)
    return tuple(out)
