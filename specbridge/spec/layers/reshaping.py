"""Layers that move, pad, crop, repeat or reshape data without weights."""

from __future__ import annotations

from typing import ClassVar, Literal, Optional, Union

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from ..base import DataFormat, IntOrTuple, Layer

# An int, one entry per spatial axis, or one (before, after) pair per spatial axis.
PadSpec = Union[NonNegativeInt, list[Union[NonNegativeInt, list[NonNegativeInt]]]]


class _PerAxis(Layer):
    """ZeroPadding/Cropping: `FIELD` holds the amounts, with Keras's accepted nestings."""

    RANK: ClassVar[int]
    FIELD: ClassVar[str]

    data_format: Optional[DataFormat] = None

    @model_validator(mode="after")
    def _check_nesting(self):
        value = getattr(self, self.FIELD)
        if isinstance(value, int):
            return self
        if self.RANK == 1:
            ok = len(value) == 2 and all(isinstance(v, int) for v in value)
            expected = "an int or a pair [before, after]"
        else:
            ok = len(value) == self.RANK and (
                all(isinstance(v, int) for v in value)
                or all(isinstance(v, list) and len(v) == 2 for v in value)
            )
            expected = (
                f"an int, a list of {self.RANK} ints, or a list of {self.RANK} pairs [before, after]"
            )
        if not ok:
            raise ValueError(f"{self.FIELD} must be {expected}, got {value}")
        return self


class ZeroPadding1D(_PerAxis):
    RANK, FIELD = 1, "padding"
    type: Literal["ZeroPadding1D"]
    padding: PadSpec = 1


class ZeroPadding2D(_PerAxis):
    RANK, FIELD = 2, "padding"
    type: Literal["ZeroPadding2D"]
    padding: PadSpec = [1, 1]


class ZeroPadding3D(_PerAxis):
    RANK, FIELD = 3, "padding"
    type: Literal["ZeroPadding3D"]
    padding: PadSpec = [[1, 1], [1, 1], [1, 1]]


class Cropping1D(_PerAxis):
    RANK, FIELD = 1, "cropping"
    type: Literal["Cropping1D"]
    cropping: PadSpec = [1, 1]


class Cropping2D(_PerAxis):
    RANK, FIELD = 2, "cropping"
    type: Literal["Cropping2D"]
    cropping: PadSpec = [[0, 0], [0, 0]]


class Cropping3D(_PerAxis):
    RANK, FIELD = 3, "cropping"
    type: Literal["Cropping3D"]
    cropping: PadSpec = [[1, 1], [1, 1], [1, 1]]


class UpSampling(Layer):
    RANK: ClassVar[int]


class UpSampling1D(UpSampling):
    RANK = 1
    type: Literal["UpSampling1D"]
    size: PositiveInt = 2


class UpSampling2D(UpSampling):
    RANK = 2
    type: Literal["UpSampling2D"]
    size: IntOrTuple = [2, 2]
    data_format: Optional[DataFormat] = None
    interpolation: Literal["nearest", "bilinear"] = "nearest"


class UpSampling3D(UpSampling):
    RANK = 3
    type: Literal["UpSampling3D"]
    size: IntOrTuple = [2, 2, 2]
    data_format: Optional[DataFormat] = None


class Flatten(Layer):
    type: Literal["Flatten"]
    data_format: Optional[DataFormat] = None


class Reshape(Layer):
    type: Literal["Reshape"]
    target_shape: list[int] = Field(description="New shape without the batch axis; one entry may be -1.")

    @model_validator(mode="after")
    def _check(self):
        if self.target_shape.count(-1) > 1:
            raise ValueError(f"target_shape may contain at most one -1, got {self.target_shape}")
        bad = [d for d in self.target_shape if d == 0 or d < -1]
        if bad:
            raise ValueError(f"target_shape entries must be positive or -1, got {self.target_shape}")
        return self


class Permute(Layer):
    type: Literal["Permute"]
    dims: list[PositiveInt] = Field(description="Permutation of the axes, 1-based, batch axis excluded.")

    @model_validator(mode="after")
    def _check(self):
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(
                f"dims must be a permutation of 1..{len(self.dims)} (1-based, batch excluded), got {self.dims}"
            )
        return self


class RepeatVector(Layer):
    type: Literal["RepeatVector"]
    n: PositiveInt


LAYERS = (
    ZeroPadding1D, ZeroPadding2D, ZeroPadding3D, Cropping1D, Cropping2D, Cropping3D,
    UpSampling1D, UpSampling2D, UpSampling3D, Flatten, Reshape, Permute, RepeatVector,
)
