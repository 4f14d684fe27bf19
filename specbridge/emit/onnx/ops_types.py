"""The dtypes of tensor operations in the ONNX graph (emit/onnx/ops.py): what each operand holds, Keras's result
dtype, casts, numbers as constants, and the onnxruntime kernels each ONNX op has.

Floats are the model's float dtype in the graph (float32 or float64: GraphBuilder.dtype), whatever the spec calls
them, as the model's inputs are; ints and bools keep their dtype. Keras 3 (TensorFlow backend) promotes as JAX
does (keras/src/backend/common/dtypes.py): a float tensor wins, a Python float makes ints float (the model's
float: floatx), a Python int or bool takes the tensor's dtype, two int dtypes give the narrowest one holding both
(uint8 with int8: int16), bool with bool stays bool. The result of every op is recorded in GraphBuilder.types, so
that the next op, and the model's outputs, see the dtype Keras computes, even where the spec's shape rule says
another.

onnxruntime (1.32, CPU) has no kernel for some ONNX ops in some dtypes: an int op without its kernel computes in a
wider int (KERNELS, WIDER) and casts back, which is exact (two's-complement wrap-around included: the low bits of
a sum or product do not depend on the width it is computed in); a float op without a float64 kernel (Erf) is
written as it is, and the cross-check reports the missing kernel, as for any other layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional, Union

import numpy as np

from ...spec.call import split_reference
from .graph import GraphBuilder
from .proto import TENSOR_DTYPES
from .stage import Ctx

Number = Union[bool, int, float]
FLOATS = ("float16", "bfloat16", "float32", "float64")
BFLOAT16 = 16  # TensorProto.BFLOAT16 (no NumPy dtype)
INT32 = "int32"

F, D = "float32", "float64"
NUMERIC = (F, D, "int32", "int64", "int8", "uint8", "int16")
ORDERED = (F, D, "int32", "int64", "int8", "uint8")
# The dtypes onnxruntime 1.32's CPU provider runs each op in (measured with one-node models).
KERNELS: dict[str, tuple[str, ...]] = {
    "Add": NUMERIC, "Sub": NUMERIC, "Mul": NUMERIC, "Div": NUMERIC, "Abs": NUMERIC,
    "Neg": (F, D, "int32", "int64", "int8", "int16"),
    "Pow": (F, D, "int32", "int64"),
    "Max": ORDERED, "Min": ORDERED, "ArgMax": ORDERED, "Where": ORDERED,
    "Equal": (*NUMERIC, "bool"), "Less": NUMERIC, "LessOrEqual": NUMERIC, "Greater": NUMERIC,
    "GreaterOrEqual": NUMERIC,
    "ReduceMax": (*ORDERED, "bool"), "ReduceMin": (*ORDERED, "bool"),
    "ReduceSum": (F, D, "int32", "int64"), "MatMul": (F, D, "int32", "int64"), "Einsum": (F, D, "int32", "int64"),
}
# Where an int (or bool) op has no kernel: the dtype it computes in instead, which holds every value exactly.
WIDER = {"bool": "uint8", "int8": "int32", "uint8": "int32", "int16": "int32", "uint16": "int32",
         "uint32": "int64"}


@dataclass(frozen=True)
class Operand:
    """One argument of an op: a graph value and its dtype (and spec shape, batch excluded), or a number."""

    value: Optional[str] = None
    dtype: Optional[str] = None
    shape: Optional[tuple] = None
    number: Optional[Number] = None

    @property
    def is_number(self) -> bool:
        return self.value is None


def float_dtype(g: GraphBuilder) -> str:
    return g.dtype.name


def stored(g: GraphBuilder, dtype: str) -> str:
    """The dtype a tensor of spec dtype `dtype` has in the graph: the model's float for every float."""
    return float_dtype(g) if dtype in FLOATS else dtype


def is_float(dtype: str) -> bool:
    return dtype in FLOATS


def typed(g: GraphBuilder, value: str, dtype: str) -> str:
    """`value`, recorded as holding `dtype` (GraphBuilder.types)."""
    g.types[value] = dtype
    return value


# ---------------------------------------------------------------- operands


def tensors(layer, ctx: Ctx) -> list[Operand]:
    """The op's positional tensors, each with its dtype in the graph and its spec shape."""
    values, _ = layer.bind(list(ctx.inputs))
    shapes, _ = layer.bind(list(ctx.in_shapes))
    dtypes, _ = layer.bind(_input_dtypes(ctx))
    return [Operand(v, d, tuple(s)) for v, d, s in zip(values, dtypes, shapes, strict=True)]


