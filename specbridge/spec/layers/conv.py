"""Convolution layers (keras.layers Conv1D/2D/3D, transposed, depthwise, separable)."""


from typing import ClassVar, Literal, Optional

from pydantic import Field, NonNegativeInt, PositiveInt, ValidationInfo, field_validator

from ..base import Activation, DataFormat, IntOrTuple, Layer, Padding


def check_per_axis(cls, value, info: ValidationInfo):
    """A list argument needs one entry per spatial axis (Keras's standardize_tuple)."""
    if isinstance(value, list) and len(value) != cls.RANK:
        raise ValueError(
            f"{info.field_name} must be an int or a list of {cls.RANK} ints (one per spatial axis), "
            f"got {len(value)} values {value}"
        )
    return value


class ConvBase(Layer):
    """Arguments shared by every convolution; `RANK` is the number of spatial axes."""

    FAMILY: ClassVar[str] = "conv"
    FLOAT_INPUT: ClassVar[bool] = True
    RANK: ClassVar[int]
    DATA_FORMAT: ClassVar[bool] = True
    WEIGHTS: ClassVar[tuple[str, ...]] = ("kernel", "bias")
    ASSERTIONS: ClassVar[tuple[str, ...]] = ("in_channels",)

    kernel_size: IntOrTuple
    strides: IntOrTuple = 1
    padding: Padding = "valid"
    data_format: Optional[DataFormat] = None
    dilation_rate: IntOrTuple = 1
    activation: Activation = None
    use_bias: bool = True
    in_channels: Optional[PositiveInt] = Field(
        None, description="PyTorch-style assertion: the number of input channels this layer expects."
    )

    _per_axis = field_validator("kernel_size", "strides", "dilation_rate", "padding")(check_per_axis)


class Conv(ConvBase):
    filters: PositiveInt
    groups: PositiveInt = 1


class Conv1D(Conv):
    RANK: ClassVar[int] = 1
    type: Literal["Conv1D", "Convolution1D"]


class Conv2D(Conv):
    RANK: ClassVar[int] = 2
    type: Literal["Conv2D", "Convolution2D"]


class Conv3D(Conv):
    RANK: ClassVar[int] = 3
    type: Literal["Conv3D", "Convolution3D"]


class ConvTranspose(ConvBase):
    filters: PositiveInt
    # Each entry must be < the stride on its axis: checked with the input, by the shape rule.
    output_padding: Optional[NonNegativeInt | list[NonNegativeInt]] = Field(
        None, description="Padding of each output axis, less than its stride; null: Keras infers the output shape."
    )

    _output_padding_per_axis = field_validator("output_padding")(check_per_axis)


class Conv1DTranspose(ConvTranspose):
    RANK: ClassVar[int] = 1
    type: Literal["Conv1DTranspose", "Convolution1DTranspose"]


class Conv2DTranspose(ConvTranspose):
    RANK: ClassVar[int] = 2
    type: Literal["Conv2DTranspose", "Convolution2DTranspose"]


class Conv3DTranspose(ConvTranspose):
    RANK: ClassVar[int] = 3
    type: Literal["Conv3DTranspose", "Convolution3DTranspose"]


class SeparableConv(ConvBase):
    """Depthwise then pointwise: two kernels."""

    WEIGHTS: ClassVar[tuple[str, ...]] = ("depthwise_kernel", "pointwise_kernel", "bias")
    filters: PositiveInt
    depth_multiplier: PositiveInt = 1


class Depthwise(ConvBase):
    depth_multiplier: PositiveInt = 1


class DepthwiseConv2D(Depthwise):
    RANK: ClassVar[int] = 2
    type: Literal["DepthwiseConv2D"]


class DepthwiseConv1D(Depthwise):
    RANK: ClassVar[int] = 1
    type: Literal["DepthwiseConv1D"]


class SeparableConv2D(SeparableConv):
    RANK: ClassVar[int] = 2
    type: Literal["SeparableConv2D", "SeparableConvolution2D"]


class SeparableConv1D(SeparableConv):
    RANK: ClassVar[int] = 1
    type: Literal["SeparableConv1D", "SeparableConvolution1D"]


LAYERS = (
    Conv1D, Conv2D, Conv3D, Conv1DTranspose, Conv2DTranspose, Conv3DTranspose,
    DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D,
)
