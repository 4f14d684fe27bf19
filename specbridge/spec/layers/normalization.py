"""Normalization layers."""

from typing import ClassVar, Literal, Union

from pydantic import PositiveFloat, confloat

from ..base import Layer


class Normalization(Layer):
    FAMILY: ClassVar[str] = "normalization"
    WEIGHTS: ClassVar[tuple[str, ...]] = ("gamma", "beta")


class BatchNormalization(Normalization):
    type: Literal["BatchNormalization"]
    WEIGHTS: ClassVar[tuple[str, ...]] = ("gamma", "beta", "moving_mean", "moving_variance")
    axis: int = -1
    momentum: confloat(ge=0.0, le=1.0) = 0.99
    epsilon: PositiveFloat = 1e-3
    center: bool = True
    scale: bool = True


class LayerNormalization(Normalization):
    type: Literal["LayerNormalization"]
    axis: Union[int, list[int]] = -1
    epsilon: PositiveFloat = 1e-3
    center: bool = True
    scale: bool = True


LAYERS = (BatchNormalization, LayerNormalization)
