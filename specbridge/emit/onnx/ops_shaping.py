"""ONNX emitters of the shaping ops (spec/layers/ops.py): matmul, einsum, transpose, reshape, expand_dims, squeeze,
concatenate, stack, split, repeat, tile and get_item. Part of the `ops` family's emitters (imported by ops.py).

Axes count the batch axis, as in keras.ops and ONNX alike. Keras computes matmul and einsum of int tensors in
floatx and casts the result back (keras/src/backend/tensorflow/numpy.py: matmul's compute_dtype; int8 @ int8 is
exact int32), and so does this: the float product of ints is exact as long as its sums are. get_item is one Slice
(steps and negative bounds as Python's, ONNX's Slice clamps the same way), a Squeeze for the integer indices and
an Unsqueeze for None; split is one Slice per part, at NumPy's bounds; repeat is a Gather of the repeated
indices, or (a count over an axis of unknown size) Unsqueeze, Expand and a Reshape to the merged size.
"""

from __future__ import annotations

import numpy as np

from ...shapes.einsum import parse as parse_equation
from ...spec.layers import ops as O
from .ops_types import INT32, axes_of, cast, kernel, result_type, tensors, typed
from .stage import Ctx, emitter

END = np.iinfo(np.int64).max  # "to the end" for Slice (clamped to the axis size)
START_BACKWARDS = np.iinfo(np.int64).min  # "past the start" for a negative step (clamped to -1)


@emitter(O.Matmul)
def emit_matmul(layer: O.Matmul, ctx: Ctx) -> str:
    """ONNX's MatMul broadcasts the leading axes as NumPy does. Ints and bools multiply in the model's float dtype
    and are cast back (a bool result: nonzero is True); int8 @ int8 is int32."""
    a, b = tensors(layer, ctx)
    g = ctx.g
    if a.dtype == b.dtype == "int8":
        compute = result = INT32
    else:
        compute, result = result_type(g, [a, b], floating=True), result_type(g, [a, b])
    y = kernel(ctx, "MatMul", [cast(g, a.value, a.dtype, compute), cast(g, b.value, b.dtype, compute)], compute)
    return typed(g, cast(g, y, compute, result), result)


@emitter(O.Einsum)
def emit_einsum(layer: O.Einsum, ctx: Ctx) -> str:
    """ONNX's Einsum on Keras's equation; ints computed in the model's float dtype, int8 operands give int32."""
    xs = tensors(layer, ctx)
    g = ctx.g
    dtypes = {x.dtype for x in xs}
    if dtypes == {"bool"}:
        raise ctx.fail("Keras 3.15's TensorFlow backend cannot compute ops.einsum of bool tensors (TensorFlow has no "
                       "kernel for it), so there is no result to reproduce")
    result = INT32 if dtypes == {"int8"} else result_type(g, xs)
    compute = result_type(g, xs, floating=True)
    values = [cast(g, x.value, x.dtype, compute) for x in xs]
    y = kernel(ctx, "Einsum", values, compute, equation=parse_equation(layer.subscripts).explicit())
    return typed(g, cast(g, y, compute, result), result)


@emitter(O.Transpose)
def emit_transpose(layer: O.Transpose, ctx: Ctx) -> str:
    (x,) = tensors(layer, ctx)
    perm = [a + ctx.rank if a < 0 else a for a in (layer.axes or range(ctx.rank - 1, -1, -1))]
    return typed(ctx.g, ctx.g.transpose(x.value, perm), x.dtype)


@emitter(O.Reshape)
def emit_reshape(layer: O.Reshape, ctx: Ctx) -> str:
    """newshape keeps the batch axis first (-1, the shape rule's condition): the other sizes are all known."""
    (x,) = tensors(layer, ctx)
    return typed(ctx.g, ctx.g.node("Reshape", [x.value, ctx.g.ints("shape", [-1, *layer.newshape[1:]])]), x.dtype)


@emitter(O.ExpandDims)
def emit_expand_dims(layer: O.ExpandDims, ctx: Ctx) -> str:
    """Keras's axes count in the result's rank, as Unsqueeze's do."""
    (x,) = tensors(layer, ctx)
    count = 1 if isinstance(layer.axis, int) else len(layer.axis)
    axes = axes_of(layer.axis, ctx.rank + count)
    return typed(ctx.g, ctx.g.node("Unsqueeze", [x.value, ctx.g.ints("axes", axes)]), x.dtype)


@emitter(O.Squeeze)
def emit_squeeze(layer: O.Squeeze, ctx: Ctx) -> str:
    """The axes the shape rule removes: with no axis, the axes of size 1 in the spec's shape (not an axis of unknown
    size that is 1 at run time, nor the batch axis of a batch of one, which tf.squeeze would remove too)."""
    (x,) = tensors(layer, ctx)
    if layer.axis is None:
        axes = [i + 1 for i, d in enumerate(x.shape) if d == 1]
    else:
        axes = axes_of(layer.axis, ctx.rank)
    if not axes:
        return typed(ctx.g, x.value, x.dtype)
    return typed(ctx.g, ctx.g.node("Squeeze", [x.value, ctx.g.ints("axes", axes)]), x.dtype)


@emitter(O.Concatenate)
def emit_concatenate(layer: O.Concatenate, ctx: Ctx) -> str:
    """The tensors cast to their result dtype first, as Keras does."""
    xs = tensors(layer, ctx)
    g = ctx.g
    dtype = result_type(g, xs)
    values = [cast(g, x.value, x.dtype, dtype) for x in xs]
    (axis,) = axes_of(layer.axis, ctx.rank)
    return typed(g, values[0] if len(values) == 1 else g.node("Concat", values, axis=axis), dtype)


