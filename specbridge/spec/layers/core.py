"""Dense, Embedding, dropout and activation layers."""

from typing import ClassVar, Literal, Optional, Union

from pydantic import Field, NonNegativeFloat, PositiveInt

from ..base import Activation, ActivationName, DataFormat, Layer, Rate


class CoreLayer(Layer):
    FAMILY: ClassVar[str] = "core"


class Dense(CoreLayer):
    type: Literal["Dense"]
    WEIGHTS: ClassVar[tuple[str, ...]] = ("kernel", "bias")
    ASSERTIONS: ClassVar[tuple[str, ...]] = ("in_features",)
    units: PositiveInt
    activation: Activation = None
    use_bias: bool = True
    in_features: Optional[PositiveInt] = Field(
        None, description="PyTorch-style assertion: the size of the last input axis (nn.Linear's in_features)."
    )


class Embedding(CoreLayer):
    type: Literal["Embedding"]
    WEIGHTS: ClassVar[tuple[str, ...]] = ("embeddings",)
    input_dim: PositiveInt = Field(description="Vocabulary size: ids must lie in [0, input_dim).")
    output_dim: PositiveInt
    mask_zero: bool = False


class Dropout(CoreLayer):
    type: Literal["Dropout"]
    rate: Rate
    noise_shape: Optional[list[Optional[PositiveInt]]] = None
    seed: Optional[int] = None


class SpatialDropout1D(CoreLayer):
    type: Literal["SpatialDropout1D"]
    RANK: ClassVar[int] = 1
    rate: Rate
    seed: Optional[int] = None


class SpatialDropout2D(CoreLayer):
    type: Literal["SpatialDropout2D"]
    RANK: ClassVar[int] = 2
    DATA_FORMAT: ClassVar[bool] = True
    rate: Rate
    data_format: Optional[DataFormat] = None
    seed: Optional[int] = None


class SpatialDropout3D(CoreLayer):
    type: Literal["SpatialDropout3D"]
    RANK: ClassVar[int] = 3
    DATA_FORMAT: ClassVar[bool] = True
    rate: Rate
    data_format: Optional[DataFormat] = None
    seed: Optional[int] = None


class ActivationLayer(CoreLayer):
    type: Literal["Activation"]
    activation: ActivationName


class ReLU(CoreLayer):
    type: Literal["ReLU"]
    max_value: Optional[NonNegativeFloat] = None
    negative_slope: NonNegativeFloat = 0.0
    threshold: float = 0.0


class LeakyReLU(CoreLayer):
    type: Literal["LeakyReLU"]
    negative_slope: NonNegativeFloat = 0.3


class ELU(CoreLayer):
    type: Literal["ELU"]
    alpha: float = 1.0


class PReLU(CoreLayer):
    type: Literal["PReLU"]
    WEIGHTS: ClassVar[tuple[str, ...]] = ("alpha",)
    shared_axes: Optional[Union[PositiveInt, list[PositiveInt]]] = Field(
        None, description="Axes (batch counted, from 1) along which alpha is shared: alpha has size 1 there."
    )

    def alpha_shape(self, shape: tuple) -> tuple:
        """Keras's alpha shape for an input of `shape` (batch excluded): the same, with 1 on each shared axis."""
        shared = self.shared_axes if isinstance(self.shared_axes, list) else [self.shared_axes]
        return tuple(1 if i + 1 in shared else d for i, d in enumerate(shape))


class Softmax(CoreLayer):
    type: Literal["Softmax"]
    axis: int = -1


LAYERS = (
    Dense, Embedding, Dropout, SpatialDropout1D, SpatialDropout2D, SpatialDropout3D,
    ActivationLayer, ReLU, LeakyReLU, ELU, PReLU, Softmax,
)
