"""Tensor operations: the keras.ops calls of a functional model (`x + y`, `x[:, 0]`, `ops.matmul`), as spec nodes.

An op is written like a layer, its type `ops.<keras.ops function>` and its fields the function's arguments:
`{type: ops.matmul, inputs: [q, k]}`, `{type: ops.transpose, axes: [0, 2, 1]}`. Its tensors come from `inputs:`;
a binary op may take a number in place of one tensor (`{type: ops.add, x2: 3.0}` is `x + 3.0`). Axis arguments are
Keras's: they count the batch axis (axis 0), as keras.ops and torch functions do; an op that would mix or move the
batch axis is refused by its shape rule. The same node serves the Keras, PyTorch and ONNX emitters and the readers of
keras.ops and torch calls. Rules are Keras's, which are NumPy's.
"""

from typing import ClassVar, Literal, Optional, Union

from pydantic import Field, StrictBool, StrictFloat, StrictInt, field_validator

from ..base import Layer
from ..call import Call
from ..index_key import parse_key
from ..model import DType

Scalar = Union[StrictBool, StrictInt, StrictFloat]
Axes = Union[int, list[int]]
CONSTANT = "A number in place of this tensor (the op then reads one tensor fewer from `inputs`)."


class Op(Layer):
    FAMILY: ClassVar[str] = "ops"
    CALL: ClassVar[Call] = Call(tensors=("x",))
    # An op has no weights to freeze and no layer object to call again.
    KERAS_REFUSES: ClassVar[tuple[str, ...]] = ("trainable", "shares")
    REFUSED_BECAUSE: ClassVar[str] = ("an op has no weights to freeze and no layer object to call again (the "
                                      "keras.ops function raises TypeError on `trainable`)")
    # An integer input gives a float32 result (Keras casts it, as torch does): exp, mean, softmax, true division.
    FLOAT_RESULT: ClassVar[bool] = False
    # The keras.ops function (the type's name after "ops.") and the class its saved node has, in keras.src.ops.<module>.
    KERAS_CLASS: ClassVar[str]
    KERAS_MODULE: ClassVar[str] = "numpy"

    @classmethod
    def function(cls) -> str:
        """The keras.ops function name: `matmul` for ops.matmul."""
        return cls.type_names()[0].split(".", 1)[1]

    def constants(self) -> dict[str, Scalar]:
        """The tensor arguments given as numbers (`x2: 3.0`), by argument name."""
        return {name: getattr(self, name) for name in self.CALL.tensors
                if name in type(self).model_fields and getattr(self, name) is not None}


class Unary(Op):
    FLOAT_RESULT: ClassVar[bool] = True


class Exp(Unary):
    type: Literal["ops.exp"]
    KERAS_CLASS = "Exp"


class Log(Unary):
    type: Literal["ops.log"]
    KERAS_CLASS = "Log"


class Sqrt(Unary):
    type: Literal["ops.sqrt"]
    KERAS_CLASS = "Sqrt"


class Rsqrt(Unary):
    type: Literal["ops.rsqrt"]
    KERAS_CLASS, KERAS_MODULE = "Rsqrt", "math"


class Tanh(Unary):
    type: Literal["ops.tanh"]
    KERAS_CLASS = "Tanh"


class Erf(Unary):
    type: Literal["ops.erf"]
    KERAS_CLASS, KERAS_MODULE = "Erf", "math"


class Abs(Unary):
    type: Literal["ops.abs", "ops.absolute"]
    KERAS_CLASS, FLOAT_RESULT = "Absolute", False


class Square(Unary):
    type: Literal["ops.square"]
    KERAS_CLASS, FLOAT_RESULT = "Square", False


class Negative(Unary):
    type: Literal["ops.negative"]
    KERAS_CLASS, FLOAT_RESULT = "Negative", False


class Clip(Op):
    type: Literal["ops.clip"]
    KERAS_CLASS = "Clip"
    x_min: Scalar
    x_max: Scalar


