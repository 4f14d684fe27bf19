"""ONNX emitters of spec/layers/ops.py, the keras.ops calls: element-wise arithmetic and comparisons, where, cast,
the math functions, reductions and softmax. The shaping ops (matmul, einsum, reshape, get_item, ...) are in
ops_shaping.py, the dtypes in ops_types.py.

Each op computes as Keras 3.15's TensorFlow backend does (keras/src/backend/tensorflow/numpy.py): its operands
cast to Keras's result dtype first (a number becomes a constant of that dtype), NumPy broadcasting (ONNX's), and
Keras's own formulas where TensorFlow's op differs from ONNX's: clip is min(max bound) then max(min bound), as
tf.clip_by_value; argmax of floats counts -0.0 as below 0.0 (Keras's flush-to-zero fix); the mean of an int
tensor is a float32 sum / count even in a float64 model; square of a bool tensor is an int32 tensor. Values cross
layer boundaries in Keras's layout, so an op needs no layout of its own (channels-first model inputs are
transposed to it once, assemble.py).

An op Keras's TensorFlow backend cannot compute is refused (NotExpressible): arithmetic on bool tensors, ordering
comparisons of bools, rsqrt, erf, softmax and log_softmax of int tensors, clip of an int tensor to float bounds,
an int tensor to a negative int power.
"""

from __future__ import annotations

import numpy as np

from ...spec.layers import ops as O
from .ops_types import (
    INT32,
    as_dtype,
    axes_of,
    cast,
    float_dtype,
    is_float,
    kernel,
    number,
    operands,
    result_type,
    tensors,
    to_bool,
    typed,
)
from .stage import Ctx, emitter

ARITHMETIC = {O.Add: "Add", O.Subtract: "Sub", O.Multiply: "Mul", O.Divide: "Div", O.Power: "Pow",
              O.Maximum: "Max", O.Minimum: "Min"}
COMPARISONS = {O.Equal: "Equal", O.NotEqual: "Equal", O.Less: "Less", O.LessEqual: "LessOrEqual",
               O.Greater: "Greater", O.GreaterEqual: "GreaterOrEqual"}
FLOAT_FUNCTIONS = {O.Exp: "Exp", O.Log: "Log", O.Sqrt: "Sqrt", O.Tanh: "Tanh", O.Erf: "Erf", O.Rsqrt: "Sqrt"}
NO_INT_KERNEL = (O.Rsqrt, O.Erf)  # tf.math.rsqrt and tf.math.erf take floats only; Keras does not cast for them
REDUCTIONS = {O.Sum: "ReduceSum", O.Max: "ReduceMax", O.Min: "ReduceMin"}
SUM_DTYPE = {"bool": INT32, "int8": INT32, "int16": INT32, "uint8": "uint32", "uint16": "uint32"}  # Keras's sum


def _a(dtype: str) -> str:
    """'an int32 tensor', 'a bool tensor'."""
    return f"{'an' if dtype.startswith('int') else 'a'} {dtype} tensor"


def _refuse(ctx: Ctx, layer, what: str):
    return ctx.fail(f"Keras 3.15's TensorFlow backend cannot compute ops.{layer.function()} {what} (TensorFlow "
                    "has no kernel for it), so there is no result to reproduce")


@emitter(*ARITHMETIC)
def emit_arithmetic(layer, ctx: Ctx) -> str:
    args = operands(layer, ctx)
    dtype = result_type(ctx.g, args, floating=isinstance(layer, O.Divide))
    if dtype == "bool":
        raise _refuse(ctx, layer, "on bool tensors")
    if isinstance(layer, O.Power) and not is_float(dtype) and args[1].is_number and args[1].number < 0:
        raise _refuse(ctx, layer, f"of {_a(dtype)} to a negative int power ({args[1].number})")
    values = [as_dtype(ctx.g, a, dtype) for a in args]
    return typed(ctx.g, kernel(ctx, ARITHMETIC[type(layer)], values, dtype), dtype)


