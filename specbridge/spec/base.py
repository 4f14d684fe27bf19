"""Building blocks shared by every layer model.

A layer model is a frozen pydantic model whose field names and defaults are Keras 3's. The `type`
field is a Literal of the Keras class name followed by its accepted aliases; the first literal is
the canonical name, used everywhere downstream (`layer.kind`).
"""


import typing
from typing import Annotated, Any, ClassVar, Literal, Optional, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveInt,
    ValidationInfo,
    confloat,
    field_validator,
)
from pydantic_core import PydanticCustomError

from .call import Call

# A dimension without the batch axis: a positive size or None (unknown).
Dim = Optional[PositiveInt]


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


# Keras accepts an int or a tuple with one int per spatial axis for these.
IntOrTuple = Union[PositiveInt, list[PositiveInt]]
# padding: a Keras string (case-insensitive, as tf.keras accepts 'SAME'), or PyTorch-style explicit
# integer padding (an int, or one int per spatial axis).
PaddingMode = Annotated[Literal["valid", "same", "causal"], BeforeValidator(_lower)]
Padding = Union[PaddingMode, NonNegativeInt, list[NonNegativeInt]]
DataFormat = Annotated[Literal["channels_last", "channels_first"], BeforeValidator(_lower)]

# Activation names Keras 3 resolves with keras.activations.get(name).
KERAS_ACTIVATIONS = (
    "linear", "relu", "relu6", "sigmoid", "hard_sigmoid", "softmax", "log_softmax", "tanh", "elu",
    "selu", "softplus", "softsign", "swish", "silu", "hard_silu", "hard_swish", "gelu",
    "exponential", "leaky_relu", "mish", "celu", "glu", "tanh_shrink", "hard_tanh", "sparse_plus",
    "soft_shrink", "hard_shrink", "squareplus", "sparsemax", "log_sigmoid", "sparse_sigmoid",
)
# Activations Keras has as a function call but no name for: spec name -> the Keras call. `gelu` is Keras's exact
# (erf) form; the tanh approximation is what KerasHub's models (GPT-2, ALBERT, ...) use, through the function
# keras_hub.utils.keras_utils.gelu_approximate, which their saved configs name "keras_hub>gelu_approximate".
FUNCTION_ACTIVATIONS = {"gelu_approximate": "keras.activations.gelu(x, approximate=True)"}
# Every name a spec's `activation` takes.
ACTIVATIONS = KERAS_ACTIVATIONS + tuple(FUNCTION_ACTIVATIONS)
# Names keras.activations.get resolves to a function that cannot run with the tensor alone: the built model fails
# when it is called ("threshold() missing 2 required positional arguments"), so a spec may not name them.
NEEDS_ARGUMENTS = {"threshold": "use a ReLU layer with `threshold` (and `max_value`) instead"}


def _activation_name(value: Any) -> Any:
    value = _lower(value)
    if isinstance(value, str) and value in NEEDS_ARGUMENTS:  # a list or mapping is unhashable: pydantic reports it
        raise ValueError(
            f"activation {value!r} needs arguments that Keras cannot get from a name (the model fails when it runs): "
            + NEEDS_ARGUMENTS[value]
        )
    return value


ActivationName = Annotated[
    Literal[ACTIVATIONS],  # type: ignore[valid-type]
    BeforeValidator(_activation_name),
]
Activation = Optional[ActivationName]

# A dropout rate, as Keras's Dropout and RNN layers accept it: 0 <= rate <= 1 (Dropout checks exactly that, and
# rate 1 drops everything in training; RNNs clip to [0, 1]).
Rate = confloat(ge=0.0, le=1.0)


