"""Dense, Embedding, dropout and activation layers."""

from typing import ClassVar, Literal, Optional, Union

from pydantic import Field, NonNegativeFloat, PositiveInt

from ..base import Activation, ActivationName, DataFormat, Layer, Rate

# Activations that both Keras and PyTorch compute on an integer tensor (the others need a float input).
INTEGER_ACTIVATIONS = ("linear", "relu")


class CoreLayer(Layer):
    FAMILY: ClassVar[str] = "core"


class Dense(CoreLayer):
    MASKING: ClassVar[str] = "keeps"
    type: Literal["Dense"]
    FLOAT_INPUT: ClassVar[bool] = True
    WEIGHTS: ClassVar[tuple[str, ...]] = ("kernel", "bias")
    ASSERTIONS: ClassVar[tuple[str, ...]] = ("in_features",)
    units: PositiveInt
    activation: Activation = None
    use_bias: bool = True
    in_features: Optional[PositiveInt] = Field(
        None, description="PyTorch-style assertion: the size of the last input axis (nn.Linear's in_features)."
    )


class EinsumDense(CoreLayer):
    """Keras's EinsumDense: einsum(equation, input, kernel) + bias; the kernel's shape comes from the equation, the
    input's sizes and output_shape (shapes/infer/einsum_dense.py)."""

    type: Literal["EinsumDense"]
    FLOAT_INPUT: ClassVar[bool] = True
    WEIGHTS: ClassVar[tuple[str, ...]] = ("kernel", "bias")
    equation: str = Field(description="'input,kernel->output' with the batch letter first ('ab,bc->ac'), or with "
                          "'...' leading ('...b,bc->...c') or trailing ('ab...,bc->ac...') the input and the output.")
    output_shape: Union[PositiveInt, list[Optional[PositiveInt]]] = Field(
        description="The output's sizes after the batch axis, the '...' axes left out: one per output letter after "
        "the batch letter; null leaves an axis the input gives unknown, as Keras does.")
    activation: Activation = None
    bias_axes: Optional[str] = Field(None, description="The output letters that get a bias ('c'); null: no bias.")

    def partial_output_shape(self) -> tuple:
        """output_shape as Keras keeps it: a tuple."""
        return (self.output_shape,) if isinstance(self.output_shape, int) else tuple(self.output_shape)


class Embedding(CoreLayer):
    MASKING: ClassVar[str] = "makes"
    type: Literal["Embedding"]
    WEIGHTS: ClassVar[tuple[str, ...]] = ("embeddings",)
    input_dim: PositiveInt = Field(description="Vocabulary size: ids must lie in [0, input_dim).")
    output_dim: PositiveInt
    mask_zero: bool = Field(False, description="Token id 0 is padding: the output carries a mask (ids != 0) that "
                            "the layers after it which read masks honour (RNNs skip those steps; pooling and "
                            "attention leave them out).")


class Dropout(CoreLayer):
    MASKING: ClassVar[str] = "keeps"
    type: Literal["Dropout"]
    rate: Rate
    noise_shape: Optional[list[Optional[PositiveInt]]] = Field(
        None,
        description=(
            "Shape of the dropout mask, as Keras's: it INCLUDES the batch axis (unlike the spec's shapes); a null "
            "entry takes the input's size at the same index, then the mask broadcasts against the input from the "
            "last axis, so each entry is 1 (one mask value shared along that axis) or that axis's size; e.g. "
            "[null, 1, null] on a (steps, features) input drops the same features at every step, [1] one mask "
            "value for every unit."
        ),
    )
    seed: Optional[int] = None


class SpatialDropout(CoreLayer):
    """SpatialDropout1D/2D/3D: drops whole channels. Keras 3's constructors take no **kwargs, so they refuse
    `trainable` ("unexpected keyword argument 'trainable'"), which every other layer accepts."""
    MASKING: ClassVar[str] = "keeps"

    KERAS_REFUSES: ClassVar[tuple[str, ...]] = ("trainable",)
    rate: Rate
    seed: Optional[int] = None


