"""Shaping ops (spec/layers/ops.py): matmul, einsum, transpose, reshape, expand_dims, squeeze, concatenate, stack,
split, repeat, tile and get_item. Part of the `ops` family's shape rules (imported by ops.py).

Shapes are worked on with the batch axis in front (ops.full), as keras.ops sees them; the batch axis must stay
first and whole, since a spec's shapes keep it so. NumPy's rules otherwise, as Keras 3 applies them.
"""

from __future__ import annotations

import math

from ...diagnostics import codes
from ...spec.layers import ops as O
from .. import einsum
from ..errors import ShapeError
from ..records import Inferred, Step, Tensor, format_shape
from . import Context, rule
from .ops import BATCH, axis_of, broadcast_full, full, not_batch, spec_shape
from .ops_dtypes import check_operands, promoted, widened


def _result(layer, shape: tuple, dtype: str, template: str, values: dict, extra: tuple = ()) -> Inferred:
    out = spec_shape(shape)
    step = Step("shape", template + ": {s:batch}", {"fn": layer.function(), **values, "s": out}, out)
    return Inferred(out, dtype=dtype, steps=(step,), extra_outputs=extra)


@rule(O.Matmul)
def infer_matmul(layer: O.Matmul, inputs: list[Tensor], ctx: Context) -> Inferred:
    a, b = layer.bind(inputs)[0]
    for t, role in ((a, "x1"), (b, "x2")):
        if len(t.shape) < 2:
            raise ShapeError(
                codes.NDIM_MISMATCH,
                f"{layer.kind}: {role} {format_shape(t.shape)} is a batch of vectors; matmul of two tensors with a "
                "batch axis needs matrices (rank 3 or more, batch included)",
                hint="add an axis first (ops.expand_dims), or use Dense to multiply by a weight matrix",
            )
    left, right = full(a.shape), full(b.shape)
    if None not in (left[-1], right[-2]) and left[-1] != right[-2]:
        raise ShapeError(
            codes.MERGE_MISMATCH,
            f"{layer.kind}: the last axis of x1 {format_shape(a.shape)} ({left[-1]}) must equal the second-to-last of "
            f"x2 {format_shape(b.shape)} ({right[-2]}): (.., n, {left[-1]}) @ (.., {right[-2]}, m)",
            hint="transpose x2's last two axes (ops.transpose / ops.swapaxes) when it is laid out (.., m, k)",
        )
    batch = broadcast_full(layer, [left[:-2], right[:-2]])
    shape = batch + (left[-2], right[-1])
    return _result(layer, shape, widened("matmul", promoted([a.dtype, b.dtype], [])),
                   "ops.{fn}: (.., {n}, {k}) @ (.., {k2}, {m}), leading axes broadcast",
                   {"n": left[-2], "k": left[-1], "k2": right[-2], "m": right[-1]})


@rule(O.Einsum)
def infer_einsum(layer: O.Einsum, inputs: list[Tensor], ctx: Context) -> Inferred:
    tensors = layer.bind(inputs)[0]
    try:
        equation = einsum.parse(layer.subscripts)
    except einsum.EquationError as problem:
        raise ShapeError(codes.INVALID_ARGUMENT, f"{layer.kind}: {problem.message}", hint=problem.hint,
                         argument="subscripts") from None
    if len(equation.inputs) != len(tensors):
        raise ShapeError(codes.INPUT_COUNT, f"{layer.kind}: subscripts {layer.subscripts!r} name "
                         f"{len(equation.inputs)} operands, `inputs` gives {len(tensors)}",
                         hint="one comma-separated term per tensor")
    sizes, covered = _einsum_axes(layer, equation, tensors)
    ellipsis = broadcast_full(layer, covered) if covered else ()
    if ellipsis and einsum.ELLIPSIS not in equation.output:
        raise ShapeError(codes.INVALID_ARGUMENT, f"{layer.kind}: subscripts {layer.subscripts!r}: the '...' covers "
                         f"{len(ellipsis)} axes, and the output {equation.output!r} has no '...' to put them in "
                         f"(TensorFlow: \"Output contains {len(ellipsis)} broadcasting dimension(s) but no ellipsis\")",
                         hint="write the output with '...': " + repr(equation.explicit().replace(
                             "->", "->" + einsum.ELLIPSIS)), argument="subscripts")
    before, _, after = equation.output.partition(einsum.ELLIPSIS)
    shape = tuple(sizes[c] for c in before) + (ellipsis if einsum.ELLIPSIS in equation.output else ()) + tuple(
        sizes[c] for c in after)
    contracted = [c for c, size in sizes.items() if size == BATCH and c not in equation.output]
    if contracted or not shape or shape[0] != BATCH or shape.count(BATCH) != 1:
        not_batch(layer, (0,), "it contracts or moves the batch letter", "subscripts")
    check_operands(layer, [t.dtype for t in tensors], [])
    dtype = widened("einsum", promoted([t.dtype for t in tensors], []))
    template = "ops.{fn} {eq!r}" + (" (no '->': the output is {out!r}, the letters seen once)" if equation.implicit
                                     else "")
    return _result(layer, tuple(BATCH if d == BATCH else d for d in shape), dtype, template,
                   {"eq": layer.subscripts, "out": equation.output})


