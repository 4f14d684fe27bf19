"""ONNX emitters of spec/layers/merging.py: Concatenate and the element-wise merges.

Keras merges inputs of equal rank with NumPy broadcasting (size-1 axes), which ONNX's element-wise ops share; an
input of lower rank gets size-1 axes right after the batch axis first (Merge.call's expand_dims(x, axis=1)), not
on the left as ONNX's broadcasting would add them. A merge of a single input is that input, as in Keras 3.
"""

from __future__ import annotations

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


@emitter(*VARIADIC)
def emit_variadic(layer, ctx: Ctx) -> str:
    xs = aligned(ctx)
    return xs[0] if len(xs) == 1 else ctx.g.node(VARIADIC[type(layer)], xs)


@emitter(M.Subtract)
def emit_subtract(layer, ctx: Ctx) -> str:
    return ctx.g.node("Sub", aligned(ctx))


@emitter(M.Multiply)
def emit_multiply(layer, ctx: Ctx) -> str:
    xs = aligned(ctx)
    y = xs[0]
    for x in xs[1:]:
        y = ctx.g.node("Mul", [y, x])
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
