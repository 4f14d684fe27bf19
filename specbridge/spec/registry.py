"""The closed set of layer types: a discriminated union on `type`, plus lookups by name.

The union is what the JSON Schema and library users see. The loader validates each layer with its own class,
looked up here by name; only the family modules a spec uses get imported (building the pydantic classes of all
~60 layer types costs more than the rest of a check), so the names are listed here statically. A test keeps this
table equal to the classes' own `type` literals.
"""

import difflib
import importlib
from typing import Annotated, Any, Optional, Union

from pydantic import Field

from .base import Layer

# family module (spec/layers/<family>.py) -> one tuple per class: canonical Keras name first, then aliases.
FAMILIES: dict[str, tuple[tuple[str, ...], ...]] = {
    "conv": (
        ('Conv1D', 'Convolution1D'),
        ('Conv2D', 'Convolution2D'),
        ('Conv3D', 'Convolution3D'),
        ('Conv1DTranspose', 'Convolution1DTranspose'),
        ('Conv2DTranspose', 'Convolution2DTranspose'),
        ('Conv3DTranspose', 'Convolution3DTranspose'),
        ('DepthwiseConv1D',),
        ('DepthwiseConv2D',),
        ('SeparableConv1D', 'SeparableConvolution1D'),
        ('SeparableConv2D', 'SeparableConvolution2D'),
    ),
    "pooling": (
        ('MaxPooling1D', 'MaxPool1D'),
        ('MaxPooling2D', 'MaxPool2D'),
        ('MaxPooling3D', 'MaxPool3D'),
        ('AveragePooling1D', 'AvgPool1D'),
        ('AveragePooling2D', 'AvgPool2D'),
        ('AveragePooling3D', 'AvgPool3D'),
        ('GlobalMaxPooling1D', 'GlobalMaxPool1D'),
        ('GlobalMaxPooling2D', 'GlobalMaxPool2D'),
        ('GlobalMaxPooling3D', 'GlobalMaxPool3D'),
        ('GlobalAveragePooling1D', 'GlobalAvgPool1D'),
        ('GlobalAveragePooling2D', 'GlobalAvgPool2D'),
        ('GlobalAveragePooling3D', 'GlobalAvgPool3D'),
    ),
    "core": (
        ('Dense',),
        ('Embedding',),
        ('Dropout',),
        ('SpatialDropout1D',),
        ('SpatialDropout2D',),
        ('SpatialDropout3D',),
        ('Activation',),
        ('ReLU',),
        ('LeakyReLU',),
        ('ELU',),
        ('Softmax',),
    ),
    "normalization": (
        ('BatchNormalization',),
        ('LayerNormalization',),
    ),
    "reshaping": (
        ('ZeroPadding1D',),
        ('ZeroPadding2D',),
        ('ZeroPadding3D',),
        ('Cropping1D',),
        ('Cropping2D',),
        ('Cropping3D',),
        ('UpSampling1D',),
        ('UpSampling2D',),
        ('UpSampling3D',),
        ('Flatten',),
        ('Reshape',),
        ('Permute',),
        ('RepeatVector',),
    ),
    "recurrent": (
        ('SimpleRNN',),
        ('LSTM',),
        ('GRU',),
        ('Bidirectional',),
    ),
    "merging": (
        ('Concatenate',),
        ('Add',),
        ('Subtract',),
        ('Multiply',),
        ('Average',),
        ('Maximum',),
        ('Minimum',),
    ),
    "wrappers": (
        ('TimeDistributed',),
    ),
}

FAMILY_OF: dict[str, str] = {name: fam for fam, groups in FAMILIES.items() for group in groups for name in group}
TYPE_NAMES: tuple[str, ...] = tuple(FAMILY_OF)  # every accepted spelling
CANONICAL_NAMES: tuple[str, ...] = tuple(group[0] for groups in FAMILIES.values() for group in groups)

_BY_NAME: dict[str, type[Layer]] = {}


def _load_family(family: str) -> None:
    module = importlib.import_module(f".layers.{family}", __package__)
    for cls in module.LAYERS:
        for name in cls.type_names():
            _BY_NAME[name] = cls
    if family == "wrappers":
        _union()  # TimeDistributed.layer is the union of every layer: resolve it before first use


def layer_class(type_name: str) -> Optional[type[Layer]]:
    """The model class for a type name or alias (importing its family on first use), or None."""
    cls = _BY_NAME.get(type_name)
    if cls is None and type_name in FAMILY_OF:
        _load_family(FAMILY_OF[type_name])
        cls = _BY_NAME.get(type_name)
    return cls


_UNION: list = []


def _union() -> Any:
    if not _UNION:
        for family in FAMILIES:
            if family != "wrappers":
                _load_family(family)
        from .layers import wrappers

        classes = tuple(layer_class(group[0]) for groups in FAMILIES.values() for group in groups)
        union = Annotated[Union[classes], Field(discriminator="type")]  # type: ignore[valid-type]
        # TimeDistributed.layer and Spec.layers name the forward reference "AnyLayer": publish the union in
        # their modules so pydantic resolves it when they are first built (their builds are deferred).
        wrappers.AnyLayer = union
        _UNION.extend([union, classes])
    return _UNION[0]


def __getattr__(name: str) -> Any:
    # The whole set, on demand (schema generation, library users, tests).
    if name == "AnyLayer":
        return _union()
    if name == "LAYER_CLASSES":
        _union()
        return _UNION[1]
    if name == "BY_TYPE_NAME":
        _union()
        return dict(_BY_NAME)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def suggest(word: str, choices, n: int = 1) -> list[str]:
    """Close matches for a misspelt name, case-insensitively ("did you mean")."""
    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    hits = difflib.get_close_matches(word.lower(), list(lowered), n=n, cutoff=0.6)
    return [lowered[h] for h in hits]
