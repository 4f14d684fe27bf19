"""Tensor operations (spec/layers/ops.py): elementwise arithmetic, comparisons, where, cast, math functions,
reductions and softmax. Shaping ops (matmul, einsum, transpose, reshape, get_item, ...) are in ops_shaping.py.

Keras's rules are NumPy's (keras/src/ops/numpy.py, measured in tests/shapes/test_ops.py): shapes broadcast from the
right, a size 1 stretches, an unknown size against a known one gives the known one (Keras's broadcast_shapes).
Axis arguments count the batch axis, which no op may move, mix or reduce: the spec's shapes keep it first and
unknown. Results' dtypes follow Keras: an integer tensor with a Python float gives float32, comparisons give bool.
"""

from __future__ import annotations

from typing import Optional

from ...diagnostics import codes
from ...spec.layers import ops as O
from ..errors import ShapeError
from ..records import Inferred, Shape, Step, Tensor, format_shape
from . import Context, rule
from .ops_dtypes import FLOATS, check_operands, float_only, promoted, widened

BATCH = "batch"  # a marker for the batch axis while broadcasting full shapes


def full(shape: Shape) -> tuple:
    """A spec shape with its batch axis in front (as keras.ops sees it)."""
    return (BATCH, *shape)


def axis_of(layer, axis: int, rank: int, argument: str = "axis") -> int:
    """An axis (batch counted, negative from the end) normalized into [0, rank); SB210 out of range."""
    normalized = axis + rank if axis < 0 else axis
    if not 0 <= normalized < rank:
        raise ShapeError(
            codes.INVALID_ARGUMENT,
            f"{layer.kind}: {argument} {axis} is out of range for a tensor of rank {rank} (batch axis included): "
            f"axes go from 0 (the batch axis) to {rank - 1}, or -{rank} to -1",
            hint=f"use an axis from 1 to {rank - 1} (or -{rank - 1} to -1)", argument=argument,
        )
    return normalized


def not_batch(layer, axes: tuple[int, ...], what: str, argument: str = "axis") -> None:
    """SB210 when a normalized axis list touches the batch axis."""
    if 0 in axes:
        raise ShapeError(
            codes.INVALID_ARGUMENT,
            f"{layer.kind}: {argument} includes 0, the batch axis: {what} across the samples of a batch, so the "
            "result depends on how the data is batched (axes count the batch axis in keras.ops and torch)",
            hint="count axes with the batch axis as 0: the first axis of the spec's shape is axis 1", argument=argument,
        )


def broadcast_full(layer, shapes: list[tuple]) -> tuple:
    """NumPy broadcasting of full shapes (batch marker first); SB204 naming the axes and both shapes."""
    out: list = []
    rank = max(len(s) for s in shapes)
    for offset in range(1, rank + 1):
        dims = [s[-offset] for s in shapes if len(s) >= offset]
        out.insert(0, _broadcast_dims(layer, dims, offset, shapes))
    if any(BATCH in s for s in shapes) and (out[0] != BATCH or out.count(BATCH) != 1):
        # (1, 4) with (4,): the batch meets a size-1 axis, which stretches to the batch size: Keras runs it,
        # pairing every sample with every other
        raise ShapeError(
            codes.INVALID_ARGUMENT,
            f"{layer.kind}: shapes {' and '.join(_shown(s) for s in shapes)} have different ranks, so broadcasting "
            "(from the right) lines the batch axis of one up with a size-1 axis of the other: the result pairs "
            "every sample with every other sample of the batch",
            hint="give the tensors the same rank first (ops.expand_dims, or Reshape), so that their batch axes line up",
        )
    return tuple(out)


