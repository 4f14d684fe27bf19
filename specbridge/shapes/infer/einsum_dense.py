"""EinsumDense's shape rule (spec/layers/core.py; registered with the core family by core.py).

Keras 3.15's rules (keras/src/layers/core/einsum_dense.py, _analyze_einsum_string), measured in
tests/shapes/test_einsum_dense.py; the equation is read by shapes/einsum.py, as ops.einsum's:

- Three forms only: 'X,Y->Z', '...X,Y->...Z' (the '...' leading the input and the output) and 'X...,Y->Z...'
  (trailing both, after 2 or more input letters); the kernel term has no '...'. Without a '...', the input's
  first letter is the batch axis, and so is the output's (otherwise Keras either refuses or sums over the batch).
- output_shape lists the output's sizes after the batch axis, the '...' axes left out: one per output letter
  after the batch letter (every output letter when a leading '...' covers the batch). Fewer entries make Keras
  fail (IndexError); more make its declared shape longer than what it computes: both are refused here.
- An entry that is also an input letter must equal the input's size (Keras compares even an unknown input size);
  null leaves that output axis unknown in Keras's declared shape, though the data fills it: specbridge keeps the
  declared null, so the next layers see what Keras builds them on.
- Kernel: per kernel letter, the output_shape entry when the letter is in the output (an input size does not
  stand in for a null there), else the input's size; a null, or a letter in neither, is refused. Bias: from the
  first bias letter of the output to its end, the sizes of the bias letters and 1 for the others (then a 1 per
  trailing '...' axis); each bias letter must be an output letter with a known output_shape entry.
- A leading '...' over 2 or more axes: Keras's declared shape lists them in reverse order (it inserts each at
  index 1), its computed output keeps the input's order; specbridge gives the computed one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

from ...diagnostics import codes
from ...spec.layers import core as L
from .. import einsum
from ..errors import ShapeError
from ..records import Inferred, Step, Tensor, format_shape
from . import Context, rule

FORMS = "'X,Y->Z', '...X,Y->...Z' or 'X...,Y->Z...'"


@dataclass(frozen=True)
class EinsumDensePlan:
    """What Keras builds for one EinsumDense on one input."""

    inputs: str  # the input's letters
    kernel_letters: str
    outputs: str  # the output's letters
    sizes: dict  # letter -> size (output letters: their output_shape entry; the batch letter's is None)
    kernel: tuple[int, ...]
    bias: Optional[tuple[int, ...]]
    output: tuple  # the output's full shape, batch first
    equation: str  # as the emitters compute it: Keras's, a '...' that Keras reads past left out


def _fail(layer, message: str, hint: str, code=codes.INVALID_ARGUMENT, argument: str = "equation") -> ShapeError:
    return ShapeError(code, f"{layer.kind}: {message}", hint=hint, argument=argument)


def _terms(layer: L.EinsumDense) -> tuple[str, str, str]:
    """The input, kernel and output terms of one of Keras's three forms."""
    text = layer.equation
    try:
        equation = einsum.parse(text, ops_symbolic=False) if "->" in text else None
    except einsum.EquationError as problem:
        raise _fail(layer, problem.message, problem.hint) from None
    if equation is not None and len(equation.inputs) == 2:
        (source, kernel), output = equation.inputs, equation.output
        dots = einsum.ELLIPSIS
        letters = [einsum.letters(t) for t in (source, kernel, output)]
        # Keras matches its forms' patterns at the start of the equation only, so 'ab,bc->ac...' reads as the
        # plain form (the '...' then covers no axis: TensorFlow computes it too)
        plain = dots not in source + kernel + output.removesuffix(dots)
        left = source.startswith(dots) and output.startswith(dots)
        right = source.endswith(dots) and output.endswith(dots) and len(letters[0]) >= 2
        if all(letters) and dots not in kernel and (plain or left or right):
            return source, kernel, output.removesuffix(dots) if plain else output
    raise _fail(layer, f"equation {text!r} is not one of Keras's forms {FORMS} (two terms: the input, then the "
                "kernel; a '...' leads or trails both the input and the output)",
                "write 'ab,bc->ac' for a Dense on the last axis, or '...b,bc->...c' for any rank")


