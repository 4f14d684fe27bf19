"""ONNX emitters of spec/layers/merging.py: Concatenate and the element-wise merges.

Keras merges inputs of equal rank with NumPy broadcasting (size-1 axes), which ONNX's element-wise ops share; an
input of lower rank gets size-1 axes right after the batch axis first (Merge.call's expand_dims(x, axis=1)), not
on the left as ONNX's broadcasting would add them. A merge of a single input is that input, as in Keras 3.
Maximum, Minimum and Multiply read their inputs' Keras masks (their MASKING trait): a masked position never
wins (Maximum, Minimum) or counts as 1 (Multiply), as Keras 3.15 computes them.
"""

from __future__ import annotations

from typing import Optional

from ...spec.layers import merging as M
from .stage import Ctx, emitter

# Keras folds its inputs left to right with one binary op; these ONNX ops take any number of inputs and fold
# them in the same order. Multiply chains Mul nodes (ONNX has no variadic product).
VARIADIC = {M.Add: "Sum", M.Maximum: "Max", M.Minimum: "Min"}


def aligned(ctx: Ctx) -> list[str]:
    """The inputs, each of lower rank unsqueezed at axis 1 up to the highest rank, as Keras does."""
    ranks = [len(shape) + 1 for shape in ctx.in_shapes]
    top = max(ranks)
    return [
        x if rank == top else ctx.g.node("Unsqueeze", [x, ctx.g.ints("axes", range(1, 1 + top - rank))])
        for x, rank in zip(ctx.inputs, ranks, strict=True)
    ]


def widened_masks(ctx: Ctx, xs: list[str]) -> list[Optional[str]]:
    """Each input's Keras mask as Maximum, Minimum and Multiply read it: broadcast_to(expand_dims(mask, -1),
    shape(x)). None where the input has none, and for an input of lower rank: Merge.call expand_dims it first, and
    the new tensor carries no mask."""
    g, top = ctx.g, max(len(shape) for shape in ctx.in_shapes)
    masks = list(ctx.in_masks) or [None] * len(xs)
    return [
        None if mask is None or len(shape) != top
        else g.node("Expand", [g.node("Unsqueeze", [mask, g.ints("axes", [-1])]), g.node("Shape", [x])])
        for x, mask, shape in zip(xs, masks, ctx.in_shapes, strict=True)
    ]


def masked_extremum(ctx: Ctx, op: str, xs: list[str], masks: list[Optional[str]]) -> str:
    """Keras's _apply_merge_op_and_or_mask, step by step: a masked position of the next input takes the running
    result's value and the other way round, so that the masked values never win; the masks are or-ed while every
    input has one."""
    g = ctx.g
    output, output_mask = xs[0], masks[0]
    for x, mask in zip(xs[1:], masks[1:], strict=True):
        if mask is not None:
            x = g.node("Where", [mask, x, output])
        if output_mask is not None:
            output = g.node("Where", [output_mask, output, x])
        output_mask = g.node("Or", [output_mask, mask]) if mask is not None and output_mask is not None else None
        output = g.node(op, [output, x])
    return output


@emitter(*VARIADIC)
def emit_variadic(layer, ctx: Ctx) -> str:
    xs = aligned(ctx)
    if len(xs) == 1:
        return xs[0]
    if isinstance(layer, (M.Maximum, M.Minimum)) and any(ctx.in_masks):
        return masked_extremum(ctx, VARIADIC[type(layer)], xs, widened_masks(ctx, xs))
    return ctx.g.node(VARIADIC[type(layer)], xs)


@emitter(M.Subtract)
def emit_subtract(layer, ctx: Ctx) -> str:
    return ctx.g.node("Sub", aligned(ctx))


@emitter(M.Multiply)
def emit_multiply(layer, ctx: Ctx) -> str:
    """With masks, as Keras's Multiply: a masked position counts as 1, and when every input has a mask, the
    result is 0 where they are all masked."""
    g, xs = ctx.g, aligned(ctx)
    masks = widened_masks(ctx, xs) if any(ctx.in_masks) else [None] * len(xs)
    xs = [x if m is None else g.node("Where", [m, x, g.scalar("one", 1.0)]) for x, m in zip(xs, masks, strict=True)]
    y = xs[0]
    for x in xs[1:]:
        y = g.node("Mul", [y, x])
    if all(m is not None for m in masks):
        output_mask = masks[0]
        for mask in masks[1:]:
            output_mask = g.node("Or", [output_mask, mask])
        y = g.node("Where", [output_mask, y, g.scalar("zero", 0.0)])
    return y


@emitter(M.Average)
def emit_average(layer, ctx: Ctx) -> str:
    """Keras's sum / count, not Mean: onnxruntime has no float64 Mean kernel, and this is Keras's formula."""
    xs = aligned(ctx)
    if len(xs) == 1:
        return xs[0]
    return ctx.g.node("Div", [ctx.g.node("Sum", xs), ctx.g.scalar("count", float(len(xs)))])


@emitter(M.Concatenate)
def emit_concatenate(layer, ctx: Ctx) -> str:
    """Concat counts axes as Keras does (batch included, negative from the end); Keras does not broadcast here."""
    return ctx.x if len(ctx.inputs) == 1 else ctx.g.node("Concat", list(ctx.inputs), axis=layer.axis)


def l2_normalized(ctx: Ctx, x: str, axis: int) -> str:
    """Keras's l2 normalization along `axis`: x * min(1 / sqrt(sum of squares), 1 / 1e-7)."""
    g = ctx.g
    square_sum = g.node("ReduceSumSquare", [x, g.ints("axes", [axis])], keepdims=1)
    inverse = g.node("Reciprocal", [g.node("Sqrt", [square_sum])])
    return g.node("Mul", [x, g.node("Min", [inverse, g.scalar("inverse_epsilon", 1e7)])])


@emitter(M.Dot)
def emit_dot(layer, ctx: Ctx) -> str:
    """One Einsum contracting Keras's two axes (batch shared): the first input's other axes, then the second's,
    in order, as batch_dot leaves them; a rank-1 result gets Keras's size-1 axis."""
    first, second = (len(shape) + 1 for shape in ctx.in_shapes)
    a, b = (axis % rank for axis, rank in zip(layer.axis_pair(first, second), (first, second), strict=True))
    x, y = ctx.inputs
    if layer.normalize:
        x, y = l2_normalized(ctx, x, a), l2_normalized(ctx, y, b)
    letters = iter("cdefghijklmnopqrstuvwxy")  # b is the batch axis, z the contracted one
    x_axes = ["b"] + [next(letters) for _ in range(first - 1)]
    y_axes = ["b"] + [next(letters) for _ in range(second - 1)]
    x_axes[a] = y_axes[b] = "z"
    out = [c for c in x_axes if c != "z"] + [c for c in y_axes[1:] if c != "z"]
    equation = f"{''.join(x_axes)},{''.join(y_axes)}->{''.join(out)}"
    result = ctx.g.node("Einsum", [x, y], equation=equation)
    return result if len(out) > 1 else ctx.g.node("Unsqueeze", [result, ctx.g.ints("axes", [1])])
