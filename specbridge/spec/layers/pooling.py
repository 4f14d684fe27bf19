"""Pooling layers: windowed max/average and global pooling."""


from typing import ClassVar, Literal, Optional

from pydantic import Field, field_validator

from ..base import DataFormat, IntOrTuple, Layer, PaddingMode
from .conv import check_per_axis


class Pooling(Layer):
    """Max/AveragePooling{1,2,3}D. `strides=None` means strides = pool_size (Keras)."""

    FAMILY: ClassVar[str] = "pooling"
    RANK: ClassVar[int]
    DATA_FORMAT: ClassVar[bool] = True
    MODE: ClassVar[str]

    pool_size: IntOrTuple = 2
    strides: Optional[IntOrTuple] = Field(None, description="null: the pool size.")
    padding: PaddingMode = "valid"
    data_format: Optional[DataFormat] = None

    _per_axis = field_validator("pool_size", "strides")(check_per_axis)

    @field_validator("padding")
    @classmethod
    def _no_causal(cls, value):
        """`causal` is Conv1D's only: pooling takes `valid` or `same`."""
        # Explicit integer padding is not accepted either: Keras pooling has no such argument, and
        # PyTorch pads pools with -inf / counts the pads in averages, which differs from 'same'.
        if value == "causal":
            raise ValueError("padding 'causal' is only valid for Conv1D; pooling takes 'valid' or 'same'")
        return value


class MaxPooling1D(Pooling):
    RANK, MODE = 1, "max"
    type: Literal["MaxPooling1D", "MaxPool1D"]


class MaxPooling2D(Pooling):
    RANK, MODE = 2, "max"
    type: Literal["MaxPooling2D", "MaxPool2D"]


class MaxPooling3D(Pooling):
    RANK, MODE = 3, "max"
    type: Literal["MaxPooling3D", "MaxPool3D"]


class AveragePooling1D(Pooling):
    RANK, MODE, FLOAT_INPUT = 1, "average", True
    type: Literal["AveragePooling1D", "AvgPool1D"]
    pool_size: IntOrTuple  # required: Keras 3's AveragePooling has no default (MaxPooling's is 2)


class AveragePooling2D(Pooling):
    RANK, MODE, FLOAT_INPUT = 2, "average", True
    type: Literal["AveragePooling2D", "AvgPool2D"]
    pool_size: IntOrTuple  # required: Keras 3's AveragePooling has no default (MaxPooling's is 2)


class AveragePooling3D(Pooling):
    RANK, MODE, FLOAT_INPUT = 3, "average", True
    type: Literal["AveragePooling3D", "AvgPool3D"]
    pool_size: IntOrTuple  # required: Keras 3's AveragePooling has no default (MaxPooling's is 2)


class GlobalPooling(Layer):
    FAMILY: ClassVar[str] = "pooling"
    RANK: ClassVar[int]
    DATA_FORMAT: ClassVar[bool] = True
    MODE: ClassVar[str]

    data_format: Optional[DataFormat] = None
    keepdims: bool = False


class GlobalMaxPooling1D(GlobalPooling):
    RANK, MODE = 1, "max"
    type: Literal["GlobalMaxPooling1D", "GlobalMaxPool1D"]


class GlobalMaxPooling2D(GlobalPooling):
    RANK, MODE = 2, "max"
    type: Literal["GlobalMaxPooling2D", "GlobalMaxPool2D"]


class GlobalMaxPooling3D(GlobalPooling):
    RANK, MODE = 3, "max"
    type: Literal["GlobalMaxPooling3D", "GlobalMaxPool3D"]


class GlobalAveragePooling1D(GlobalPooling):
    MASKING: ClassVar[str] = "reads"
    RANK, MODE, FLOAT_INPUT = 1, "average", True
    type: Literal["GlobalAveragePooling1D", "GlobalAvgPool1D"]


class GlobalAveragePooling2D(GlobalPooling):
    RANK, MODE, FLOAT_INPUT = 2, "average", True
    type: Literal["GlobalAveragePooling2D", "GlobalAvgPool2D"]


class GlobalAveragePooling3D(GlobalPooling):
    RANK, MODE, FLOAT_INPUT = 3, "average", True
    type: Literal["GlobalAveragePooling3D", "GlobalAvgPool3D"]


LAYERS = (
    MaxPooling1D, MaxPooling2D, MaxPooling3D, AveragePooling1D, AveragePooling2D, AveragePooling3D,
    GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D,
    GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D,
)
