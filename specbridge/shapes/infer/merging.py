"""Merge layers: Concatenate, and the element-wise Add, Subtract, Multiply, Average, Maximum, Minimum.

Keras 3's rules (keras/src/layers/merging/base_merge.py, concatenate.py), measured on 3.15:
- element-wise merges broadcast like NumPy, pairwise from the first input: shapes are aligned on the
  right, a size 1 stretches, a missing leading axis is added ((3, 4) with (4,) or (1, 4) gives (3, 4)).
  An unknown size against anything gives an unknown size ((None, 4) with (3, 4) gives (None, 4)).
- Concatenate needs equal ranks and equal known sizes on every axis but the concatenation axis; the
  output is the first input's shape with the concatenation axis summed (unknown if any is unknown).
- Dot (dot.py) contracts one axis of each of its two inputs: the output is the first input's shape without its
  axis, then the second's without its batch axis and its axis, (batch, 1) when nothing is left. Keras's build
  compares the two sizes with `!=`, so an unknown size against a known one is refused too; an axis out of range
  fails building (IndexError), and the batch axis fails when the model runs ("Cannot perform batch_dot over axis 0").
"""

from __future__ import annotations

from typing import Optional

from ...diagnostics import codes
from ...spec.layers import merging as L
from ..errors import ShapeError
from ..records import Inferred, Shape, Step, Tensor, format_shape
from . import Context, rule

OP_WORDS = {
    "add": "sums", "subtract": "subtracts the second input from the first", "multiply": "multiplies",
    "average": "averages", "maximum": "takes the element-wise maximum of", "minimum": "takes the element-wise minimum of",
}


def shapes_list(inputs: list[Tensor]) -> str:
    return "[" + ", ".join(format_shape(t.shape) for t in inputs) + "]"


def broadcast(a: Shape, b: Shape) -> tuple[Optional[Shape], Optional[int]]:
    """Keras's _compute_elemwise_op_output_shape: (result, None) or (None, offending axis from the end).

    >>> broadcast((3, 4), (4,))
    ((3, 4), None)
    >>> broadcast((3, 1), (1, 4))
    ((3, 4), None)
    >>> broadcast((None, 4), (3, 4))
    ((None, 4), None)
    >>> broadcast((3, 4), (3, 5))
    (None, -1)
    """
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return tuple(a), None
    out = list(a[: len(a) - len(b)])
    for pos, (i, j) in enumerate(zip(a[len(a) - len(b):], b, strict=True)):
        if i is None or j is None:
            out.append(None)
        elif i == 1 or j == 1:
            out.append(j if i == 1 else i)
        elif i != j:
            return None, pos - len(b)
        else:
            out.append(i)
    return tuple(out), None


@rule(L.Add, L.Subtract, L.Multiply, L.Average, L.Maximum, L.Minimum)
def infer_elementwise_merge(layer: L.Merge, inputs: list[Tensor], ctx: Context) -> Inferred:
    shape = inputs[0].shape
    for n, tensor in enumerate(inputs[1:], start=1):
        merged, bad_axis = broadcast(shape, tensor.shape)
        if merged is None:
            left = "input 0" if n == 1 else f"inputs 0..{n - 1} broadcast together"
            raise ShapeError(
                codes.MERGE_MISMATCH,
                f"{layer.kind}: inputs have incompatible shapes. Received shapes {format_shape(shape)} ({left}) "
                f"and {format_shape(tensor.shape)} (input {n}): axis {bad_axis} has {shape[bad_axis]} vs {tensor.shape[bad_axis]}",
                hint=(
                    f"{layer.kind} works element by element, so sizes must be equal (or 1, which broadcasts): "
                    "project one branch to the other's size (Dense, or a 1x1 Conv for channels), "
                    "or join the branches with Concatenate instead"
                ),
            )
        shape = merged
    shapes = tuple(t.shape for t in inputs)
    broadcasts = " (sizes of 1 and missing leading axes broadcast)" if len(set(shapes)) > 1 else ""
    steps = (
        Step(
            "shape",
            "{kind} " + OP_WORDS[layer.OP] + " its {count} inputs element by element: {inputs:shapes} -> {result:batch}"
            + broadcasts,
            {"kind": layer.kind, "count": len(inputs), "inputs": shapes}, shape,
        ),
        Step("params", "no weights: params = 0", {}, 0),
    )
    return Inferred(shape, steps=steps)


