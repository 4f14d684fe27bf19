"""The dtypes of tensor operations in an emitted PyTorch model (ops.py): what Keras 3 (TensorFlow backend) computes
when the model runs, and what a PyTorch expression gives, so that ops.py casts exactly where the two differ.

Keras promotes as JAX does (keras/src/backend/common/dtypes.py). Among tensors of the spec's dtypes that is PyTorch's
promotion too: a float tensor wins, two int dtypes give the narrowest one holding both (uint8 with int8: int16),
float16 with bfloat16 gives float32. They differ on Python numbers: an int tensor with a Python float is float32 in
both (Keras's floatx when the model runs, torch's default dtype), but a bool tensor with a Python int is int32 in
Keras and int64 in torch, and numbers alone (ops.where(c, 1, 0)) are int32 in Keras, int64 in torch. Some kernels
widen too (keras/src/backend/tensorflow/numpy.py): a sum of bools or int8 is int32, of uint8 uint32; an int8 matmul
or einsum accumulates into int32; ops.square of bools and ops.clip of bools are int32; argmax is int32.

Floats are whatever float the tensors hold (float32, or float64 when the model and its inputs are): ops.py never
casts one float to another, so a float64 model stays float64 (the spec's float32 is then float64 throughout).
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import Optional

from ...spec.call import output_reference
from ...spec.layers import ops as O

FLOATS = ("float16", "bfloat16", "float32", "float64")
DEFAULT_FLOAT = "float32"  # Keras's floatx when a model runs, and torch's default dtype
BOOL, INT, FLOAT = 0, 1, 2  # the kinds, in promotion order
# Keras's sum widens narrow ints (jax's rule); PyTorch's gives int64 for every int.
SUM_DTYPES = {"bool": "int32", "int8": "int32", "int16": "int32", "uint8": "uint32", "uint16": "uint32"}


def is_float(dtype: str) -> bool:
    return dtype in FLOATS


def kind(value) -> int:
    """BOOL, INT or FLOAT of a dtype name or a Python number."""
    if isinstance(value, str):
        return FLOAT if value in FLOATS else BOOL if value == "bool" else INT
    return BOOL if isinstance(value, bool) else INT if isinstance(value, int) else FLOAT


def tensor_promote(dtypes: Sequence[str]) -> Optional[str]:
    """The dtype of tensors of these dtypes combined (Keras and torch agree); None for no tensor."""
    floats = [d for d in dtypes if d in FLOATS]
    if floats:
        if "float64" in floats:
            return "float64"
        return "float32" if "float32" in floats or len(set(floats)) > 1 else floats[0]
    ints = [d for d in dtypes if d != "bool"]
    if not ints:
        return "bool" if dtypes else None
    signed = [_bits(d) for d in ints if not d.startswith("u")]
    unsigned = [_bits(d) for d in ints if d.startswith("u")]
    if not signed:
        return f"uint{max(unsigned)}"
    return f"int{min(max(signed + [2 * u for u in unsigned]), 64)}"


def _bits(dtype: str) -> int:
    return int("".join(ch for ch in dtype if ch.isdigit()))


def keras_promote(dtypes: Sequence[str], numbers: Sequence = (), floating: bool = False) -> str:
    """Keras's result dtype (dtypes.result_type) of tensors and Python numbers; `floating`: a true division."""
    return _promote(dtypes, numbers, FLOAT if floating else BOOL, python_int="int32")


def torch_promote(dtypes: Sequence[str], numbers: Sequence = ()) -> str:
    """PyTorch's result dtype of tensors and Python numbers (torch.result_type)."""
    return _promote(dtypes, numbers, BOOL, python_int="int64")


def _promote(dtypes: Sequence[str], numbers: Sequence, least: int, python_int: str) -> str:
    tensors = tensor_promote(dtypes)
    wanted = max([least, *(kind(n) for n in numbers)])
    if tensors is not None and kind(tensors) >= wanted:
        return tensors
    return DEFAULT_FLOAT if wanted == FLOAT else python_int if wanted == INT else "bool"


def keras_result(layer: O.Op, dtypes: list[str]) -> str:
    """The dtype Keras computes for an op on tensors of `dtypes` (call order), numbers as the spec gives them."""
    numbers = list(layer.constants().values())
    x = dtypes[0] if dtypes else "bool"
    if getattr(layer, "COMPARISON", False):
        return "bool"
    if isinstance(layer, O.Where):
        return keras_promote(dtypes[1:], numbers)
    if isinstance(layer, O.Binary):
        return keras_promote(dtypes, numbers, floating=isinstance(layer, O.Divide))
    if isinstance(layer, O.Cast):
        return layer.dtype
    if isinstance(layer, O.Clip):
        return keras_promote(["int32" if x == "bool" else x], [layer.x_min, layer.x_max])
    if isinstance(layer, O.Square):
        return "int32" if x == "bool" else x
    if layer.FLOAT_RESULT:  # exp, log, ..., mean, softmax: an int or bool tensor gives float32
        return x if is_float(x) else DEFAULT_FLOAT
    if isinstance(layer, O.Sum):
        return SUM_DTYPES.get(x, x)
    if isinstance(layer, O.Argmax):
        return "int32"
    if isinstance(layer, (O.Matmul, O.Einsum)) and set(dtypes) == {"int8"}:
        return "int32"
    return tensor_promote(dtypes) or x  # one tensor keeps its dtype; concatenate, stack, matmul promote


def plan_dtypes(plan, until: str) -> dict[str, str]:
    """The dtype of every tensor computed before step `until` (inputs, outputs, `LAYER.OUTPUT` extra outputs): the
    spec's for layers, Keras's for ops (keras_result), which is what the emitted ops compute."""
    dtypes = {i.name: i.dtype for i in plan.inputs}
    for step in plan.steps:
        if step.name == until:
            break
        record = step.record
        if step.layer.FAMILY == "ops":
            out = keras_result(step.layer, step.layer.bind([dtypes[n] for n in step.inputs])[0])
            outs = [out] * (1 + len(record.extra_names))  # split's parts have their input's dtype
        else:
            outs = [record.output.dtype, *(t.dtype for t in record.extra_outputs)]
        names = [step.name, *(output_reference(step.name, n) for n in record.extra_names)]
        dtypes.update(zip(names, outs, strict=True))
    return dtypes


def cast(expr: str, have: str, want: str) -> str:
    """`expr` (of dtype `have` in torch) in Keras's dtype `want`; never from one float to another (see above)."""
    if have == want or (is_float(have) and is_float(want)):
        return expr
    return f"{atom(expr)}.to(torch.{want})"


def atom(expr: str) -> str:
    """`expr` as an operand of `.method()` or an operator: parenthesized unless it is a name, call, attribute,
    subscript or non-negative number already."""
    node = ast.parse(expr, mode="eval").body
    if isinstance(node, (ast.Name, ast.Call, ast.Attribute, ast.Subscript)):
        return expr
    if isinstance(node, ast.Constant) and not str(expr).startswith("-"):
        return expr
    return f"({expr})"
