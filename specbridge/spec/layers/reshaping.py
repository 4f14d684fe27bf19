"""Layers that move, pad, crop, repeat or reshape data without weights."""


from typing import ClassVar, Literal, Optional, Union

from pydantic import Field, NonNegativeInt, PositiveInt, ValidationInfo, field_validator

from ..base import DataFormat, IntOrTuple, Layer
from .conv import check_per_axis

# An int, one entry per spatial axis, or one (before, after) pair per spatial axis.
PadSpec = Union[NonNegativeInt, list[Union[NonNegativeInt, list[NonNegativeInt]]]]


class ReshapingLayer(Layer):
    FAMILY: ClassVar[str] = "reshaping"


class _PerAxis(ReshapingLayer):
    """ZeroPadding/Cropping: `FIELD` holds the amounts, with Keras's accepted nestings."""

    RANK: ClassVar[int]
    DATA_FORMAT: ClassVar[bool] = True
    FIELD: ClassVar[str]

    @field_validator("padding", "cropping", check_fields=False)
    @classmethod
    def _check_nesting(cls, value, info: ValidationInfo):
        """An int (the same on every side); in 1D a [before, after] pair; in 2D and 3D one entry per spatial axis,
        each an int or a [before, after] pair."""
        if isinstance(value, int):
            return value
        if cls.RANK == 1:
            ok = len(value) == 2 and all(isinstance(v, int) for v in value)
            expected = "an int or a pair [before, after]"
        else:
            # Keras standardizes each axis separately, so ints and pairs may be mixed.
            ok = len(value) == cls.RANK and all(isinstance(v, int) or len(v) == 2 for v in value)
            expected = (
                f"an int, a list of {cls.RANK} ints (symmetric per axis), "
                f"or a list of {cls.RANK} pairs [before, after]"
            )
        if not ok:
            raise ValueError(f"{info.field_name} must be {expected}, got {value}")
        return value


class ZeroPadding1D(_PerAxis):
    RANK, FIELD = 1, "padding"
    type: Literal["ZeroPadding1D"]
    padding: PadSpec = 1
    data_format: Optional[DataFormat] = None


class ZeroPadding2D(_PerAxis):
    RANK, FIELD = 2, "padding"
    type: Literal["ZeroPadding2D"]
    padding: PadSpec = [1, 1]
    data_format: Optional[DataFormat] = None


class ZeroPadding3D(_PerAxis):
    RANK, FIELD = 3, "padding"
    type: Literal["ZeroPadding3D"]
    padding: PadSpec = [[1, 1], [1, 1], [1, 1]]
    data_format: Optional[DataFormat] = None


class Cropping1D(_PerAxis):
    RANK, FIELD = 1, "cropping"
    DATA_FORMAT = False  # Keras's Cropping1D always reads (batch, steps, features)
    type: Literal["Cropping1D"]
    cropping: PadSpec = [1, 1]


class Cropping2D(_PerAxis):
    RANK, FIELD = 2, "cropping"
    type: Literal["Cropping2D"]
    cropping: PadSpec = [[0, 0], [0, 0]]
    data_format: Optional[DataFormat] = None


class Cropping3D(_PerAxis):
    RANK, FIELD = 3, "cropping"
    type: Literal["Cropping3D"]
    cropping: PadSpec = [[1, 1], [1, 1], [1, 1]]
    data_format: Optional[DataFormat] = None


class UpSampling(ReshapingLayer):
    RANK: ClassVar[int]
    DATA_FORMAT: ClassVar[bool] = True

    _per_axis = field_validator("size", check_fields=False)(check_per_axis)


class UpSampling1D(UpSampling):
    RANK = 1
    DATA_FORMAT = False  # Keras's UpSampling1D always reads (batch, steps, features)
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


class Flatten(ReshapingLayer):
    # Not DATA_FORMAT: Flatten's data_format='channels_first' moves channels last before flattening, which is
    # not what "this spec is channels_first" means; only an explicit argument asks for it.
    type: Literal["Flatten"]
    data_format: Optional[DataFormat] = None


class Reshape(ReshapingLayer):
    type: Literal["Reshape"]
    target_shape: list[int] = Field(description="New shape without the batch axis; one entry may be -1.")

    @field_validator("target_shape")
    @classmethod
    def _check(cls, value: list[int]):
        """Every entry positive, except at most one -1 (the size to infer)."""
        if value.count(-1) > 1:
            raise ValueError(f"target_shape may contain at most one -1 (the size to infer), got {value}")
        if any(d == 0 or d < -1 for d in value):
            raise ValueError(f"target_shape entries must be positive or -1, got {value}")
        return value


class Permute(ReshapingLayer):
    type: Literal["Permute"]
    dims: list[PositiveInt] = Field(description="Permutation of the axes, 1-based, batch axis excluded.")

    @field_validator("dims")
    @classmethod
    def _check(cls, value: list[int]):
        """A permutation of 1..n (1-based, the batch axis excluded)."""
        if sorted(value) != list(range(1, len(value) + 1)):
            raise ValueError(
                f"dims must be a permutation of 1..{len(value)} (1-based, batch axis excluded), got {value}"
            )
        return value


class RepeatVector(ReshapingLayer):
    type: Literal["RepeatVector"]
    n: PositiveInt


LAYERS = (
    ZeroPadding1D, ZeroPadding2D, ZeroPadding3D, Cropping1D, Cropping2D, Cropping3D,
    UpSampling1D, UpSampling2D, UpSampling3D, Flatten, Reshape, Permute, RepeatVector,
)
