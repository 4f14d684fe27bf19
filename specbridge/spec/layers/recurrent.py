"""Recurrent layers and the Bidirectional wrapper."""

from typing import Annotated, ClassVar, Literal, Optional, Union

from pydantic import BeforeValidator, Field, PositiveInt, field_validator

from ..base import ActivationName, DataFormat, IntOrTuple, Layer, Rate, _lower
from .conv import check_per_axis


class RNN(Layer):
    MASKING: ClassVar[str] = "reads"
    FAMILY: ClassVar[str] = "recurrent"
    FLOAT_INPUT: ClassVar[bool] = True
    WEIGHTS: ClassVar[tuple[str, ...]] = ("kernel", "recurrent_kernel", "bias")
    ASSERTIONS: ClassVar[tuple[str, ...]] = ("input_size",)
    units: PositiveInt
    activation: ActivationName = "tanh"
    use_bias: bool = True
    return_sequences: bool = False
    go_backwards: bool = False
    dropout: Rate = 0.0
    recurrent_dropout: Rate = 0.0
    input_size: Optional[PositiveInt] = Field(
        None, description="PyTorch-style assertion: the number of features per time step."
    )
    zero_output_for_mask: bool = Field(
        False, description="With a mask: a masked step's output is zeros instead of the previous step's output "
        "(Bidirectional sets it to return_sequences for both directions).")


class SimpleRNN(RNN):
    type: Literal["SimpleRNN"]


class LSTM(RNN):
    type: Literal["LSTM"]
    recurrent_activation: ActivationName = "sigmoid"
    unit_forget_bias: bool = True


class GRU(RNN):
    type: Literal["GRU"]
    recurrent_activation: ActivationName = "sigmoid"
    reset_after: bool = Field(True, description="True: Keras 3 / cuDNN formula; false: the Keras 2.0-era GRU.")


RecurrentLayer = Annotated[Union[SimpleRNN, LSTM, GRU], Field(discriminator="type")]


class Bidirectional(Layer):
    MASKING: ClassVar[str] = "reads"
    FAMILY: ClassVar[str] = "recurrent"
    WRAPS: ClassVar[bool] = True
    type: Literal["Bidirectional"]
    layer: RecurrentLayer
    merge_mode: Optional[Literal["concat", "sum", "mul", "ave"]] = "concat"

    @field_validator("layer", mode="before")
    @classmethod
    def _recurrent_only(cls, value):
        """A SimpleRNN, LSTM or GRU (TimeDistributed applies any other layer at every time step)."""
        # Without this, pydantic's union error reads "unknown layer type 'Dense'" for a real layer type.
        # Misspelt types are left to the union, whose error suggests the closest name.
        from ..catalog import TYPE_NAMES  # the catalog imports this module

        kind = value.get("type") if isinstance(value, dict) else None
        names = [n for c in (SimpleRNN, LSTM, GRU) for n in c.type_names()]
        if isinstance(kind, str) and kind in TYPE_NAMES and kind not in names:
            raise ValueError(
                f"Bidirectional wraps a recurrent layer (SimpleRNN, LSTM or GRU), not {kind}; "
                "for a layer applied at every time step use TimeDistributed"
            )
        return value

    @field_validator("layer")
    @classmethod
    def _forward_layer(cls, value):
        """The wrapped layer reads forwards (`go_backwards: false`): Bidirectional adds the backward copy itself."""
        # Keras builds the backward copy with the opposite go_backwards and refuses two backward layers:
        # "Forward layer and backward layer should have different `go_backwards` value".
        if value.go_backwards:
            raise ValueError(
                "the wrapped layer must read forwards (go_backwards: false): Bidirectional adds the backward copy "
                "itself, and Keras refuses a forward layer with go_backwards true"
            )
        return value


class ConvLSTM(Layer):
    """An LSTM whose input and recurrent transformations are convolutions of `RANK` spatial axes, over
    (time, *spatial, channels): Keras's ConvLSTM base, whose 1D, 2D and 3D forms differ in RANK alone."""
    MASKING: ClassVar[str] = "reads"

    FAMILY: ClassVar[str] = "recurrent"
    FLOAT_INPUT: ClassVar[bool] = True
    RANK: ClassVar[int]
    DATA_FORMAT: ClassVar[bool] = True
    WEIGHTS: ClassVar[tuple[str, ...]] = ("kernel", "recurrent_kernel", "bias")
    filters: PositiveInt
    kernel_size: IntOrTuple
    strides: IntOrTuple = 1
    padding: Annotated[Literal["valid", "same"], BeforeValidator(_lower)] = "valid"
    data_format: Optional[DataFormat] = None
    dilation_rate: IntOrTuple = 1
    activation: ActivationName = "tanh"
    recurrent_activation: ActivationName = "sigmoid"
    use_bias: bool = True
    unit_forget_bias: bool = True
    dropout: Rate = 0.0
    recurrent_dropout: Rate = 0.0
    seed: Optional[int] = None
    return_sequences: bool = False
    go_backwards: bool = False
    zero_output_for_mask: bool = Field(
        False, description="With a mask: a masked step's output is zeros instead of the previous step's output "
        "(Bidirectional sets it to return_sequences for both directions).")

    _per_axis = field_validator("kernel_size", "strides", "dilation_rate")(check_per_axis)


class ConvLSTM1D(ConvLSTM):
    """ConvLSTM over a sequence of signals: (time, steps, channels)."""

    RANK: ClassVar[int] = 1
    type: Literal["ConvLSTM1D"]


class ConvLSTM2D(ConvLSTM):
    """ConvLSTM over a sequence of images: (time, rows, cols, channels)."""

    RANK: ClassVar[int] = 2
    type: Literal["ConvLSTM2D"]


class ConvLSTM3D(ConvLSTM):
    """ConvLSTM over a sequence of volumes: (time, depth, rows, cols, channels)."""

    RANK: ClassVar[int] = 3
    type: Literal["ConvLSTM3D"]


LAYERS = (SimpleRNN, LSTM, GRU, Bidirectional, ConvLSTM1D, ConvLSTM2D, ConvLSTM3D)
