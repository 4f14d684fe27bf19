"""Result dtypes of tensor operations, and the dtypes an op refuses, as Keras 3 (TensorFlow backend) computes them.

Keras promotes as JAX does (keras/src/backend/common/dtypes.py): a float tensor wins (float16 with bfloat16 is
float32); a Python float makes an integer result float32; a Python int or bool takes the tensor's dtype (a bool
result becomes int32 with an int); two integer dtypes give the narrowest one holding both (uint8 with int8 is
int16, as NumPy). Some ops widen further: sums of small integers are int32 (uint32 unsigned), squares and clips of
bools int32, matmul and einsum of int8 int32 (int16 and uint8 stay). Measured in tests/shapes/test_ops.py and
tests/emit/onnx_emitter/test_ops.py.
"""

from __future__ import annotations

from ...diagnostics import codes
from ..errors import ShapeError

FLOATS = ("float16", "bfloat16", "float32", "float64")


def _bits(dtype: str) -> int:
    return int("".join(ch for ch in dtype if ch.isdigit()))


def promoted(dtypes: list[str], constants: list, float_result: bool = False) -> str:
    """Keras's result dtype of tensors of `dtypes` and Python numbers `constants`; `float_result`: an op whose
    result is float whatever its inputs (true division, mean, exp)."""
    floats = set(dtypes) & set(FLOATS)
    if floats:
        for wide in ("float64", "float32"):
            if wide in floats:
                return wide
        return floats.pop() if len(floats) == 1 else "float32"
    if float_result or any(isinstance(c, float) for c in constants):
        return "float32"
    ints = [d for d in dtypes if d != "bool"]
    if not ints:
        return "int32" if any(isinstance(c, int) and not isinstance(c, bool) for c in constants) else "bool"
    signed = [_bits(d) for d in ints if d.startswith("int")]
    unsigned = [_bits(d) for d in ints if d.startswith("uint")]
    if not signed:
        return f"uint{max(unsigned)}"
    if not unsigned or max(signed) > max(unsigned):
        return f"int{max(signed)}"
    return f"int{min(2 * max(unsigned), 64)}"


def widened(kind: str, dtype: str) -> str:
    """The dtype of a sum, square, clip, matmul or einsum result where Keras widens small integers and bools."""
    if kind == "sum" and dtype in ("bool", "int8", "int16"):
        return "int32"
    if kind == "sum" and dtype in ("uint8", "uint16"):
        return "uint32"
    if kind in ("square", "clip") and dtype == "bool":
        return "int32"
    if kind in ("matmul", "einsum") and dtype == "int8":
        return "int32"
    return dtype


def refuse_dtype(layer, dtype: str, why: str) -> None:
    """SB212: Keras builds the op but fails when it runs on this dtype."""
    raise ShapeError(
        codes.FLOAT_INPUT,
        f"{layer.kind} on {dtype}: {why}; Keras builds the model but the op fails when it runs",
        hint="cast the input first (ops.cast), e.g. to float32",
    )


def check_operands(layer, dtypes: list[str], constants: list) -> None:
    """What Keras cannot compute on these dtypes (measured): arithmetic, max/min and orderings of two bools;
    negation of bool and uint8; an integer to a negative integer power; einsum of bools; clipping integers to
    float bounds."""
    function = layer.function()
    if dtypes and all(d == "bool" for d in dtypes) and not any(isinstance(c, (int, float)) and not isinstance(c, bool)
                                                               for c in constants):
        if function in ("add", "subtract", "multiply", "power", "maximum", "minimum", "less",
                        "less_equal", "greater", "greater_equal", "einsum", "negative"):
            refuse_dtype(layer, "bool", f"TensorFlow has no {function} kernel for bool tensors")
    if function == "negative" and dtypes[0] == "uint8":
        refuse_dtype(layer, "uint8", "TensorFlow has no negation kernel for uint8")
    if function == "power" and dtypes and dtypes[0] not in FLOATS and any(
            isinstance(c, int) and not isinstance(c, bool) and c < 0 for c in constants):
        refuse_dtype(layer, dtypes[0], "an integer to a negative integer power is not an integer")
    if function == "clip" and dtypes[0] not in FLOATS and any(isinstance(c, float) for c in constants):
        refuse_dtype(layer, dtypes[0], "clipping an integer tensor to float bounds mixes dtypes TensorFlow refuses")
    if function == "clip" and dtypes[0] in ("int8", "uint8", "int16") and any(isinstance(c, bool) for c in constants):
        refuse_dtype(layer, dtypes[0], "clipping a small integer tensor to bool bounds mixes dtypes TensorFlow refuses")


def float_only(layer, dtype: str) -> None:
    """rsqrt, erf, softmax and log_softmax need a float tensor (Keras does not cast integers for them)."""
    if dtype not in FLOATS:
        refuse_dtype(layer, dtype, f"{layer.function()} needs a float tensor (Keras does not cast it)")
