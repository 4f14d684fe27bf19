"""The closed set of layer types: a discriminated union on `type`, plus lookups by name.

The union is what the JSON Schema and library users see. The loader validates each layer with its
own class (looked up here), so a check only builds the validators of the layer types a spec uses.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Union

from pydantic import Field

from .base import Layer
from .layers import conv, core, merging, normalization, pooling, recurrent, reshaping, wrappers

LAYER_CLASSES: tuple[type[Layer], ...] = (
    *conv.LAYERS, *pooling.LAYERS, *core.LAYERS, *normalization.LAYERS, *reshaping.LAYERS,
    *recurrent.LAYERS, *merging.LAYERS, *wrappers.LAYERS,
)

# Every accepted spelling (canonical names and aliases) -> class.
BY_TYPE_NAME: dict[str, type[Layer]] = {
    name: cls for cls in LAYER_CLASSES for name in cls.type_names()
}
CANONICAL_NAMES: tuple[str, ...] = tuple(cls.type_names()[0] for cls in LAYER_CLASSES)

AnyLayer = Annotated[Union[LAYER_CLASSES], Field(discriminator="type")]  # type: ignore[valid-type]

# TimeDistributed.layer is the forward reference "AnyLayer": publish the union in its module so that
# pydantic resolves it when TimeDistributed is first used (its build is deferred; building it now
# would build every layer's validator on each import).
wrappers.AnyLayer = AnyLayer


def layer_class(type_name: str) -> type[Layer] | None:
    return BY_TYPE_NAME.get(type_name)


def suggest(word: str, choices, n: int = 1) -> list[str]:
    """Close matches for a misspelt name, case-insensitively ("did you mean")."""
    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    hits = difflib.get_close_matches(word.lower(), list(lowered), n=n, cutoff=0.6)
    return [lowered[h] for h in hits]
