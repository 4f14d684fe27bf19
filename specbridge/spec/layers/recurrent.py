"""Recurrent layers and the Bidirectional wrapper."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Optional, Union

from pydantic import Field, PositiveInt, confloat

from ..base import ActivationName, Layer

Rate = confloat(ge=0.0, lt=1.0)


class RNN(Layer):
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
    type: Literal["Bidirectional"]
    layer: RecurrentLayer
    merge_mode: Optional[Literal["concat", "sum", "mul", "ave"]] = "concat"


LAYERS = (SimpleRNN, LSTM, GRU, Bidirectional)
