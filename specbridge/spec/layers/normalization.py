"""Normalization layers."""

from typing import ClassVar, Literal, Union

from pydantic import Field, PositiveFloat, confloat, field_validator

from ..base import Layer


class Normalization(Layer):
    FAMILY: ClassVar[str] = "normalization"
    FLOAT_INPUT: ClassVar[bool] = True
    WEIGHTS: ClassVar[tuple[str, ...]] = ("gamma", "beta")


class BatchNormalization(Normalization):
    MASKING: ClassVar[str] = "keeps"
    type: Literal["BatchNormalization"]
    WEIGHTS: ClassVar[tuple[str, ...]] = ("gamma", "beta", "moving_mean", "moving_variance")
    axis: int = -1
    momentum: confloat(ge=0.0, le=1.0) = 0.99
    epsilon: PositiveFloat = 1e-3
    center: bool = True
    scale: bool = True


class LayerNormalization(Normalization):
    MASKING: ClassVar[str] = "keeps"
    type: Literal["LayerNormalization"]
    axis: Union[int, list[int]] = -1
    epsilon: PositiveFloat = 1e-3
    center: bool = True
    scale: bool = True


class GroupNormalization(Normalization):
    MASKING: ClassVar[str] = "keeps"
    type: Literal["GroupNormalization"]
    groups: int = Field(32, description="Channel groups (must divide the channels), or -1 for one per channel.")
    axis: int = -1
    epsilon: PositiveFloat = 1e-3
    center: bool = True
    scale: bool = True

    @field_validator("groups")
    @classmethod
    def _positive_or_instance(cls, value: int) -> int:
        """A positive integer, or -1 (one group per channel: instance normalization)."""
        if value <= 0 and value != -1:  # Keras's constructor check, in its words
            raise ValueError(
                f"groups must be a positive integer (or -1 for instance normalization), got {value}"
            )
        return value


class UnitNormalization(Normalization):
    """Divides each sample by its L2 norm over `axis`; no weights."""
    MASKING: ClassVar[str] = "keeps"

    type: Literal["UnitNormalization"]
    WEIGHTS: ClassVar[tuple[str, ...]] = ()
    axis: Union[int, list[int]] = Field(-1, description="The axis or axes whose L2 norm becomes 1 (batch counted).")


class RMSNormalization(Normalization):
    """x * rsqrt(mean(x**2 over axis) + epsilon) * scale; `scale` is sized by the normalized axes."""

    type: Literal["RMSNormalization"]
    WEIGHTS: ClassVar[tuple[str, ...]] = ("scale",)
    axis: Union[int, list[int]] = -1
    epsilon: PositiveFloat = 1e-6


LAYERS = (BatchNormalization, LayerNormalization, GroupNormalization, UnitNormalization, RMSNormalization)