class Binary(Op):
    """x1 <op> x2 with NumPy broadcasting; either side may be a number."""

    CALL: ClassVar[Call] = Call(tensors=("x1", "x2"), required=1)
    COMPARISON: ClassVar[bool] = False  # the result is bool
    x1: Optional[Scalar] = Field(None, description=CONSTANT)
    x2: Optional[Scalar] = Field(None, description=CONSTANT)


class Add(Binary):
    type: Literal["ops.add"]
    KERAS_CLASS = "Add"


class Subtract(Binary):
    type: Literal["ops.subtract"]
    KERAS_CLASS = "Subtract"


class Multiply(Binary):
    type: Literal["ops.multiply"]
    KERAS_CLASS = "Multiply"


class Divide(Binary):
    type: Literal["ops.divide", "ops.true_divide"]
    KERAS_CLASS, FLOAT_RESULT = "Divide", True


class Power(Binary):
    type: Literal["ops.power"]
    KERAS_CLASS = "Power"


class Maximum(Binary):
    type: Literal["ops.maximum"]
    KERAS_CLASS = "Maximum"


class Minimum(Binary):
    type: Literal["ops.minimum"]
    KERAS_CLASS = "Minimum"


class Equal(Binary):
    type: Literal["ops.equal"]
    KERAS_CLASS, COMPARISON = "Equal", True


class NotEqual(Binary):
    type: Literal["ops.not_equal"]
    KERAS_CLASS, COMPARISON = "NotEqual", True


class Less(Binary):
    type: Literal["ops.less"]
    KERAS_CLASS, COMPARISON = "Less", True


class LessEqual(Binary):
    type: Literal["ops.less_equal"]
    KERAS_CLASS, COMPARISON = "LessEqual", True


class Greater(Binary):
    type: Literal["ops.greater"]
    KERAS_CLASS, COMPARISON = "Greater", True


class GreaterEqual(Binary):
    type: Literal["ops.greater_equal"]
    KERAS_CLASS, COMPARISON = "GreaterEqual", True


class Where(Op):
    """condition ? x1 : x2, the three broadcast together; x1 and x2 may be numbers."""

    type: Literal["ops.where"]
    KERAS_CLASS = "Where"
    CALL: ClassVar[Call] = Call(tensors=("condition", "x1", "x2"), required=1)
    x1: Optional[Scalar] = Field(None, description=CONSTANT)
    x2: Optional[Scalar] = Field(None, description=CONSTANT)


class Cast(Op):
    type: Literal["ops.cast"]
    KERAS_CLASS, KERAS_MODULE = "Cast", "core"
    dtype: DType


class Matmul(Op):
    type: Literal["ops.matmul"]
    KERAS_CLASS = "Matmul"
    CALL: ClassVar[Call] = Call(tensors=("x1", "x2"), required=2)


class Einsum(Op):
    type: Literal["ops.einsum"]
    KERAS_CLASS = "Einsum"
    CALL: ClassVar[Call] = Call(tensors=("operands",), required=1, variadic=True)
    subscripts: str = Field(description="The einsum equation over the operands' full shapes, batch axis included "
                            "(`bqd,bkd->bqk`).")


class Transpose(Op):
    type: Literal["ops.transpose"]
    KERAS_CLASS = "Transpose"
    axes: Optional[list[int]] = Field(None, description="The new order of the axes, batch axis (0) first; null "
                                      "reverses them all, which moves the batch axis (refused).")


class Reshape(Op):
    type: Literal["ops.reshape"]
    KERAS_CLASS = "Reshape"
    newshape: list[int] = Field(description="The new shape, batch axis first (-1 or the batch size there; -1 at most "
                                "once elsewhere).")


class ExpandDims(Op):
    type: Literal["ops.expand_dims"]
    KERAS_CLASS = "ExpandDims"
    axis: Axes


class Squeeze(Op):
    type: Literal["ops.squeeze"]
    KERAS_CLASS = "Squeeze"
    axis: Optional[Axes] = None


class Concatenate(Op):
    type: Literal["ops.concatenate"]
    KERAS_CLASS = "Concatenate"
    CALL: ClassVar[Call] = Call(tensors=("xs",), required=1, variadic=True, as_list=True)
    axis: int = Field(0, description="Keras's default 0 is the batch axis (refused): give the axis.")


