"""Layers that merge several inputs."""

from typing import ClassVar, Literal

from ..base import Layer
from ..call import Call


class Merge(Layer):
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
    OP = "multiply"
    type: Literal["Multiply"]


class Average(Merge):
    OP = "average"
    type: Literal["Average"]


class Maximum(Merge):
    OP = "maximum"
    type: Literal["Maximum"]


class Minimum(Merge):
    OP = "minimum"
    type: Literal["Minimum"]


LAYERS = (Concatenate, Add, Subtract, Multiply, Average, Maximum, Minimum)
