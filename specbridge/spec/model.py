"""The top-level spec document."""


from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .base import DataFormat, Dim

DType = Literal["float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]
INTEGER_DTYPES = ("int8", "int16", "int32", "int64", "uint8")


class InputSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    shape: list[Dim] = Field(description="Shape without the batch axis; null is an unknown size.")
    dtype: DType = "float32"


class NamedInput(InputSpec):
    name: str


class SpecHeader(BaseModel):
    """Everything but the layers: validated first, so each layer can be validated on its own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    specbridge: Literal[1] = Field(description="Spec format version.")
    name: str
    description: Optional[str] = None
    data_format: DataFormat = "channels_last"
    input: Optional[InputSpec] = None
    inputs: Optional[list[NamedInput]] = Field(None, min_length=1)
    outputs: Optional[list[str]] = Field(None, min_length=1)

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