@emitter(O.Stack)
def emit_stack(layer: O.Stack, ctx: Ctx) -> str:
    xs = tensors(layer, ctx)
    g = ctx.g
    dtype = result_type(g, xs)
    (axis,) = axes_of(layer.axis, ctx.rank + 1)
    values = [g.node("Unsqueeze", [cast(g, x.value, x.dtype, dtype), g.ints("axes", [axis])]) for x in xs]
    return typed(g, values[0] if len(values) == 1 else g.node("Concat", values, axis=axis), dtype)


@emitter(O.Split)
def emit_split(layer: O.Split, ctx: Ctx) -> tuple[str, ...]:
    """Part k is x[bounds[k]:bounds[k + 1]] along the axis (NumPy's np.split: a bound is a Python slice index, so a
    negative one counts from the end, and a part between decreasing bounds is empty)."""
    (x,) = tensors(layer, ctx)
    g = ctx.g
    (axis,) = axes_of(layer.axis, ctx.rank)
    sections = layer.indices_or_sections
    if isinstance(sections, int):
        size = x.shape[axis - 1]  # known: the shape rule refuses to split an axis of unknown size
        bounds = [k * size // sections for k in range(sections + 1)]
    else:
        bounds = [0, *sections, END]
    parts = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        part = g.node("Slice", [x.value, g.ints("starts", [start]), g.ints("ends", [end]), g.ints("axes", [axis])])
        parts.append(typed(g, part, x.dtype))
    return tuple(parts)


@emitter(O.Repeat)
def emit_repeat(layer: O.Repeat, ctx: Ctx) -> str:
    """Each element `repeats` times in a row along the axis (a count per element, or one for all)."""
    (x,) = tensors(layer, ctx)
    g = ctx.g
    (axis,) = axes_of(layer.axis, ctx.rank)
    size, repeats = x.shape[axis - 1], layer.repeats
    if isinstance(repeats, int) and size is None:
        return typed(g, _repeat_unknown(ctx, x.value, axis, repeats), x.dtype)
    counts = [repeats] * size if isinstance(repeats, int) else repeats
    indices = g.constant("indices", np.repeat(np.arange(len(counts), dtype=np.int64), counts))
    return typed(g, g.node("Gather", [x.value, indices], axis=axis), x.dtype)


def _repeat_unknown(ctx: Ctx, x: str, axis: int, repeats: int) -> str:
    """(.., n, ..) -> (.., n, repeats, ..) by Expand, then the two axes merged: the shape is read at run time."""
    g, rank = ctx.g, ctx.rank
    tiled = g.node("Expand", [g.node("Unsqueeze", [x, g.ints("axes", [axis + 1])]),
                              g.ints("shape", [1] * (axis + 1) + [repeats] + [1] * (rank - axis - 1))])
    pieces = [g.node("Shape", [x], end=axis), g.ints("merged", [-1])]
    if axis + 1 < rank:
        pieces.append(g.node("Shape", [x], start=axis + 1))
    return g.node("Reshape", [tiled, g.node("Concat", pieces, axis=0)])


@emitter(O.Tile)
def emit_tile(layer: O.Tile, ctx: Ctx) -> str:
    """Fewer repeats than axes are padded with 1 on the left (NumPy's rule; the shape rule refuses more)."""
    (x,) = tensors(layer, ctx)
    repeats = [1] * (ctx.rank - len(layer.repeats)) + list(layer.repeats)
    return typed(ctx.g, ctx.g.node("Tile", [x.value, ctx.g.ints("repeats", repeats)]), x.dtype)


@emitter(O.GetItem)
def emit_get_item(layer: O.GetItem, ctx: Ctx) -> str:
    """x[key]: every slice and integer index in one Slice (an index i is i:i+1), the integer indices' axes
    squeezed, then a size-1 axis inserted for each None at its place in the result."""
    (x,) = tensors(layer, ctx)
    g = ctx.g
    sliced, squeezed, inserted = _index_plan(layer.items(), ctx.rank)
    y = x.value
    if sliced:
        axes, starts, ends, steps = (list(column) for column in zip(*sliced, strict=True))
        y = g.node("Slice", [y, g.ints("starts", starts), g.ints("ends", ends), g.ints("axes", axes),
                             g.ints("steps", steps)])
    if squeezed:
        y = g.node("Squeeze", [y, g.ints("axes", squeezed)])
    if inserted:
        y = g.node("Unsqueeze", [y, g.ints("axes", inserted)])
    return typed(g, y, x.dtype)


def _index_plan(items: tuple, rank: int) -> tuple[list, list[int], list[int]]:
    """([(axis, start, end, step)] for the Slice, the input axes of integer indices, the result's axes of None)."""
    consuming = sum(1 for i in items if i is not None and i is not Ellipsis)
    expanded: list = []
    for item in items:
        expanded += [slice(None)] * (rank - consuming) if item is Ellipsis else [item]
    expanded += [slice(None)] * (rank - sum(1 for i in expanded if i is not None))
    sliced, squeezed, inserted = [], [], []
    axis = position = 0  # the input axis an item indexes, the result axis it makes
    for item in expanded:
        if item is None:
            inserted.append(position)
            position += 1
            continue
        if isinstance(item, int):
            sliced.append((axis, item, END if item == -1 else item + 1, 1))
            squeezed.append(axis)
        else:
            if item != slice(None):
                sliced.append((axis, *_bounds(item)))
            position += 1
        axis += 1
    return sliced, squeezed, inserted


def _bounds(item: slice) -> tuple[int, int, int]:
    """A Python slice as Slice's (start, end, step): an omitted bound is the whole axis in the step's direction."""
    step = 1 if item.step is None else item.step
    start = item.start if item.start is not None else (0 if step > 0 else END)
    end = item.stop if item.stop is not None else (END if step > 0 else START_BACKWARDS)
    return start, end, step