def _einsum_axes(layer, equation: einsum.Equation, tensors: list[Tensor]) -> tuple[dict, list[tuple]]:
    """Each letter's size over every operand, and the axes each operand's '...' covers."""
    sizes: dict[str, object] = {}
    covered = []
    for term, t in zip(equation.inputs, tensors, strict=True):
        try:
            axes = einsum.read_axes(term, full(t.shape))
        except einsum.EquationError as problem:
            raise ShapeError(codes.NDIM_MISMATCH, f"{layer.kind}: {problem.message} (batch included) "
                             f"{format_shape(t.shape)}", hint=problem.hint + ", the batch axis first",
                             argument="subscripts") from None
        for letter, size in axes.sizes:
            sizes[letter] = _einsum_size(layer, letter, sizes.get(letter, size), size)
        if einsum.ELLIPSIS in term:
            covered.append(axes.ellipsis)
    return sizes, covered


def _einsum_size(layer, letter: str, seen, size):
    if seen == BATCH or size == BATCH:
        if seen != size:
            not_batch(layer, (0,), f"letter {letter!r} pairs the batch axis with another", "subscripts")
        return BATCH
    if None not in (seen, size) and seen != size:  # a size 1 does not stretch: TensorFlow's einsum fails on it
        raise ShapeError(codes.MERGE_MISMATCH, f"{layer.kind}: letter {letter!r} has size {seen} in one operand and "
                         f"{size} in another", hint="a letter names one size in every operand", argument="subscripts")
    return size if seen is None else seen


@rule(O.Transpose)
def infer_transpose(layer: O.Transpose, inputs: list[Tensor], ctx: Context) -> Inferred:
    (x,) = layer.bind(inputs)[0]
    shape = full(x.shape)
    axes = tuple(range(len(shape) - 1, -1, -1)) if layer.axes is None else \
        tuple(axis_of(layer, a, len(shape), "axes") for a in layer.axes)
    if sorted(axes) != list(range(len(shape))):
        raise ShapeError(codes.INVALID_ARGUMENT, f"{layer.kind}: axes {layer.axes} is not an order of the "
                         f"{len(shape)} axes 0..{len(shape) - 1} (batch included)",
                         hint="list every axis once, the batch axis 0 first", argument="axes")
    if axes[0] != 0:
        not_batch(layer, (0,), "it moves the batch axis away from the front, mixing samples", "axes")
    return _result(layer, tuple(shape[a] for a in axes), x.dtype, "ops.{fn} to axes {axes}", {"axes": list(axes)})


@rule(O.Reshape)
def infer_reshape(layer: O.Reshape, inputs: list[Tensor], ctx: Context) -> Inferred:
    (x,) = layer.bind(inputs)[0]
    new = list(layer.newshape)
    if not new or new[0] != -1 or -1 in new[1:] or any(d <= 0 for d in new[1:]):
        raise ShapeError(
            codes.INVALID_ARGUMENT,
            f"{layer.kind}: newshape {new} must keep the batch axis: -1 first (the batch size), then positive sizes",
            hint="write the batch axis as -1 and every other size out: ops.reshape(x, (-1, 8, 4))", argument="newshape")
    have, want = math.prod(d for d in x.shape if d is not None), math.prod(new[1:])
    if None not in x.shape and have != want:
        raise ShapeError(
            codes.RESHAPE_SIZE,
            f"{layer.kind}: cannot reshape {format_shape(x.shape)} ({have:,} values per sample) to {new[1:]} "
            f"({want:,} values per sample): the batch axis would no longer be the batch",
            hint=f"the sizes after the batch axis must multiply to {have:,}", argument="newshape")
    shape = (BATCH, *new[1:])
    return _result(layer, shape, x.dtype, "ops.{fn} to {new} (-1: the batch axis)", {"new": new})


def _new_axes(layer, given, rank: int) -> tuple[int, ...]:
    axes = (given,) if isinstance(given, int) else tuple(given)
    normalized = tuple(axis_of(layer, a, rank) for a in axes)
    repeated = sorted({a for a in normalized if normalized.count(a) > 1})
    if repeated:  # Keras fails when it builds the model (its symbolic expand_dims raises StopIteration)
        raise ShapeError(codes.INVALID_ARGUMENT, f"{layer.kind}: axis {list(axes)} names the new axis {repeated[0]} "
                         f"more than once (in the result's {rank} axes)", hint="list each new axis once",
                         argument="axis")
    not_batch(layer, normalized, "it puts an axis before the batch axis")
    return normalized