class Stack(Op):
    type: Literal["ops.stack"]
    KERAS_CLASS = "Stack"
    CALL: ClassVar[Call] = Call(tensors=("x",), required=1, variadic=True, as_list=True)
    axis: int = Field(0, description="Keras's default 0 is the batch axis (refused): give the axis.")


class Split(Op):
    """Parts of a tensor along an axis: the first is the op's output (`NAME`), the k-th `NAME.k` (counting from 0)."""

    type: Literal["ops.split"]
    KERAS_CLASS = "Split"
    indices_or_sections: Union[int, list[int]]
    axis: int = 0

    @classmethod
    def output_name_at(cls, index: int) -> Optional[str]:
        return "output" if index == 0 else str(index)

    def output_names(self) -> tuple[str, ...]:
        sections = self.indices_or_sections
        count = sections if isinstance(sections, int) else len(sections) + 1
        return ("output",) + tuple(str(k) for k in range(1, max(count, 1)))


class Repeat(Op):
    type: Literal["ops.repeat"]
    KERAS_CLASS = "Repeat"
    repeats: Union[int, list[int]]
    axis: Optional[int] = Field(None, description="null flattens the tensor first, batch axis included (refused).")


class Tile(Op):
    type: Literal["ops.tile"]
    KERAS_CLASS = "Tile"
    repeats: list[int] = Field(description="Repeats per axis, batch axis first (1 there).")


class GetItem(Op):
    type: Literal["ops.get_item"]
    KERAS_CLASS = "GetItem"
    key: str = Field(description="The index as Python writes it between the brackets, batch axis first: `:, -1, :`, "
                     "`..., 0`, `:, None, ::2`.")

    @field_validator("key")
    @classmethod
    def _parses(cls, value: str) -> str:
        """`key` is Python's indexing syntax: integers, slices of integers (start:stop:step), None and one '...',
        separated by commas."""
        parse_key(value)  # ValueError: a located schema error
        return value

    def items(self) -> tuple:
        return parse_key(self.key)


class Reduction(Op):
    axis: Optional[Axes] = Field(None, description="null reduces every axis, the batch axis too (refused).")
    keepdims: bool = False


class Mean(Reduction):
    type: Literal["ops.mean"]
    KERAS_CLASS, FLOAT_RESULT = "Mean", True


class Sum(Reduction):
    type: Literal["ops.sum"]
    KERAS_CLASS = "Sum"


class Max(Reduction):
    type: Literal["ops.max", "ops.amax"]
    KERAS_CLASS = "Max"


class Min(Reduction):
    type: Literal["ops.min", "ops.amin"]
    KERAS_CLASS = "Min"


class Argmax(Reduction):
    type: Literal["ops.argmax"]
    KERAS_CLASS = "Argmax"
    axis: Optional[int] = Field(None, description="null: the index in the flattened tensor, batch included (refused).")


class Softmax(Op):
    type: Literal["ops.softmax"]
    KERAS_CLASS, KERAS_MODULE, FLOAT_RESULT = "Softmax", "nn", True
    axis: Axes = -1

    def applies_softmax(self) -> bool:
        return True


class LogSoftmax(Op):
    type: Literal["ops.log_softmax"]
    KERAS_CLASS, KERAS_MODULE, FLOAT_RESULT = "LogSoftmax", "nn", True
    axis: Axes = -1


LAYERS = (
    Add, Subtract, Multiply, Divide, Power, Maximum, Minimum,
    Equal, NotEqual, Less, LessEqual, Greater, GreaterEqual, Where, Cast,
    Exp, Log, Sqrt, Rsqrt, Tanh, Erf, Abs, Square, Negative, Clip,
    Matmul, Einsum, Transpose, Reshape, ExpandDims, Squeeze, Concatenate, Stack, Split, Repeat, Tile, GetItem,
    Mean, Sum, Max, Min, Argmax, Softmax, LogSoftmax,
)
