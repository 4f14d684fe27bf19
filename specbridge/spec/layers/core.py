"""Dense, Embedding, dropout and activation layers."""

from typing import ClassVar, Literal, Optional

from pydantic import Field, NonNegativeFloat, PositiveInt, confloat

from ..base import Activation, ActivationName, DataFormat, Layer

Rate = confloat(ge=0.0, lt=1.0)


class Dense(Layer):
    type: Literal["Dense"]
    ASSERTIONS: ClassVar[tuple[str, ...]] = ("in_features",)
    units: PositiveInt
    activation: Activation = None
    use_bias: bool = True
    in_features: Optional[PositiveInt] = Field(
        None, description="PyTorch-style assertion: the size of the last input axis (nn.Linear's in_features)."
    )


class Embedding(Layer):
    type: Literal["Embedding"]
    input_dim: PositiveInt = Field(description="Vocabulary size: ids must lie in [0, input_dim).")
    output_dim: PositiveInt
    mask_zero: bool = False


class Dropout(Layer):
    type: Literal["Dropout"]
    rate: Rate
    noise_shape: Optional[list[Optional[PositiveInt]]] = None
    seed: Optional[int] = None


class SpatialDropout1D(Layer):
    type: Literal["SpatialDropout1D"]
    rate: Rate
    seed: Optional[int] = None


class SpatialDropout2D(Layer):
    type: Literal["SpatialDropout2D"]
    rate: Rate
    data_format: Optional[DataFormat] = None
    seed: Optional[int] = None


class SpatialDropout3D(Layer):
    type: Literal["SpatialDropout3D"]
    rate: Rate
    data_format: Optional[DataFormat] = None
    seed: Optional[int] = None


class ActivationLayer(Layer):
    type: Literal["Activation"]
    activation: ActivationName


class ReLU(Layer):
    type: Literal["ReLU"]
    max_value: Optional[NonNegativeFloat] = None
    negative_slope: NonNegativeFloat = 0.0
    threshold: float = 0.0


class LeakyReLU(Layer):
    type: Literal["LeakyReLU"]
    negative_slope: NonNegativeFloat = 0.3


class ELU(Layer):
    type: Literal["ELU"]
    alpha: float = 1.0


class Softmax(Layer):
    type: Literal["Softmax"]
    axis: int = -1


LAYERS = (
    Dense, Embedding, Dropout, SpatialDropout1D, SpatialDropout2D, SpatialDropout3D,
    ActivationLayer, ReLU, LeakyReLU, ELU, Softmax,
)