@rule(O.ExpandDims)
def infer_expand_dims(layer: O.ExpandDims, inputs: list[Tensor], ctx: Context) -> Inferred:
    (x,) = layer.bind(inputs)[0]
    rank = x.rank + (1 if isinstance(layer.axis, int) else len(layer.axis))
    axes = _new_axes(layer, layer.axis, rank)
    rest = iter(full(x.shape))
    shape = tuple(1 if i in axes else next(rest) for i in range(rank))
    return _result(layer, shape, x.dtype, "ops.{fn} adds a size-1 axis at {axes}", {"axes": list(axes)})


@rule(O.Squeeze)
def infer_squeeze(layer: O.Squeeze, inputs: list[Tensor], ctx: Context) -> Inferred:
    (x,) = layer.bind(inputs)[0]
    shape = full(x.shape)
    if layer.axis is None:
        axes = tuple(i for i, d in enumerate(shape) if d == 1)
    else:
        axes = tuple(axis_of(layer, a, len(shape)) for a in ((layer.axis,) if isinstance(layer.axis, int)
                                                            else layer.axis))
        not_batch(layer, axes, "it removes the batch axis")
        wide = [a for a in axes if shape[a] != 1]
        if wide:
            size = shape[wide[0]]
            raise ShapeError(codes.INVALID_ARGUMENT, f"{layer.kind}: cannot squeeze axis {wide[0]} of "
                             f"{format_shape(x.shape)}: its size is {'unknown' if size is None else size}, not 1 "
                             "(Keras refuses an unknown size too)", hint="squeeze only axes of size 1", argument="axis")
    out = tuple(d for i, d in enumerate(shape) if i not in axes)
    return _result(layer, out, x.dtype, "ops.{fn} removes the size-1 axes {axes}", {"axes": list(axes)})


def _joined(layer, tensors: list[Tensor], axis: int, rank: int) -> int:
    axis = axis_of(layer, axis, rank)
    not_batch(layer, (axis,), "it joins along the batch axis")
    return axis


@rule(O.Concatenate)
def infer_concatenate(layer: O.Concatenate, inputs: list[Tensor], ctx: Context) -> Inferred:
    tensors = layer.bind(inputs)[0]
    shapes = [full(t.shape) for t in tensors]
    if len({len(s) for s in shapes}) > 1:
        raise ShapeError(codes.MERGE_MISMATCH, f"{layer.kind}: inputs of different ranks: "
                         + ", ".join(format_shape(t.shape) for t in tensors), hint="give them the same rank first")
    axis = _joined(layer, tensors, layer.axis, len(shapes[0]))
    out = list(shapes[0])
    for k, s in enumerate(shapes[1:], start=1):
        for i, (d, e) in enumerate(zip(out, s, strict=True)):
            if i != axis and None not in (d, e) and d != e:
                raise ShapeError(codes.MERGE_MISMATCH, f"{layer.kind}: input {k} {format_shape(tensors[k].shape)} "
                                 f"differs from input 0 {format_shape(tensors[0].shape)} on axis {i} ({e} vs {d}); "
                                 f"only axis {axis} may differ", hint="match every other axis, or concatenate along "
                                 "the axis that differs", argument="axis")
    out[axis] = None if any(s[axis] is None for s in shapes) else sum(s[axis] for s in shapes)
    return _result(layer, tuple(out), promoted([t.dtype for t in tensors], []), "ops.{fn} along axis {axis}",
                   {"axis": axis})


@rule(O.Stack)
def infer_stack(layer: O.Stack, inputs: list[Tensor], ctx: Context) -> Inferred:
    tensors = layer.bind(inputs)[0]
    first = tensors[0].shape
    for t in tensors[1:]:  # an unknown size fits any: Keras takes the first input's sizes
        if len(t.shape) != len(first) or any(None not in (a, b) and a != b for a, b in zip(first, t.shape, strict=True)):
            raise ShapeError(codes.MERGE_MISMATCH, f"{layer.kind}: every input must have the same shape: "
                             + ", ".join(format_shape(u.shape) for u in tensors), hint="stack tensors of one shape")
    shape = full(first)
    axis = _joined(layer, tensors, layer.axis, len(shape) + 1)
    out = shape[:axis] + (len(tensors),) + shape[axis:]
    return _result(layer, out, promoted([t.dtype for t in tensors], []), "ops.{fn} of {n} along a new axis {axis}",
                   {"n": len(tensors), "axis": axis})