@rule(L.Concatenate)
def infer_concatenate(layer: L.Concatenate, inputs: list[Tensor], ctx: Context) -> Inferred:
    ranks = {t.rank for t in inputs}
    received = f"Received: input_shape={shapes_list(inputs)}"
    if len(ranks) > 1:
        raise ShapeError(
            codes.MERGE_MISMATCH,
            f"A Concatenate layer requires inputs with matching shapes except for the concatenation axis; "
            f"the inputs have different ranks. {received}",
            hint="Reshape (or Flatten) the inputs to the same rank before concatenating them",
        )
    rank = inputs[0].rank  # batch included, as Keras counts axes
    axis = layer.axis
    if not -rank <= axis < rank:
        raise ShapeError(
            codes.INVALID_ARGUMENT,
            f"Concatenate axis={axis} is out of range for inputs of rank {rank}. {received}",
            hint=f"valid axes are 1..{rank - 1} or -1..-{rank - 1}; axis -1 joins the features/channels",
            argument="axis",
        )
    if axis % rank == 0:
        # Keras accepts it symbolically and stacks samples along the batch; a spec describes one sample.
        raise ShapeError(
            codes.INVALID_ARGUMENT,
            f"Concatenate axis={axis} is the batch axis: it would join samples, not features. {received}",
            hint="axes count the batch axis: use axis -1 for features/channels (1 for channels_first)",
            argument="axis",
        )
    index = axis % rank - 1
    for pos in range(rank - 1):
        if pos == index:
            continue
        known = {t.shape[pos] for t in inputs} - {None}
        if len(known) > 1:
            raise ShapeError(
                codes.MERGE_MISMATCH,
                f"A Concatenate layer requires inputs with matching shapes except for the concatenation axis "
                f"(axis {axis}): axis {pos + 1} has sizes {sorted(known)}. {received}",
                hint=(
                    "make the other axes agree (e.g. 'same' padding in every branch, or the same pooling), "
                    "or concatenate along the axis that differs"
                ),
            )
    parts = [t.shape[index] for t in inputs]
    total = None if None in parts else sum(parts)
    shape = inputs[0].shape[:index] + (total,) + inputs[0].shape[index + 1:]
    shapes = tuple(t.shape for t in inputs)
    steps = (
        Step(
            "concat axis",
            "Concatenate joins {count} inputs along axis {axis}: {sizes: + } = {result}; the other axes must match",
            {"count": len(inputs), "axis": axis, "sizes": parts}, total, formula="sum(sizes)",
        ),
        Step("shape", "{inputs:shapes} -> {result:batch}; no weights: params = 0", {"inputs": shapes}, shape),
    )
    return Inferred(shape, steps=steps)


def dot_axes(layer: L.Dot, first: Tensor, second: Tensor, shapes: str) -> tuple[int, int]:
    """The contracted axis of each input, batch counted and made positive; SB210 when Keras's build or call fails."""
    if first.rank < 2 or second.rank < 2:
        raise ShapeError(
            codes.NDIM_MISMATCH,
            f"Dot needs two inputs of rank >= 2 (batch counted); received {shapes}",
            hint="each input needs an axis besides the batch axis to contract: give it a feature axis",
        )
    pair = layer.axis_pair(first.rank, second.rank)
    positive = []
    for n, (axis, tensor) in enumerate(zip(pair, (first, second), strict=True)):
        rank = tensor.rank
        if not -rank <= axis < rank:
            raise ShapeError(
                codes.INVALID_ARGUMENT,
                f"Dot axes={layer.axes}: axis {axis} of input {n} {format_shape(tensor.shape)} is out of range for its "
                f"rank {rank} (valid: -{rank}..{rank - 1}); Keras fails building it (IndexError). Received {shapes}",
                hint=f"axes count the batch axis: input {n}'s last axis is {rank - 1} (or -1)", argument="axes",
            )
        positive.append(axis % rank)
    if 0 in positive:
        raise ShapeError(
            codes.INVALID_ARGUMENT,
            f"Dot axes={layer.axes} resolves to axes {tuple(positive)}: axis 0 is the batch axis, which Keras refuses "
            f"(\"Cannot perform batch_dot over axis 0\"). Received {shapes}",
            hint="axes count the batch axis: contract a feature axis (1 or more, or -1 for the last)", argument="axes",
        )
    return positive[0], positive[1]


@rule(L.Dot)
def infer_dot(layer: L.Dot, inputs: list[Tensor], ctx: Context) -> Inferred:
    first, second = inputs
    shapes = shapes_list(inputs)
    a1, a2 = dot_axes(layer, first, second, shapes)
    size1, size2 = first.shape[a1 - 1], second.shape[a2 - 1]
    if size1 != size2:
        unknown = " (Keras compares them with !=, so an unknown size does not match a known one)" if None in (
            size1, size2) else ""
        raise ShapeError(
            codes.MERGE_MISMATCH,
            f"Dot axes={layer.axes}: the contracted axes differ in size: axis {a1} of input 0 has {size1}, axis {a2} "
            f"of input 1 has {size2}{unknown}. Received {shapes}",
            hint="contract axes of equal size: pick other axes, or project one input (Dense) to the other's size",
            argument="axes",
        )
    kept1 = first.shape[:a1 - 1] + first.shape[a1:]
    kept2 = second.shape[:a2 - 1] + second.shape[a2:]
    shape = (kept1 + kept2) or (1,)
    values = {"axes": (a1, a2), "inputs": (first.shape, second.shape), "size": size1, "kept1": kept1,
              "kept2": kept2}
    steps = [
        Step("contract", "Dot sums the products along axis {axes[0]} of input 0 and axis {axes[1]} of input 1 (size "
                         "{size} each)", values, size1),
        Step("shape", "input 0 without axis {axes[0]}: {kept1:shape}, then input 1 without batch and axis {axes[1]}: "
                      "{kept2:shape} -> {result:batch}" + ("; nothing is left, so Keras gives (batch, 1)" if not (
                          kept1 + kept2) else ""), values, shape),
    ]
    if layer.normalize:
        steps.insert(0, Step("normalize", "normalize: each input is first divided by its L2 norm along its axis "
                                          "(x * min(1/sqrt(sum(x^2)), 1e7)), so the result is a cosine similarity",
                             values))
    steps.append(Step("params", "no weights: params = 0", {}, 0))
    return Inferred(shape, steps=tuple(steps))