def _input_sizes(layer, source: str, tensor: Tensor) -> tuple[dict, tuple]:
    """Each input letter's size (None for the batch letter) and the sizes the '...' covers."""
    try:
        axes = einsum.read_axes(source, (None, *tensor.shape))  # the batch axis first, as Keras reads it
    except einsum.EquationError as problem:
        raise _fail(layer, f"{problem.message} (batch included): input {format_shape(tensor.shape)}",
                    problem.hint + ", the batch axis first", codes.NDIM_MISMATCH) from None
    sizes: dict = {}
    for letter, size in axes.sizes:
        if letter in sizes and sizes[letter] != size:
            raise _fail(layer, f"input letter {letter!r} names two axes of {format_shape(tensor.shape)}, of sizes "
                        f"{sizes[letter]} and {size} (TensorFlow's einsum refuses them when it runs)",
                        "a repeated letter takes a diagonal: both axes need the same size", codes.MERGE_MISMATCH)
        sizes[letter] = size
    return sizes, axes.ellipsis


def _output_slots(layer, outputs: str, batch_letter: Optional[str]) -> dict:
    """The output letters that output_shape sizes, each with its entry."""
    slots = outputs[1:] if batch_letter else outputs
    given = layer.partial_output_shape()
    if len(given) != len(slots):
        shown = f"'{slots}'" if slots else "none"
        raise _fail(layer, f"output_shape {list(given)} has {len(given)} entries, but the output {outputs!r} has "
                    f"{len(slots)} axes after the batch axis, '...' axes left out ({shown}); Keras fails on fewer "
                    "entries and declares a wrong shape with more",
                    f"one entry per letter of '{slots}'" + (", null where the input gives the size" if slots else
                                                             ": output_shape: []"), argument="output_shape")
    return dict(zip(slots, given, strict=True))


def _check_shared(layer, slots: dict, sizes: dict, tensor: Tensor) -> None:
    for letter, entry in slots.items():
        if letter in sizes and entry is not None and entry != sizes[letter]:
            have = "unknown (null)" if sizes[letter] is None else sizes[letter]
            raise _fail(layer, f"output_shape gives {entry} for letter {letter!r}, which the input "
                        f"{format_shape(tensor.shape)} sizes {have}: Keras refuses (\"Input shape and output "
                        "shape do not match at shared dimension\")",
                        f"use {sizes[letter]} there, or null" if sizes[letter] is not None else "use null there",
                        argument="output_shape")


def _kernel_shape(layer, kernel: str, slots: dict, sizes: dict, batch_letter: Optional[str]) -> tuple[int, ...]:
    shape = []
    for letter in kernel:
        if letter == batch_letter:
            raise _fail(layer, f"kernel letter {letter!r} is the batch letter: the kernel would need the batch size, "
                        "which is unknown", "the kernel's letters are the input's features and the output's units",
                        codes.UNKNOWN_DIMENSION)
        if letter not in slots and letter not in sizes:
            raise _fail(layer, f"kernel letter {letter!r} is in neither the input nor the output: Keras refuses "
                        "(\"the weight must be fully specified\")", "name each kernel axis in the input or the output")
        size = slots[letter] if letter in slots else sizes[letter]
        if size is None:
            source = "its output_shape entry is null" if letter in slots else "the input's axis is unknown"
            raise _fail(layer, f"kernel letter {letter!r} needs a size and {source}: Keras sizes kernel axes of "
                        "output letters from output_shape only", "give that output_shape entry (or the input axis) "
                        "a size", codes.UNKNOWN_DIMENSION, "output_shape" if letter in slots else "equation")
        shape.append(size)
    return tuple(shape)