@rule(O.Split)
def infer_split(layer: O.Split, inputs: list[Tensor], ctx: Context) -> Inferred:
    (x,) = layer.bind(inputs)[0]
    shape = full(x.shape)
    axis = _joined(layer, [x], layer.axis, len(shape))
    size, sections = shape[axis], layer.indices_or_sections
    if isinstance(sections, int):
        if size is None:
            lengths = [None] * max(sections, 1)
        elif sections <= 0 or size % sections:
            raise ShapeError(codes.INVALID_ARGUMENT, f"{layer.kind}: {size} values on axis {axis} do not split into "
                             f"{sections} equal parts ({size} % {sections} = {size % sections if sections else '-'})",
                             hint="use a number of sections that divides the axis, or a list of split points",
                             argument="indices_or_sections")
        else:
            lengths = [size // sections] * sections
    elif not sections or any(i < 0 for i in sections) or list(sections) != sorted(sections) or (
            size is not None and any(i > size for i in sections)):
        raise ShapeError(codes.INVALID_ARGUMENT, f"{layer.kind}: split points {sections} must be increasing and within "
                         f"the axis (0 to {size}): TensorFlow's split refuses others (\"Negative dimensions are not "
                         "allowed\")", hint="list increasing split points counted from the start of the axis",
                         argument="indices_or_sections")
    else:
        bounds = [0, *sections, size]
        lengths = [None if b is None else b - a for a, b in zip(bounds, bounds[1:], strict=False)]
    parts = [shape[:axis] + (n,) + shape[axis + 1:] for n in lengths]
    return _result(layer, parts[0], x.dtype, "ops.{fn} of axis {axis} into {lengths}",
                   {"axis": axis, "lengths": lengths}, tuple(spec_shape(p) for p in parts[1:]))


@rule(O.Repeat)
def infer_repeat(layer: O.Repeat, inputs: list[Tensor], ctx: Context) -> Inferred:
    (x,) = layer.bind(inputs)[0]
    shape = full(x.shape)
    if layer.axis is None:
        not_batch(layer, (0,), "with no axis it flattens the tensor, batch included")
    axis = _joined(layer, [x], layer.axis, len(shape))
    size, repeats = shape[axis], layer.repeats
    if isinstance(repeats, list) and len(repeats) == 1:
        repeats = repeats[0]  # one count broadcasts to every value, as NumPy's repeat
    if isinstance(repeats, int):
        new = None if size is None else size * repeats
    elif size is not None and len(repeats) != size:
        raise ShapeError(codes.INVALID_ARGUMENT, f"{layer.kind}: {len(repeats)} repeats for the {size} values of axis "
                         f"{axis}", hint="one repeat count per value, or a single count", argument="repeats")
    else:
        new = sum(repeats)
    out = shape[:axis] + (new,) + shape[axis + 1:]
    return _result(layer, out, x.dtype, "ops.{fn} {r} times along axis {axis}", {"r": repeats, "axis": axis})


@rule(O.Tile)
def infer_tile(layer: O.Tile, inputs: list[Tensor], ctx: Context) -> Inferred:
    (x,) = layer.bind(inputs)[0]
    shape = full(x.shape)
    repeats = list(layer.repeats)
    if len(repeats) > len(shape) or (len(repeats) == len(shape) and repeats[0] != 1):
        not_batch(layer, (0,), "it repeats the batch axis (or adds axes before it)", "repeats")
    repeats = [1] * (len(shape) - len(repeats)) + repeats
    out = (BATCH,) + tuple(None if d is None else d * r for d, r in zip(shape[1:], repeats[1:], strict=True))
    return _result(layer, out, x.dtype, "ops.{fn} by {r}", {"r": repeats})


@rule(O.GetItem)
def infer_get_item(layer: O.GetItem, inputs: list[Tensor], ctx: Context) -> Inferred:
    (x,) = layer.bind(inputs)[0]
    from ...spec.index_key import is_lone
    from .ops_index import index_shape

    items = layer.items()
    out = index_shape(layer, full(x.shape), items)  # the batch axis first: a lone `1:` or `None` breaks it too
    if is_lone(layer.key) and not isinstance(items[0], int):
        raise ShapeError(codes.INVALID_ARGUMENT, f"{layer.kind}: the key {layer.key!r} is a lone slice, None or "
                         "'...': Keras's get_item refuses it (\"Unsupported key type for array slice\")",
                         hint=f"write it as a tuple: {layer.key.strip()!r} + ',' (e.g. ':,' or '...,'), or leave the "
                              "op out when it keeps the whole tensor", argument="key")
    return _result(layer, out, x.dtype, "x[{key}]", {"key": layer.key})