class Expect(BaseModel):
    """An assertion about a layer's result, checked against what is inferred."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    shape: Optional[list[Dim]] = Field(None, description="Output shape without the batch axis.")
    params: Optional[NonNegativeInt] = Field(None, description="Total parameter count.")
    trainable_params: Optional[NonNegativeInt] = Field(None, description="Parameters training updates.")
    non_trainable_params: Optional[NonNegativeInt] = Field(
        None, description="Parameters training does not update (moving statistics, a layer with `trainable: false`)."
    )


_TYPE_NAMES: dict[type, tuple[str, ...]] = {}


class Layer(BaseModel):
    """Fields every layer accepts besides its Keras arguments."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    type: str = Field(description="The layer type: a Keras class name or one of its aliases.")
    name: Optional[str] = Field(None, description="Layer name; default follows Keras (conv2d, conv2d_1, ...).")
    inputs: Optional[list[str]] = Field(
        None, description="Names of the layers or inputs this layer reads; default: the previous layer."
    )
    expect: Optional[Expect] = Field(None, description="Assertions about the layer's output shape and parameters.")
    trainable: bool = Field(True, description="false: the layer's parameters are frozen (counted as non-trainable).")
    shares: Optional[str] = Field(
        None, description="The name of an earlier layer this one calls again (the same Keras layer object): same "
        "type and arguments, the same weights, counted once.",
    )

    # Traits: what every stage may ask about a layer type. Declared here (and in each family's base class), never
    # read from the type's spelling. spec/catalog.py lists the types; each stage keys its table by the class.
    # The family module: spec/layers/<FAMILY>.py, mirrored by shapes/infer/<FAMILY>.py and the emitters.
    FAMILY: ClassVar[str]
    # Number of spatial axes (Conv2D: 2, MaxPooling1D: 1); None for a layer without spatial axes.
    RANK: ClassVar[Optional[int]] = None
    # The spec-level data_format applies to this layer: Keras's constructor takes `data_format` and the layer
    # reads channels from it. (Flatten takes data_format too, but with another meaning: see core.Flatten.)
    DATA_FORMAT: ClassVar[bool] = False
    # The Keras variables the layer can own (which ones exist may depend on use_bias, center, scale...).
    WEIGHTS: ClassVar[tuple[str, ...]] = ()
    # The `layer` field holds a wrapped layer, which owns the weights (TimeDistributed, Bidirectional).
    WRAPS: ClassVar[bool] = False
    # The call signature (spec/call.py): the tensors Keras's call takes, its call options, its outputs.
    CALL: ClassVar[Call] = Call()
    # Arguments that are specbridge assertions, not Keras arguments (the emitters drop them).
    ASSERTIONS: ClassVar[tuple[str, ...]] = ()
    # The layer computes in floating point: float weights (a kernel multiplies the input), or a float-only op
    # (averages, softmax, exponentials). An integer or bool input is refused (SB212): Keras builds such a model but
    # its call fails for most of them (Conv, Softmax, ELU, sigmoid, AveragePooling), and the PyTorch translation
    # fails for all of them (Linear, BatchNorm, ... refuse integer tensors). See docs/reliability.md.
    FLOAT_INPUT: ClassVar[bool] = False
    # What the layer does with a Keras mask (the implicit padding mask of Embedding(mask_zero=True) or Masking),
    # as Keras 3's supports_masking and call signature say: "drops" (no mask support: the mask stops here, Keras
    # warns), "keeps" (the output carries the first input's mask; the values do not depend on it), "reads" (the
    # call uses the mask: RNNs skip masked steps, pooling and attention leave them out), "makes" (the layer
    # creates a mask). shapes/masks.py holds the types whose output mask follows another rule (merges).
    MASKING: ClassVar[Literal["drops", "keeps", "reads", "makes"]] = "drops"
    # Fields every layer accepts (see above) that this type's Keras constructor refuses: a spec writing one gets SB011.
    KERAS_REFUSES: ClassVar[tuple[str, ...]] = ()
    # Fields that are not Keras constructor arguments.
    SPEC_ONLY: ClassVar[tuple[str, ...]] = ("type", "name", "inputs", "expect", "shares")

    @field_validator("trainable", "shares")
    @classmethod
    def _keras_refuses(cls, value, info: ValidationInfo):
        """SB011 for a field of KERAS_REFUSES (runs only when the spec writes it: defaults are not validated)."""
        if info.field_name in cls.KERAS_REFUSES:
            raise PydanticCustomError("extra_forbidden", "{kind} takes no `{field}`: {why}",
                                      {"kind": cls.type_names()[0], "field": info.field_name, "why": cls.REFUSED_BECAUSE})
        return value

    # Why KERAS_REFUSES holds, in the SB011 message.
    REFUSED_BECAUSE: ClassVar[str] = "Keras's constructor refuses it (\"unexpected keyword argument\")"

    @classmethod
    def type_names(cls) -> tuple[str, ...]:
        """The canonical Keras class name first, then its aliases."""
        names = _TYPE_NAMES.get(cls)
        if names is None:  # cached: `kind` is asked for on every layer, many times per check
            names = _TYPE_NAMES[cls] = typing.get_args(cls.model_fields["type"].annotation)
        return names

    @property
    def kind(self) -> str:
        """The canonical Keras class name, whatever alias the spec used."""
        return self.type_names()[0]

    @classmethod
    def has_weights(cls) -> bool:
        """True when the type owns Keras variables itself or through the layer it wraps."""
        return bool(cls.WEIGHTS) or cls.WRAPS

    def needs_float_input(self) -> bool:
        """FLOAT_INPUT; Activation decides by its function (core.py). A wrapper needs no answer of its own: its
        layer is inferred through the same Context.infer, which asks that layer."""
        return self.FLOAT_INPUT

    def applies_softmax(self) -> bool:
        """True when the layer ends in a softmax over one axis: its `activation` (an RNN's is its cell's, not the
        output's); Softmax and ops.softmax say so themselves."""
        return getattr(self, "activation", None) == "softmax" and self.FAMILY != "recurrent"

    def data_format_in(self, spec_format: str) -> str:
        """The data_format this layer reads with: its own argument, else the spec's when it applies to the layer.

        The one definition of "which data_format applies": shape rules, lint and every emitter ask here.
        """
        own = getattr(self, "data_format", None)
        if own is not None:
            return own
        return spec_format if self.DATA_FORMAT else "channels_last"

    def output_names(self) -> tuple[str, ...]:
        """The outputs this layer's call returns, the main one first (one, unless a call option asks for more)."""
        return self.CALL.outputs[:1]

    @classmethod
    def output_name_at(cls, index: int) -> Optional[str]:
        """The name of the call's output at `index` (0: the main one), None beyond what the type can return."""
        return cls.CALL.outputs[index] if index < len(cls.CALL.outputs) else None

    def keyword_inputs(self) -> list[tuple[str, str]]:
        """(call argument, tensor reference) of each keyword tensor the layer's fields give (`attention_mask`)."""
        return [(name, getattr(self, name)) for name in self.CALL.keyword_tensors if getattr(self, name) is not None]

    def bind(self, values: list) -> tuple[list, dict[str, Any]]:
        """Per-input values (tensors, variable names) in the graph's order, split into the call's positional ones
        and its keyword ones: the graph lists the positional inputs, then each keyword tensor the layer gives."""
        keywords = [name for name, _ in self.keyword_inputs()]
        cut = len(values) - len(keywords)
        return list(values[:cut]), dict(zip(keywords, values[cut:], strict=True))

    def keras_arguments(self) -> dict[str, Any]:
        """The Keras constructor arguments the spec sets explicitly (aliases resolved)."""
        skip = set(self.SPEC_ONLY) | set(self.ASSERTIONS) | set(self.CALL.not_constructor_arguments())
        out = {}
        for key in self.model_fields_set:
            if key in skip:
                continue
            value = getattr(self, key)
            if isinstance(value, Layer):
                continue
            out[key] = value
        return out