def _bias_shape(layer, outputs: str, slots: dict, trailing: int) -> Optional[tuple[int, ...]]:
    axes = layer.bias_axes
    if axes is None:
        return None
    stray = [c for c in axes if c not in outputs]
    if not axes or stray:
        what = "is empty" if not axes else f"has {stray[0]!r}, which is not an output letter"
        raise _fail(layer, f"bias_axes {axes!r} {what} (output {outputs!r}): Keras refuses it",
                    f"name output letters of {outputs!r}, e.g. {outputs[-1]!r}; or leave bias_axes out for no bias",
                    argument="bias_axes")
    start = min(outputs.index(c) for c in axes)
    shape = []
    for letter in outputs[start:]:
        size = slots.get(letter) if letter in axes else 1
        if size is None:
            raise _fail(layer, f"bias letter {letter!r} has no known size (the batch letter, or a null in "
                        "output_shape): the bias would need it", "give that output_shape entry a size, or leave the "
                        "letter out of bias_axes", codes.UNKNOWN_DIMENSION, "bias_axes")
        shape.append(size)
    return tuple(shape) + (1,) * trailing


def einsum_dense_plan(layer: L.EinsumDense, tensor: Tensor) -> EinsumDensePlan:
    """Kernel, bias and output shapes as Keras builds them; ShapeError for what Keras refuses."""
    source, kernel, output = _terms(layer)
    sizes, covered = _input_sizes(layer, source, tensor)
    letters = einsum.letters(source), einsum.letters(kernel), einsum.letters(output)
    batch_letter = letters[0][0] if not source.startswith(einsum.ELLIPSIS) or not covered else None
    if batch_letter is not None and letters[2][0] != batch_letter:
        raise _fail(layer, f"equation {layer.equation!r}: the input's first letter {batch_letter!r} is the batch axis "
                    f"and the output's first letter is {letters[2][0]!r}: the layer would move the batch axis or sum "
                    "over the samples of a batch", f"start the output with {batch_letter!r}, or use '...' for the "
                    "leading axes")
    slots = _output_slots(layer, letters[2], batch_letter)
    _check_shared(layer, slots, sizes, tensor)
    kernel_shape = _kernel_shape(layer, letters[1], slots, sizes, batch_letter)
    bias = _bias_shape(layer, letters[2], slots, len(covered) if output.endswith(einsum.ELLIPSIS) else 0)
    named = {c: None if c == batch_letter else slots[c] for c in letters[2]}
    before, _, after = output.partition(einsum.ELLIPSIS)
    shape = tuple(named[c] for c in before) + (covered if einsum.ELLIPSIS in output else ()) + tuple(
        named[c] for c in after)
    return EinsumDensePlan(letters[0], letters[1], letters[2], {**sizes, **named}, kernel_shape, bias, shape,
                           f"{source},{kernel}->{output}")


@rule(L.EinsumDense)
def infer_einsum_dense(layer: L.EinsumDense, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    plan = einsum_dense_plan(layer, tensor)
    out = plan.output[1:]
    kernel_params = math.prod(plan.kernel)
    bias_params = 0 if plan.bias is None else math.prod(plan.bias)
    values = {"eq": layer.equation, "input": tensor.shape, "kernel_letters": plan.kernel_letters,
              "kernel": plan.kernel, "bias": plan.bias, "out": out, "kp": kernel_params, "bp": bias_params}
    steps = [
        Step("kernel shape", "kernel {kernel_letters!r} = {kernel}: each letter sized by output_shape when it is an "
             "output letter, else by the input {input:batch}", values, plan.kernel),
    ]
    if plan.bias is None:
        params = Step("params", "params = {kernel:*} = {result:,} (no bias_axes: no bias)", values, kernel_params,
                      formula="prod(kernel shape)")
    else:
        steps.append(Step("bias shape", "bias {bias}: the bias letters' sizes from the first of them to the end of "
                          "the output, 1 for the others (it broadcasts)", values, plan.bias))
        params = Step("params", "params = {kernel:*} + {bias:*} = {kp:,} + {bp:,} = {result:,}", values,
                      kernel_params + bias_params, formula="prod(kernel shape) + prod(bias shape)")
    steps.append(params)
    steps.append(Step("shape", "einsum {eq!r} of the input and the kernel: output {out:batch}", values, out))
    return Inferred(out, params.result, steps=tuple(steps))



def einsum_dense_build(layer: L.EinsumDense, shape) -> EinsumDensePlan:
    """The plan for an input of spec shape `shape` (its kernel and bias shapes in Keras's layout, the equation):
    what the emitters and the weight mapping build, from the shape rule itself."""
    return einsum_dense_plan(layer, Tensor(tuple(shape)))