@emitter(*COMPARISONS)
def emit_comparison(layer, ctx: Ctx) -> str:
    args = operands(layer, ctx)
    dtype = result_type(ctx.g, args)
    if dtype == "bool" and not isinstance(layer, (O.Equal, O.NotEqual)):
        raise _refuse(ctx, layer, "of two bool tensors")
    values = [as_dtype(ctx.g, a, dtype) for a in args]
    y = kernel(ctx, COMPARISONS[type(layer)], values, dtype, same=False)
    return typed(ctx.g, ctx.g.node("Not", [y]) if isinstance(layer, O.NotEqual) else y, "bool")


@emitter(O.Where)
def emit_where(layer, ctx: Ctx) -> str:
    """The condition cast to bool (nonzero is True), x1 and x2 to their result dtype."""
    condition, *values = operands(layer, ctx)
    dtype = result_type(ctx.g, values)
    chosen = [as_dtype(ctx.g, v, dtype) for v in values]
    y = kernel(ctx, "Where", [to_bool(ctx.g, condition), *chosen], dtype, typed_inputs=(1, 2))
    return typed(ctx.g, y, dtype)


@emitter(O.Cast)
def emit_cast(layer: O.Cast, ctx: Ctx) -> str:
    """A float result is held in the model's float dtype; a narrower float (float16, bfloat16, float32 in a float64
    model) is rounded to it first, as Keras holds it."""
    (x,) = tensors(layer, ctx)
    g, want = ctx.g, layer.dtype
    if not is_float(want):
        return typed(g, cast(g, x.value, x.dtype, want), want)
    model = float_dtype(g)
    y = cast(g, x.value, x.dtype, model)
    if want != model and not (want == "float64" and model == "float32"):
        y = cast(g, cast(g, y, model, want), want, model)
    return typed(g, y, model)


@emitter(*FLOAT_FUNCTIONS)
def emit_float_function(layer, ctx: Ctx) -> str:
    """exp, log, sqrt, tanh of an int or bool tensor cast it to the model's float first (floatx), as Keras does;
    rsqrt is 1 / sqrt."""
    (x,) = tensors(layer, ctx)
    g, model = ctx.g, float_dtype(ctx.g)
    if not is_float(x.dtype) and isinstance(layer, NO_INT_KERNEL):
        raise _refuse(ctx, layer, f"of {_a(x.dtype)}")
    y = g.node(FLOAT_FUNCTIONS[type(layer)], [cast(g, x.value, x.dtype, model)])
    if isinstance(layer, O.Rsqrt):
        y = g.node("Div", [number(g, 1.0, model), y])
    return typed(g, y, model)


@emitter(O.Abs, O.Negative, O.Square)
def emit_sign_function(layer, ctx: Ctx) -> str:
    """abs of a bool or unsigned tensor is the tensor itself; square is x * x (of an int32 cast of a bool)."""
    (x,) = tensors(layer, ctx)
    g, dtype = ctx.g, x.dtype
    unsigned = dtype == "bool" or dtype.startswith("uint")
    if isinstance(layer, O.Abs):
        return typed(g, x.value if unsigned else kernel(ctx, "Abs", [x.value], dtype), dtype)
    if isinstance(layer, O.Negative):
        if unsigned:
            raise _refuse(ctx, layer, f"of {_a(dtype)}")
        return typed(g, kernel(ctx, "Neg", [x.value], dtype), dtype)
    if dtype == "bool":
        dtype = INT32
    value = cast(g, x.value, x.dtype, dtype)
    return typed(g, kernel(ctx, "Mul", [value, value], dtype), dtype)


@emitter(O.Clip)
def emit_clip(layer: O.Clip, ctx: Ctx) -> str:
    """tf.clip_by_value: maximum(minimum(x, x_max), x_min) (x_min wins when x_min > x_max); a bool tensor is
    clipped as int32, and the bounds take the tensor's dtype."""
    (x,) = tensors(layer, ctx)
    g = ctx.g
    dtype = INT32 if x.dtype == "bool" else x.dtype
    bounds = (layer.x_min, layer.x_max)
    if not is_float(dtype) and any(isinstance(b, float) for b in bounds):
        raise _refuse(ctx, layer, f"of {_a(dtype)} to float bounds {list(bounds)} (a TypeError: a float does not "
                      f"convert to {_a(dtype)})")
    low, high = (number(g, b, dtype) for b in bounds)
    below = kernel(ctx, "Min", [cast(g, x.value, x.dtype, dtype), high], dtype)
    return typed(g, kernel(ctx, "Max", [below, low], dtype), dtype)


