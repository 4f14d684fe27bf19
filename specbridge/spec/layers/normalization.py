"""Normalization layers."""

from typing import Literal, Union

from pydantic import PositiveFloat, confloat

from ..base import Layer


class BatchNormalization(Layer):
    type: Literal["BatchNormalization"]
    axis: int = -1
    momentum: confloat(ge=0.0, le=1.0) = 0.99
    epsilon: PositiveFloat = 1e-3
    center: bool = True
    scale: bool = True


class LayerNormalization(Layer):
    type: Literal["LayerNormalization"]
    axis: Union[int, list[int]] = -1
    epsilon: PositiveFloat = 1e-3
    center: bool = True
    scale: bool = True


LAYERS = (BatchNormalization, LayerNormalization)
