"""Layers that merge several inputs."""

from typing import ClassVar, Literal, Union

from pydantic import Field

from ..base import Layer
from ..call import Call


class Merge(Layer):
    MASKING: ClassVar[str] = "keeps"
    FAMILY: ClassVar[str] = "merging"
    # Keras 3 calls a merge on a list of one tensor and returns it (the identity); only Subtract needs two.
    CALL: ClassVar[Call] = Call(required=1, variadic=True, as_list=True)
    OP: ClassVar[str]


class Concatenate(Merge):
    OP = "concatenate"
    type: Literal["Concatenate"]
    axis: int = -1


class Add(Merge):
    OP = "add"
    type: Literal["Add"]


class Subtract(Merge):
    OP, CALL = "subtract", Call(tensors=("first", "second"), required=2, as_list=True)
    type: Literal["Subtract"]


class Multiply(Merge):
    # Keras 3.15 computes the values from the inputs' masks (base_merge.py _apply_merge_op_and_or_mask,
    # multiply.py): a masked position never wins (Maximum, Minimum) or counts as 1 (Multiply).
    MASKING: ClassVar[str] = "reads"
    OP = "multiply"
    type: Literal["Multiply"]


class Average(Merge):
    OP = "average"
    type: Literal["Average"]


class Maximum(Merge):
    # Keras 3.15 computes the values from the inputs' masks (base_merge.py _apply_merge_op_and_or_mask,
    # multiply.py): a masked position never wins (Maximum, Minimum) or counts as 1 (Multiply).
    MASKING: ClassVar[str] = "reads"
    OP = "maximum"
    type: Literal["Maximum"]


class Minimum(Merge):
    # Keras 3.15 computes the values from the inputs' masks (base_merge.py _apply_merge_op_and_or_mask,
    # multiply.py): a masked position never wins (Maximum, Minimum) or counts as 1 (Multiply).
    MASKING: ClassVar[str] = "reads"
    OP = "minimum"
    type: Literal["Minimum"]


class Dot(Merge):
    """The dot product of two inputs along one axis of each (Keras's batch_dot): the first input's other axes, then
    the second's (batch excluded); a rank-1 result gets a size-1 axis, as Keras gives (batch, 1)."""

    OP, CALL = "dot", Call(tensors=("first", "second"), required=2, as_list=True)
    type: Literal["Dot"]
    axes: Union[int, tuple[int, int]] = Field(
        description="The axis (batch counted) of both inputs, or one per input; negative counts from the end.")
    normalize: bool = Field(False, description="L2-normalize both inputs along their axis first: cosine similarity.")

    def axis_pair(self, rank1: int, rank2: int) -> tuple[int, int]:
        """The axes as Keras's compute_output_shape takes them: an int made positive modulo each rank; a pair taken
        as it is (negative entries count from the end)."""
        if isinstance(self.axes, int):
            return (self.axes % rank1, self.axes % rank2) if self.axes < 0 else (self.axes, self.axes)
        return self.axes


LAYERS = (Concatenate, Add, Subtract, Multiply, Average, Maximum, Minimum, Dot)