def _broadcast_dims(layer, dims: list, offset: int, shapes: list[tuple]):
    if BATCH in dims:
        if any(d not in (BATCH, 1) for d in dims):
            raise _batch_misaligned(layer, shapes)
        return BATCH
    known = {d for d in dims if d is not None and d != 1}
    if len(known) > 1:
        shown = " and ".join(_shown(s) for s in shapes)
        raise ShapeError(
            codes.MERGE_MISMATCH,
            f"{layer.kind}: shapes {shown} do not broadcast: axis -{offset} has sizes "
            + " vs ".join(str(d) for d in dims),
            hint="sizes must be equal, or 1 (which stretches), on each axis counted from the right",
        )
    if known:
        return known.pop()
    return None if None in dims else 1


def _batch_misaligned(layer, shapes: list[tuple]) -> ShapeError:
    return ShapeError(
        codes.MERGE_MISMATCH,
        f"{layer.kind}: shapes {' and '.join(_shown(s) for s in shapes)} have different ranks, so broadcasting "
        "(from the right) lines the batch axis of one up with another axis of the other",
        hint="give the tensors the same rank first (ops.expand_dims, or Reshape), so that their batch axes line up",
    )


def _shown(shape: tuple) -> str:
    return format_shape(tuple(shape[1:])) if shape and shape[0] == BATCH else format_shape(tuple(shape), batch=False)


def spec_shape(shape: tuple) -> Shape:
    """A full shape back to the spec's (batch dropped)."""
    return tuple(shape[1:])


def _operands(layer, inputs: list[Tensor], names: tuple[str, ...]) -> list[Optional[Tensor]]:
    """The op's operands in its argument order: the tensors of `inputs`, a number where the spec gives one."""
    constants = layer.constants()
    tensors = list(layer.bind(inputs)[0])
    operands = []
    for name in names:
        operands.append(None if name in constants else (tensors.pop(0) if tensors else None))
    missing = [n for n, o in zip(names, operands, strict=True) if o is None and n not in constants]
    if missing or tensors:
        given = len(layer.bind(inputs)[0])
        raise ShapeError(
            codes.INPUT_COUNT,
            f"{layer.kind} takes {len(names)} operands ({', '.join(names)}): {given} from `inputs` and "
            f"{len(constants)} number{'s' if len(constants) != 1 else ''} ({', '.join(constants) or 'none'})",
            hint=f"list the tensors in `inputs`, or give a number for one of them (`{names[-1]}: 1.0`)",
        )
    return operands


@rule(O.Add, O.Subtract, O.Multiply, O.Divide, O.Power, O.Maximum, O.Minimum,
      O.Equal, O.NotEqual, O.Less, O.LessEqual, O.Greater, O.GreaterEqual, O.Where)
def infer_elementwise(layer, inputs: list[Tensor], ctx: Context) -> Inferred:
    names = layer.CALL.tensors
    operands = _operands(layer, inputs, names)
    shapes = [full(t.shape) for t in operands if t is not None]
    shape = broadcast_full(layer, shapes)
    constants = list(layer.constants().values())
    values = [t for t in operands[1:] if t is not None] if isinstance(layer, O.Where) else \
        [t for t in operands if t is not None]
    check_operands(layer, [t.dtype for t in values], constants)
    if getattr(layer, "COMPARISON", False):
        dtype = "bool"
    else:
        dtype = promoted([t.dtype for t in values], constants, layer.FLOAT_RESULT)
    written = ", ".join(format_shape(t.shape) if t is not None else repr(layer.constants()[n])
                        for n, t in zip(names, operands, strict=True))
    step = Step("shape", "ops.{fn}({args}): NumPy broadcasting gives {s:batch}, dtype {dtype}",
                {"fn": layer.function(), "args": written, "s": spec_shape(shape), "dtype": dtype}, spec_shape(shape))
    return Inferred(spec_shape(shape), dtype=dtype, steps=(step,))


