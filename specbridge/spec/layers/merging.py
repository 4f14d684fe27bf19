"""Layers that merge several inputs."""

from typing import ClassVar, Literal

from ..base import Layer


class Merge(Layer):
    FAMILY: ClassVar[str] = "merging"
    # Keras 3 calls a merge on a list of one tensor and returns it (the identity); only Subtract needs two.
    INPUT_COUNT: ClassVar[tuple[int, int | None]] = (1, None)
    OP: ClassVar[str]


class Concatenate(Merge):
    OP = "concatenate"
    type: Literal["Concatenate"]
    axis: int = -1


class Add(Merge):
    OP = "add"
    type: Literal["Add"]


class Subtract(Merge):
    OP, INPUT_COUNT = "subtract", (2, 2)
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
