"""The top-level spec document."""


from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .base import DataFormat, Dim

DType = Literal["float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]
INTEGER_DTYPES = ("int8", "int16", "int32", "int64", "uint8")


class InputSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    shape: list[Dim] = Field(description="Shape without the batch axis; null is an unknown size.")
    dtype: DType = Field("float32", description="The dtype of the data the model is fed.")


class NamedInput(InputSpec):
    name: str = Field(description="The name layers list in their `inputs` to read this input.")


class SpecHeader(BaseModel):
    """Everything but the layers: validated first, so each layer can be validated on its own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    specbridge: Literal[1] = Field(description="Spec format version.")
    name: str = Field(description="The model's name (Keras's `Model(name=...)`).")
    description: Optional[str] = Field(None, description="Free text; nothing reads it.")
    data_format: DataFormat = Field(
        "channels_last", description="Where channels sit for every layer that takes a `data_format` and sets none."
    )
    input: Optional[InputSpec] = Field(None, description="The single input, named `input_layer`.")
    inputs: Optional[list[NamedInput]] = Field(None, min_length=1, description="Several inputs, each named.")
    outputs: Optional[list[str]] = Field(
        None, min_length=1, description="Names of the layers (or inputs) the model returns; default: the last layer."
    )

    @model_validator(mode="after")
    def _one_input_form(self):
        if (self.input is None) == (self.inputs is None):
            raise ValueError("give exactly one of `input` (a single input) or `inputs` (a list of named inputs)")
        return self

    def named_inputs(self) -> list[NamedInput]:
        """The graph inputs; a single `input` is named 'input_layer' as in Keras."""
        if self.inputs is not None:
            return list(self.inputs)
        return [NamedInput(name="input_layer", shape=self.input.shape, dtype=self.input.dtype)]


def __getattr__(name: str):
    # Spec holds the union of every layer type: importing it builds them all, which a check avoids.
    if name == "Spec":
        from .full import Spec

        return Spec
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