@rule(O.Exp, O.Log, O.Sqrt, O.Rsqrt, O.Tanh, O.Erf, O.Abs, O.Square, O.Negative, O.Clip, O.Cast)
def infer_pointwise(layer, inputs: list[Tensor], ctx: Context) -> Inferred:
    (x,) = layer.bind(inputs)[0]
    if isinstance(layer, (O.Rsqrt, O.Erf)):
        float_only(layer, x.dtype)
    if isinstance(layer, O.Cast):
        dtype = layer.dtype
    elif isinstance(layer, O.Clip):
        check_operands(layer, [x.dtype], [layer.x_min, layer.x_max])
        dtype = widened("clip", promoted([x.dtype], [layer.x_min, layer.x_max]))
    else:
        check_operands(layer, [x.dtype], [])
        dtype = "float32" if layer.FLOAT_RESULT and x.dtype not in FLOATS else widened(layer.function(), x.dtype)
    step = Step("shape", "ops.{fn} works element by element: {s:batch}, dtype {dtype}",
                {"fn": layer.function(), "s": tuple(x.shape), "dtype": dtype}, tuple(x.shape))
    return Inferred(tuple(x.shape), dtype=dtype, steps=(step,))


def reduced_axes(layer, rank: int, given, what: str) -> tuple[int, ...]:
    """The normalized axes an op reduces (or normalizes) over; the batch axis and repeats refused."""
    if given is None:
        not_batch(layer, (0,), what)
    axes = (given,) if isinstance(given, int) else tuple(given)
    normalized = tuple(axis_of(layer, a, rank) for a in axes)
    if len(set(normalized)) != len(normalized):
        raise ShapeError(codes.INVALID_ARGUMENT, f"{layer.kind}: axis {list(axes)} repeats an axis",
                         hint="name each axis once", argument="axis")
    not_batch(layer, normalized, what)
    return normalized


@rule(O.Mean, O.Sum, O.Max, O.Min, O.Argmax)
def infer_reduction(layer, inputs: list[Tensor], ctx: Context) -> Inferred:
    (x,) = layer.bind(inputs)[0]
    shape = full(x.shape)
    axes = reduced_axes(layer, len(shape), layer.axis, "it reduces")
    if layer.keepdims:
        out = tuple(1 if i in axes else d for i, d in enumerate(shape))
    else:
        out = tuple(d for i, d in enumerate(shape) if i not in axes)
    if isinstance(layer, O.Argmax):
        dtype = "int32"
    else:
        dtype = "float32" if layer.FLOAT_RESULT and x.dtype not in FLOATS else widened(layer.function(), x.dtype)
    step = Step("shape", "ops.{fn} over axis {axes} (batch axis 0){kept}: {s:batch}",
                {"fn": layer.function(), "axes": list(axes), "kept": ", keeping them as 1" if layer.keepdims else "",
                 "s": spec_shape(out)}, spec_shape(out))
    return Inferred(spec_shape(out), dtype=dtype, steps=(step,))


@rule(O.Softmax, O.LogSoftmax)
def infer_softmax(layer, inputs: list[Tensor], ctx: Context) -> Inferred:
    (x,) = layer.bind(inputs)[0]
    float_only(layer, x.dtype)
    if not isinstance(layer.axis, int):
        raise ShapeError(codes.INVALID_ARGUMENT, f"{layer.kind}: axis {layer.axis}: in a functional model Keras's "
                         f"{layer.function()} takes one axis (a list fails when the model runs)",
                         hint="give one axis; normalize over several by reshaping them into one first",
                         argument="axis")
    axes = reduced_axes(layer, x.rank, layer.axis, "it normalizes")
    dtype = x.dtype
    step = Step("shape", "ops.{fn} normalizes over axis {axes}; the shape is unchanged: {s:batch}",
                {"fn": layer.function(), "axes": list(axes), "s": tuple(x.shape)}, tuple(x.shape))
    return Inferred(tuple(x.shape), dtype=dtype, steps=(step,))


from . import ops_shaping  # noqa: E402, F401  (registers the shaping ops' rules with this family)