def operands(layer, ctx: Ctx) -> list[Operand]:
    """The op's arguments in its call order (layer.CALL.tensors), a number where the spec gives one."""
    given = tensors(layer, ctx)
    constants = layer.constants()
    out = []
    for name in layer.CALL.tensors:
        out.append(Operand(number=constants[name]) if name in constants else given.pop(0))
    return out


def _input_dtypes(ctx: Ctx) -> list[str]:
    step = next(s for s in ctx.plan.steps if s.name == ctx.name)
    return [_dtype_of(ctx, value, reference) for value, reference in zip(ctx.inputs, step.inputs, strict=True)]


def _dtype_of(ctx: Ctx, value: str, reference: str) -> str:
    """An op's result as recorded (GraphBuilder.types); else the spec's dtype of a model input or a layer's output."""
    for key in (value, reference):
        if key in ctx.g.types:
            return ctx.g.types[key]
    plan = ctx.plan
    name, index = split_reference(reference, {s.name: s.layer.output_names() for s in plan.steps})
    for step in plan.steps:
        if step.name == name:
            return stored(ctx.g, [step.record.output, *step.record.extra_outputs][index].dtype)
    return stored(ctx.g, next(i.dtype for i in plan.inputs if i.name == name))


# ---------------------------------------------------------------- promotion


def result_type(g: GraphBuilder, args: Sequence[Operand], floating: bool = False) -> str:
    """Keras's result dtype of tensors and Python numbers (dtypes.result_type); `floating`: with Python's float
    among them (true division)."""
    dtypes = [a.dtype for a in args if not a.is_number]
    numbers = [a.number for a in args if a.is_number]
    if any(is_float(d) for d in dtypes) or floating or any(isinstance(n, float) for n in numbers):
        return float_dtype(g)
    ints = [d for d in dtypes if d != "bool"]
    if ints:
        return str(np.result_type(*ints))
    return INT32 if any(isinstance(n, int) and not isinstance(n, bool) for n in numbers) else "bool"


# ---------------------------------------------------------------- casts and constants


def elem(dtype: str) -> int:
    """The TensorProto data type of a NumPy dtype name."""
    return BFLOAT16 if dtype == "bfloat16" else TENSOR_DTYPES[dtype]


def cast(g: GraphBuilder, value: str, have: str, want: str) -> str:
    return value if have == want else g.node("Cast", [value], to=elem(want))


def number(g: GraphBuilder, value: Number, dtype: str) -> str:
    """A 0-d initializer holding `value` in `dtype` (Keras's convert_to_tensor(value, dtype))."""
    return g.constant("number", np.asarray(value, dtype=np.dtype(dtype)))


def as_dtype(g: GraphBuilder, arg: Operand, dtype: str) -> str:
    """The graph value of an operand in `dtype`: a cast tensor, or the number as a constant."""
    return number(g, arg.number, dtype) if arg.is_number else cast(g, arg.value, arg.dtype, dtype)


def to_bool(g: GraphBuilder, arg: Operand) -> str:
    """tf.cast(x, "bool"): nonzero is True."""
    return number(g, bool(arg.number), "bool") if arg.is_number else cast(g, arg.value, arg.dtype, "bool")


# ---------------------------------------------------------------- kernels


def kernel(ctx: Ctx, op: str, inputs: Sequence[str], dtype: str, *, same: bool = True,
           typed_inputs: Optional[Sequence[int]] = None, **attrs) -> str:
    """An `op` node on `inputs` (those at `typed_inputs`, default all, hold `dtype`). Without an onnxruntime kernel
    for `dtype`, they are cast to a wider int and, when the result has their dtype (`same`), it is cast back."""
    g = ctx.g
    if dtype in KERNELS.get(op, (dtype,)):
        return g.node(op, list(inputs), **attrs)
    wide = WIDER.get(dtype)
    if wide is None or wide not in KERNELS[op]:
        raise ctx.fail(f"onnxruntime has no {dtype} kernel for {op}, and no wider dtype holds {dtype} exactly")
    positions = range(len(inputs)) if typed_inputs is None else typed_inputs
    widened = [cast(g, x, dtype, wide) if i in positions and x else x for i, x in enumerate(inputs)]
    y = g.node(op, widened, **attrs)
    return cast(g, y, wide, dtype) if same else y


def axes_of(axis, rank: int) -> list[int]:
    """An axis argument (an int or a list, batch counted, negative from the end) as sorted non-negative axes."""
    given = [axis] if isinstance(axis, int) else list(axis)
    return sorted(a + rank if a < 0 else a for a in given)