class SpatialDropout1D(SpatialDropout):
    type: Literal["SpatialDropout1D"]
    RANK: ClassVar[int] = 1


class SpatialDropout2D(SpatialDropout):
    type: Literal["SpatialDropout2D"]
    RANK: ClassVar[int] = 2
    DATA_FORMAT: ClassVar[bool] = True
    data_format: Optional[DataFormat] = None


class SpatialDropout3D(SpatialDropout):
    type: Literal["SpatialDropout3D"]
    RANK: ClassVar[int] = 3
    DATA_FORMAT: ClassVar[bool] = True
    data_format: Optional[DataFormat] = None


class ActivationLayer(CoreLayer):
    MASKING: ClassVar[str] = "keeps"
    type: Literal["Activation"]
    activation: ActivationName

    def needs_float_input(self) -> bool:
        # relu and linear run on integers in Keras and in PyTorch; every other activation is a float function.
        return self.activation not in INTEGER_ACTIVATIONS


class ReLU(CoreLayer):
    MASKING: ClassVar[str] = "keeps"
    type: Literal["ReLU"]
    max_value: Optional[NonNegativeFloat] = None
    negative_slope: NonNegativeFloat = 0.0
    threshold: NonNegativeFloat = 0.0  # Keras: 'threshold of a ReLU layer cannot be a negative value'


class LeakyReLU(CoreLayer):
    MASKING: ClassVar[str] = "keeps"
    type: Literal["LeakyReLU"]
    FLOAT_INPUT: ClassVar[bool] = True
    negative_slope: NonNegativeFloat = 0.3


class ELU(CoreLayer):
    MASKING: ClassVar[str] = "keeps"
    type: Literal["ELU"]
    FLOAT_INPUT: ClassVar[bool] = True
    alpha: float = 1.0


class PReLU(CoreLayer):
    MASKING: ClassVar[str] = "keeps"
    type: Literal["PReLU"]
    FLOAT_INPUT: ClassVar[bool] = True
    WEIGHTS: ClassVar[tuple[str, ...]] = ("alpha",)
    shared_axes: Optional[Union[PositiveInt, list[PositiveInt]]] = Field(
        None, description="Axes (batch counted, from 1) along which alpha is shared: alpha has size 1 there."
    )

    def alpha_shape(self, shape: tuple) -> tuple:
        """Keras's alpha shape for an input of `shape` (batch excluded): the same, with 1 on each shared axis."""
        shared = self.shared_axes if isinstance(self.shared_axes, list) else [self.shared_axes]
        return tuple(1 if i + 1 in shared else d for i, d in enumerate(shape))


class Softmax(CoreLayer):
    MASKING: ClassVar[str] = "reads"
    type: Literal["Softmax"]
    FLOAT_INPUT: ClassVar[bool] = True
    axis: int = -1

    def applies_softmax(self) -> bool:
        return True


class Identity(CoreLayer):
    """Returns its input unchanged, any dtype (a placeholder where a model has no operation)."""
    MASKING: ClassVar[str] = "keeps"
    type: Literal["Identity"]


class Masking(CoreLayer):
    """Masks the steps whose features all equal mask_value: they become 0, and the layers after it that read
    masks (RNNs, GlobalAveragePooling1D, attention) leave them out."""
    MASKING: ClassVar[str] = "makes"
    type: Literal["Masking"]
    mask_value: float = Field(0.0, description="A step is masked when every feature (the last axis) equals it.")


LAYERS = (
    Dense, EinsumDense, Embedding, Masking, Dropout, SpatialDropout1D, SpatialDropout2D, SpatialDropout3D,
    ActivationLayer, ReLU, LeakyReLU, ELU, PReLU, Softmax, Identity,
)
