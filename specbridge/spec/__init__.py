"""Spec objects: the framework-neutral description of a network."""

from .base import Expect, Layer
from .model import InputSpec, NamedInput, Spec, SpecHeader
from .registry import BY_TYPE_NAME, CANONICAL_NAMES, LAYER_CLASSES, AnyLayer, layer_class

__all__ = [
    "AnyLayer", "BY_TYPE_NAME", "CANONICAL_NAMES", "Expect", "InputSpec", "LAYER_CLASSES", "Layer",
    "NamedInput", "Spec", "SpecHeader", "layer_class",
]
