"""Spec objects: the framework-neutral description of a network.

Layer classes are imported by family on demand (see catalog.py); the names below that need every layer type
(Spec, AnyLayer, LAYER_CLASSES, BY_TYPE_NAME) are resolved lazily.
"""

from .base import Expect, Layer
from .catalog import CANONICAL_NAMES, TYPE_NAMES, layer_class
from .model import InputSpec, NamedInput, SpecHeader

__all__ = [
    "AnyLayer", "BY_TYPE_NAME", "CANONICAL_NAMES", "Expect", "InputSpec", "LAYER_CLASSES", "Layer",
    "NamedInput", "Spec", "SpecHeader", "TYPE_NAMES", "layer_class",
]


def __getattr__(name: str):
    if name == "Spec":
        from .full import Spec

        return Spec
    if name in ("AnyLayer", "LAYER_CLASSES", "BY_TYPE_NAME"):
        from . import catalog

        return getattr(catalog, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