# ---------------------------------------------------------------- reductions


@emitter(*REDUCTIONS)
def emit_reduction(layer, ctx: Ctx) -> str:
    """Sum of a bool, int8 or int16 tensor is int32 (uint8: uint32), as Keras casts it first; max and min of a
    bool tensor are any and all."""
    (x,) = tensors(layer, ctx)
    g = ctx.g
    dtype = SUM_DTYPE.get(x.dtype, x.dtype) if isinstance(layer, O.Sum) else x.dtype
    axes = g.ints("axes", axes_of(layer.axis, ctx.rank))
    y = kernel(ctx, REDUCTIONS[type(layer)], [cast(g, x.value, x.dtype, dtype), axes], dtype,
               typed_inputs=(0,), keepdims=int(layer.keepdims))
    return typed(g, y, dtype)


@emitter(O.Mean)
def emit_mean(layer: O.Mean, ctx: Ctx) -> str:
    """ReduceMean (onnxruntime's, like TensorFlow's, divides the sum by the count). The mean of an int or bool tensor
    is computed in float32, Keras's result_type(x, float32), whatever the model's float dtype."""
    (x,) = tensors(layer, ctx)
    g, model = ctx.g, float_dtype(ctx.g)
    compute = x.dtype if is_float(x.dtype) else "float32"
    axes = g.ints("axes", axes_of(layer.axis, ctx.rank))
    y = g.node("ReduceMean", [cast(g, x.value, x.dtype, compute), axes], keepdims=int(layer.keepdims))
    return typed(g, cast(g, y, compute, model), model)


@emitter(O.Argmax)
def emit_argmax(layer: O.Argmax, ctx: Ctx) -> str:
    """The first index of the maximum, int32. Keras replaces -0.0 by -tiny in a float tensor first, so that 0.0
    beats -0.0 (x == 0 with 1 / x < 0 is -0.0)."""
    (x,) = tensors(layer, ctx)
    g, value, dtype = ctx.g, x.value, x.dtype
    if is_float(dtype):
        zero = number(g, 0.0, dtype)
        negative_zero = g.node("And", [g.node("Equal", [value, zero]),
                                       g.node("Less", [g.node("Div", [number(g, 1.0, dtype), value]), zero])])
        value = g.node("Where", [negative_zero, number(g, -np.finfo(dtype).tiny, dtype), value])
    elif dtype == "bool":
        value, dtype = cast(g, value, dtype, INT32), INT32
    (axis,) = axes_of(layer.axis, ctx.rank)
    y = kernel(ctx, "ArgMax", [value], dtype, same=False, axis=axis, keepdims=int(layer.keepdims))
    return typed(g, cast(g, y, "int64", INT32), INT32)


@emitter(O.Softmax, O.LogSoftmax)
def emit_softmax(layer, ctx: Ctx) -> str:
    """ONNX's Softmax / LogSoftmax over one axis; over several, exp(x - max) / sum (log: x - max - log(sum)), the
    normalization Keras's eager ops.softmax applies to the axes flattened into one."""
    (x,) = tensors(layer, ctx)
    g = ctx.g
    if not is_float(x.dtype):
        raise _refuse(ctx, layer, f"of {_a(x.dtype)}")
    axes = axes_of(layer.axis, ctx.rank)
    log = isinstance(layer, O.LogSoftmax)
    if len(axes) == 1:
        return typed(g, g.node("LogSoftmax" if log else "Softmax", [x.value], axis=axes[0]), x.dtype)
    over = g.ints("axes", axes)
    shifted = g.node("Sub", [x.value, g.node("ReduceMax", [x.value, over], keepdims=1)])
    exp = g.node("Exp", [shifted])
    total = g.node("ReduceSum", [exp, over], keepdims=1)
    y = g.node("Sub", [shifted, g.node("Log", [total])]) if log else g.node("Div", [exp, total])
    return typed(g, y, x.dtype)


from . import ops_shaping  # noqa: E402, F401  (registers the shaping ops' emitters with this family)
